import type { LedgerError } from '../errors';
import { bad, checkJson, isPlainObject, jsonText, parseFieldPath, parseJsonKeepingIntegers, parseSelector, selectsNothing, type FieldPath, type JsonValue, type Selector } from './mango-selector';

/**
 * CouchDB Mango queries, parsed and checked in core so every state store sees the same validated
 * tree and every malformed query fails the same way, before any store runs it.
 */

export type { ComparisonOp, FieldPath, JsonValue, MatchOp, RegexSelector, Selector, UnnegatedSelector } from './mango-selector';
export { arrayIndex, isElementIndex, negate, parseFieldPath } from './mango-selector';

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

/** The selector of a query CouchDB answers with nothing (see {@link selectsNothing}). */
const NOTHING: Selector = { op: '$or', clauses: [] };
const IGNORED_TOP_LEVEL = new Set(['execution_stats', 'r', 'conflicts', 'update', 'stable', 'stale']);
const MAX_QUERY_BYTES = 1024 * 1024;

function parseSort(v: unknown, where: string): SortField[] {
  if (!Array.isArray(v)) throw bad(`${where}: expected an array of field names or {field: "asc"|"desc"}`);
  return v.map((item, i) => {
    if (typeof item === 'string') return { path: parseFieldPath(item, `${where}[${i}]`), direction: 'asc' as const };
    if (isPlainObject(item) && Object.keys(item).length === 1) {
      const [field, dir] = Object.entries(item)[0];
      if (dir !== 'asc' && dir !== 'desc') throw bad(`${where}[${i}]: direction must be "asc" or "desc", received ${jsonText(dir)}`);
      return { path: parseFieldPath(field, `${where}[${i}]`), direction: dir };
    }
    throw bad(`${where}[${i}]: expected a field name or {field: "asc"|"desc"}, received ${jsonText(item)}`);
  });
}

function nonNegativeInt(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw bad(`${where}: expected a non-negative integer, received ${jsonText(v)}`);
  return v;
}

function parseJsonText(text: unknown, what: string): unknown {
  const s = typeof text === 'string' ? text : text instanceof Uint8Array ? Buffer.from(text).toString('utf8') : undefined;
  if (s === undefined) throw bad(`${what} must be JSON text, received ${typeof text}`);
  if (s.length > MAX_QUERY_BYTES) throw bad(`${what} is ${s.length} characters, the limit is ${MAX_QUERY_BYTES}`);
  try {
    return parseJsonKeepingIntegers(s);
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
      if (typeof v !== 'boolean') throw bad(`allow_fallback: expected true or false, received ${jsonText(v)}`, { field: k });
      allowFallback = v;
    } else throw bad(`query has an unknown field ${jsonText(k)}; expected selector, fields, sort, limit, skip, bookmark, use_index, allow_fallback`, { field: k });
  }
  const selector = parseSelector(q.selector, 'selector', 0);
  const query: RichQuery = { selector: selectsNothing(q.selector) ? NOTHING : selector, fields, sort, limit, skip, bookmark };
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
    bad(`use_index: expected "<design doc>", "<design doc>/<index name>" or an array of one or two names, received ${jsonText(v)}`, { field: 'use_index' });
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
  if (d.type !== undefined && d.type !== 'json') throw bad(`${fileName}: type must be "json", received ${jsonText(d.type)}`, { field: 'type' });
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
