import { LedgerError } from '../errors';
import { CouchRegex, CouchRegexSyntaxError } from './couch-regex';

/**
 * CouchDB Mango queries, parsed and checked in core so every state store sees the same validated
 * tree and every malformed query fails the same way, before any store runs it.
 */

export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [k: string]: JsonValue };
/** A nested field, split on '.': `owner.address.city` → ['owner', 'address', 'city']. */
export type FieldPath = readonly string[];

export type ComparisonOp = '$eq' | '$ne' | '$gt' | '$gte' | '$lt' | '$lte';
export type Selector =
  | { readonly op: ComparisonOp; readonly path: FieldPath; readonly value: JsonValue }
  | { readonly op: '$in' | '$nin'; readonly path: FieldPath; readonly values: readonly JsonValue[] }
  | { readonly op: '$exists'; readonly path: FieldPath; readonly exists: boolean }
  | RegexSelector
  | { readonly op: '$and' | '$or'; readonly clauses: readonly Selector[] }
  /** Negation is pushed into the leaves at parse time (see {@link negate}); only `$regex` has no negated form. */
  | { readonly op: '$not'; readonly clause: RegexSelector };
export type RegexSelector = { readonly op: '$regex'; readonly path: FieldPath; readonly pattern: string };

export interface SortField {
  readonly path: FieldPath;
  readonly direction: 'asc' | 'desc';
}

export interface RichQuery {
  readonly selector: Selector;
  /** Projection: only these fields are returned; undefined = whole values. */
  readonly fields?: readonly FieldPath[];
  readonly sort?: readonly SortField[];
  readonly limit?: number;
  readonly skip?: number;
  readonly bookmark?: string;
  /** `use_index`: the index the query asks for (see mango-index-use.ts). */
  readonly useIndex?: IndexRef;
  /** `allow_fallback` (default true): whether a query may run without the index it asked for. */
  readonly allowFallback?: boolean;
}

/** A declared index named by a query: its design document (without `_design/`) and optionally its name. */
export interface IndexRef {
  readonly ddoc: string;
  readonly name?: string;
}

/** A declared index in CouchDB's index JSON format. */
export interface IndexDefinition {
  readonly ddoc: string | undefined;
  readonly name: string;
  readonly fields: readonly SortField[];
  /** `partial_filter_selector`: the index holds only the documents it matches. */
  readonly partialFilter?: PartialFilter;
}

export interface PartialFilter {
  /** As declared, kept to store and compare the definition. */
  readonly source: JsonValue;
  readonly selector: Selector;
}

/** The field CouchDB gives every document: in a Fabric state database, the key. */
export const DOC_ID_FIELD = '_id';

const SUPPORTED = new Set(['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$exists', '$regex', '$and', '$or', '$not']);
const IGNORED_TOP_LEVEL = new Set(['execution_stats', 'r', 'conflicts', 'update', 'stable', 'stale']);
/** No quotes, backslashes, brackets, dots or control characters: a segment goes into a JSON path literal. */
const SEGMENT = /^[^"'\\.[\]*\u0000-\u001f]+$/;
const MAX_QUERY_BYTES = 1024 * 1024;
const MAX_DEPTH = 32;
/** Each array-index segment doubles the SQL a store generates for the path (array or object?). */
const MAX_INDEX_SEGMENTS = 8;
const INTEGER_SEGMENT = /^[+-]?[0-9]+$/;

function bad(message: string, details: Record<string, unknown> = {}): LedgerError {
  return new LedgerError('LEDGER_BAD_QUERY', message, details);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * How CouchDB reads a path segment when the value at that point is an array (mango_doc:get_field):
 * `undefined` when the segment is not an integer (the path then goes nowhere), else the index,
 * which may still be negative or too large for any array.
 */
export function arrayIndex(segment: string): number | undefined {
  return INTEGER_SEGMENT.test(segment) ? Number(segment) + 0 : undefined;
}

/** True when `index` (from {@link arrayIndex}) can address an element of an array. */
export function isElementIndex(index: number | undefined): index is number {
  return index !== undefined && Number.isSafeInteger(index) && index >= 0 && index < 2 ** 31;
}

export function parseFieldPath(field: unknown, where: string): FieldPath {
  if (typeof field !== 'string' || field.length === 0) throw bad(`${where}: field name must be a non-empty string, received ${JSON.stringify(field)}`, { where });
  const segments = field.split('.');
  for (const s of segments) {
    if (!SEGMENT.test(s) || s.startsWith('$')) {
      throw bad(`${where}: field ${JSON.stringify(field)} has an unsupported segment ${JSON.stringify(s)} (no empty segments, quotes, backslashes, brackets, '*' or leading '$')`, {
        where,
        field,
      });
    }
  }
  if (segments.slice(1).filter((s) => arrayIndex(s) !== undefined).length > MAX_INDEX_SEGMENTS) {
    throw bad(`${where}: field ${JSON.stringify(field)} has more than ${MAX_INDEX_SEGMENTS} integer (array index) segments`, { where, field });
  }
  return segments;
}

function checkJson(v: unknown, where: string, depth: number): JsonValue {
  if (depth > MAX_DEPTH) throw bad(`${where}: value nested deeper than ${MAX_DEPTH}`);
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw bad(`${where}: number must be finite`);
    return v;
  }
  if (Array.isArray(v)) return v.map((x) => checkJson(x, where, depth + 1));
  if (isPlainObject(v)) {
    for (const x of Object.values(v)) checkJson(x, where, depth + 1);
    return v as JsonValue;
  }
  throw bad(`${where}: unexpected ${typeof v}`);
}

function unsupported(op: string, where: string): LedgerError {
  return new LedgerError(
    'LEDGER_UNSUPPORTED_OPERATOR',
    `${where}: operator ${op} is not supported; supported operators: ${[...SUPPORTED].join(' ')}`,
    { operator: op, where },
  );
}

function parseOperator(path: FieldPath, op: string, arg: unknown, where: string, depth: number): Selector {
  const at = `${where}.${op}`;
  switch (op) {
    case '$eq':
    case '$ne':
      return { op, path, value: checkJson(arg, at, depth) };
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte':
      // Any JSON value: CouchDB compares across types by its collation (null < false < true <
      // numbers < strings < arrays < objects).
      return { op, path, value: checkJson(arg, at, depth) };
    case '$in':
    case '$nin':
      if (!Array.isArray(arg)) throw bad(`${at}: expected an array, received ${JSON.stringify(arg)}`, { operator: op });
      return { op, path, values: arg.map((v) => checkJson(v, at, depth + 1)) };
    case '$exists':
      if (typeof arg !== 'boolean') throw bad(`${at}: expected true or false, received ${JSON.stringify(arg)}`, { operator: op });
      return { op, path, exists: arg };
    case '$regex':
      if (typeof arg !== 'string') throw bad(`${at}: expected a pattern string, received ${JSON.stringify(arg)}`, { operator: op });
      try {
        CouchRegex.compile(arg);
      } catch (e) {
        if (!(e instanceof CouchRegexSyntaxError)) throw e;
        throw bad(`${at}: invalid regular expression ${JSON.stringify(arg)}: ${e.message}`, { operator: op, offset: e.offset });
      }
      return { op, path, pattern: arg };
    case '$not':
      if (!isPlainObject(arg)) throw bad(`${at}: expected an object of operators`, { operator: op });
      return negate(parseFieldValue(path, arg, at, depth + 1));
    default:
      throw unsupported(op, where);
  }
}

/** The condition on one field: an operator object, a nested sub-selector, or implicit equality. */
function parseFieldValue(path: FieldPath, v: unknown, where: string, depth: number): Selector {
  if (depth > MAX_DEPTH) throw bad(`${where}: selector nested deeper than ${MAX_DEPTH}`);
  if (!isPlainObject(v) || Object.keys(v).length === 0) return { op: '$eq', path, value: checkJson(v, where, depth) };
  const keys = Object.keys(v);
  const ops = keys.filter((k) => k.startsWith('$'));
  if (ops.length > 0 && ops.length !== keys.length) {
    throw bad(`${where}: mixes operators (${ops.join(', ')}) with field names`, { where });
  }
  const clauses: Selector[] =
    ops.length > 0
      ? keys.map((op) => parseOperator(path, op, v[op], where, depth + 1))
      : keys.map((k) => parseFieldValue([...path, ...parseFieldPath(k, where)], v[k], `${where}.${k}`, depth + 1));
  return clauses.length === 1 ? clauses[0] : { op: '$and', clauses };
}

function parseSelector(sel: unknown, where: string, depth: number): Selector {
  if (!isPlainObject(sel)) throw bad(`${where}: selector must be a JSON object, received ${JSON.stringify(sel)}`, { where });
  if (depth > MAX_DEPTH) throw bad(`${where}: selector nested deeper than ${MAX_DEPTH}`);
  const clauses: Selector[] = [];
  for (const [k, v] of Object.entries(sel)) {
    if (k === '$and' || k === '$or') {
      if (!Array.isArray(v) || v.length === 0) throw bad(`${where}.${k}: expected a non-empty array of selectors`, { operator: k });
      clauses.push({ op: k, clauses: v.map((s, i) => parseSelector(s, `${where}.${k}[${i}]`, depth + 1)) });
    } else if (k === '$not') {
      clauses.push(negate(parseSelector(v, `${where}.$not`, depth + 1)));
    } else if (k.startsWith('$')) {
      throw unsupported(k, where);
    } else {
      clauses.push(parseFieldValue(parseFieldPath(k, where), v, `${where}.${k}`, depth + 1));
    }
  }
  return clauses.length === 1 ? clauses[0] : { op: '$and', clauses };
}

/**
 * CouchDB's `norm_negations` (mango_selector.erl): a negation moves down to the field conditions,
 * by De Morgan through `$and`/`$or` and by flipping each operator ($eq/$ne, $gt/$lte, $gte/$lt,
 * $in/$nin, $exists true/false); two negations cancel. So a negated condition still needs its field
 * to exist, as every condition but `$exists: false` does: `{"$not": {"color": "red"}}` is
 * `{"color": {"$ne": "red"}}` and does not match a document without `color`. `$regex` has no
 * negated form and keeps a `$not`, which matches any present value the pattern does not.
 * `sel` is already normalized (parsing is bottom-up), so the result is too.
 */
export function negate(sel: Selector): Selector {
  switch (sel.op) {
    case '$and':
      return { op: '$or', clauses: sel.clauses.map(negate) };
    case '$or':
      return { op: '$and', clauses: sel.clauses.map(negate) };
    case '$not':
      return sel.clause;
    case '$eq':
    case '$ne':
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte':
      return { op: NEGATED[sel.op], path: sel.path, value: sel.value };
    case '$in':
      return { op: '$nin', path: sel.path, values: sel.values };
    case '$nin':
      return { op: '$in', path: sel.path, values: sel.values };
    case '$exists':
      return { op: '$exists', path: sel.path, exists: !sel.exists };
    case '$regex':
      return { op: '$not', clause: sel };
  }
}

const NEGATED = { $eq: '$ne', $ne: '$eq', $gt: '$lte', $lte: '$gt', $gte: '$lt', $lt: '$gte' } as const;

function parseSort(v: unknown, where: string): SortField[] {
  if (!Array.isArray(v)) throw bad(`${where}: expected an array of field names or {field: "asc"|"desc"}`);
  return v.map((item, i) => {
    if (typeof item === 'string') return { path: parseFieldPath(item, `${where}[${i}]`), direction: 'asc' as const };
    if (isPlainObject(item) && Object.keys(item).length === 1) {
      const [field, dir] = Object.entries(item)[0];
      if (dir !== 'asc' && dir !== 'desc') throw bad(`${where}[${i}]: direction must be "asc" or "desc", received ${JSON.stringify(dir)}`);
      return { path: parseFieldPath(field, `${where}[${i}]`), direction: dir };
    }
    throw bad(`${where}[${i}]: expected a field name or {field: "asc"|"desc"}, received ${JSON.stringify(item)}`);
  });
}

function nonNegativeInt(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw bad(`${where}: expected a non-negative integer, received ${JSON.stringify(v)}`);
  return v;
}

function parseJsonText(text: unknown, what: string): unknown {
  const s = typeof text === 'string' ? text : text instanceof Uint8Array ? Buffer.from(text).toString('utf8') : undefined;
  if (s === undefined) throw bad(`${what} must be JSON text, received ${typeof text}`);
  if (s.length > MAX_QUERY_BYTES) throw bad(`${what} is ${s.length} characters, the limit is ${MAX_QUERY_BYTES}`);
  try {
    return JSON.parse(s);
  } catch (e) {
    throw bad(`${what} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Parses a Mango query (`{"selector": {...}, "fields", "sort", "limit", "skip", "bookmark"}`). */
export function parseRichQuery(text: unknown): RichQuery {
  const q = parseJsonText(text, 'query');
  if (!isPlainObject(q)) throw bad('query must be a JSON object with a "selector"');
  if (!('selector' in q)) throw bad('query has no "selector" field');
  let fields: FieldPath[] | undefined;
  let sort: SortField[] | undefined;
  let limit: number | undefined;
  let skip: number | undefined;
  let bookmark: string | undefined;
  let useIndex: IndexRef | undefined;
  let allowFallback: boolean | undefined;
  for (const [k, v] of Object.entries(q)) {
    if (k === 'selector' || IGNORED_TOP_LEVEL.has(k)) continue;
    if (k === 'fields') {
      if (!Array.isArray(v)) throw bad('fields: expected an array of field names');
      fields = v.map((f, i) => parseFieldPath(f, `fields[${i}]`));
    } else if (k === 'sort') sort = parseSort(v, 'sort');
    else if (k === 'limit') limit = nonNegativeInt(v, 'limit');
    else if (k === 'skip') skip = nonNegativeInt(v, 'skip');
    else if (k === 'bookmark') {
      if (typeof v !== 'string') throw bad('bookmark: expected a string');
      bookmark = v;
    } else if (k === 'use_index') useIndex = parseUseIndex(v);
    else if (k === 'allow_fallback') {
      if (typeof v !== 'boolean') throw bad(`allow_fallback: expected true or false, received ${JSON.stringify(v)}`, { field: k });
      allowFallback = v;
    } else throw bad(`query has an unknown field ${JSON.stringify(k)}; expected selector, fields, sort, limit, skip, bookmark, use_index, allow_fallback`, { field: k });
  }
  const query: RichQuery = { selector: parseSelector(q.selector, 'selector', 0), fields, sort, limit, skip, bookmark };
  return { ...query, ...(useIndex === undefined ? {} : { useIndex }), ...(allowFallback === undefined ? {} : { allowFallback }) };
}

const DESIGN_PREFIX = '_design/';

/** A design document id without its `_design/` prefix, as `use_index` and index files may spell it either way. */
export function designDocName(ddoc: string): string {
  return ddoc.startsWith(DESIGN_PREFIX) ? ddoc.slice(DESIGN_PREFIX.length) : ddoc;
}

/**
 * CouchDB's `use_index` (mango_opts:validate_use_index): `"ddoc"`, `"ddoc/name"` (each with or
 * without `_design/`), `["ddoc"]` or `["ddoc", "name"]`; null, `""` and `[]` ask for nothing.
 */
function parseUseIndex(v: unknown): IndexRef | undefined {
  const invalid = (): LedgerError =>
    bad(`use_index: expected "<design doc>", "<design doc>/<index name>" or an array of one or two names, received ${JSON.stringify(v)}`, { field: 'use_index' });
  if (v === null || v === '' || (Array.isArray(v) && v.length === 0)) return undefined;
  let parts: unknown[];
  if (typeof v === 'string') {
    parts = v.split('/');
    if (parts[0] === '_design') parts = parts.slice(1);
  } else if (Array.isArray(v)) parts = v;
  else throw invalid();
  if (parts.length < 1 || parts.length > 2 || parts.some((p) => typeof p !== 'string' || p === '')) throw invalid();
  const [ddoc, name] = parts as string[];
  return name === undefined ? { ddoc: designDocName(ddoc) } : { ddoc: designDocName(ddoc), name };
}

/** Parses a CouchDB index file: `{"index": {"fields": [...]}, "ddoc": "...", "name": "...", "type": "json"}`. */
export function parseIndexDefinition(text: unknown, fileName = 'index'): IndexDefinition {
  const d = parseJsonText(text, fileName);
  if (!isPlainObject(d)) throw bad(`${fileName}: index definition must be a JSON object`);
  if (d.type !== undefined && d.type !== 'json') throw bad(`${fileName}: type must be "json", received ${JSON.stringify(d.type)}`, { field: 'type' });
  if (typeof d.name !== 'string' || d.name.length === 0) throw bad(`${fileName}: name must be a non-empty string`, { field: 'name' });
  if (d.ddoc !== undefined && (typeof d.ddoc !== 'string' || d.ddoc.length === 0)) throw bad(`${fileName}: ddoc must be a non-empty string`, { field: 'ddoc' });
  if (!isPlainObject(d.index)) throw bad(`${fileName}: index must be an object with "fields"`, { field: 'index' });
  const fields = parseSort(d.index.fields, `${fileName}.index.fields`);
  if (fields.length === 0) throw bad(`${fileName}: index.fields must not be empty`, { field: 'index.fields' });
  const partialFilter = parsePartialFilter(d.index, fileName);
  return { ddoc: d.ddoc as string | undefined, name: d.name, fields, ...(partialFilter === undefined ? {} : { partialFilter }) };
}

/** `partial_filter_selector`, or the older `selector` CouchDB still reads (mango_idx:get_partial_filter_selector); `{}` is none. */
function parsePartialFilter(index: Record<string, unknown>, fileName: string): PartialFilter | undefined {
  const key = index.partial_filter_selector !== undefined ? 'partial_filter_selector' : 'selector';
  return partialFilterFrom(index[key], `${fileName}.index.${key}`);
}

/** A partial filter from its declared JSON (`where` names it in errors); `undefined` and `{}` are none. */
export function partialFilterFrom(source: unknown, where: string): PartialFilter | undefined {
  if (source === undefined || (isPlainObject(source) && Object.keys(source).length === 0)) return undefined;
  return { source: checkJson(source, where, 0), selector: parseSelector(source, where, 0) };
}
