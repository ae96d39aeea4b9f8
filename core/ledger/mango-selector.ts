import { LedgerError } from '../errors';
import { CouchRegex, CouchRegexSyntaxError } from './couch-regex';

/**
 * CouchDB Mango selectors (mango_selector.erl), parsed and normalized in core so every state store
 * sees the same validated tree and every malformed selector fails the same way. The operators are
 * CouchDB 3.3's, the version Fabric 2.5 and 3 run against, but `$text` (text indexes).
 */

/** An integer beyond 2^53 is a `bigint`, exact, as CouchDB compares it (see {@link parseJsonKeepingIntegers}). */
export type JsonValue = string | number | bigint | boolean | null | readonly JsonValue[] | { readonly [k: string]: JsonValue };
/** A nested field, split on '.': `owner.address.city` → ['owner', 'address', 'city']. */
export type FieldPath = readonly string[];

export type ComparisonOp = '$eq' | '$ne' | '$gt' | '$gte' | '$lt' | '$lte';
export type RegexSelector = { readonly op: '$regex'; readonly path: FieldPath; readonly pattern: string };
/**
 * `$elemMatch` (some element of an array), `$allMatch` (every element of a non-empty array) and
 * `$keyMapMatch` (some member name of an object) match `clause` against each element or name:
 * its paths start there, and an empty path is the element or name itself.
 */
export type MatchOp = '$elemMatch' | '$allMatch' | '$keyMapMatch';
/** Conditions without a negated form: a negation keeps them, under `$not`. */
export type UnnegatedSelector =
  | RegexSelector
  | { readonly op: '$type'; readonly path: FieldPath; readonly type: string }
  | { readonly op: '$size'; readonly path: FieldPath; readonly size: number }
  | { readonly op: '$mod'; readonly path: FieldPath; readonly divisor: number; readonly remainder: number }
  | { readonly op: '$all'; readonly path: FieldPath; readonly values: readonly JsonValue[] }
  | { readonly op: MatchOp; readonly path: FieldPath; readonly clause: Selector };
export type Selector =
  | { readonly op: ComparisonOp; readonly path: FieldPath; readonly value: JsonValue }
  | { readonly op: '$in' | '$nin'; readonly path: FieldPath; readonly values: readonly JsonValue[] }
  | { readonly op: '$exists'; readonly path: FieldPath; readonly exists: boolean }
  | UnnegatedSelector
  /**
   * `vacuous`: an empty `$and` or `$or` as a query gives it (`$nor: []` is `$and: []`). Either
   * matches everything, as in CouchDB (mango_selector:match), and a negation turns one into the
   * other; only mango_idx's has_required_fields tells them apart (an empty `$or` covers every
   * field). An internal `$or` without `vacuous` and without clauses (the empty `$elemMatch`)
   * matches nothing.
   */
  | { readonly op: '$and' | '$or'; readonly clauses: readonly Selector[]; readonly vacuous?: true }
  /** Negation is pushed into the leaves at parse time (see {@link negate}). */
  | { readonly op: '$not'; readonly clause: UnnegatedSelector };

const SUPPORTED = new Set(
  '$eq $ne $gt $gte $lt $lte $in $nin $exists $type $size $mod $regex $all $elemMatch $allMatch $keyMapMatch $and $or $not $nor'.split(' '),
);
/**
 * No double quotes or control characters: a segment goes into a quoted JSON path label (`$."a.b"`),
 * which SQLite ends at the next `"`.
 */
const SEGMENT = /^[^"\u0000-\u001f]+$/;
/** A dot no backslash escapes: where mango_util:parse_field splits a field name. */
const UNESCAPED_DOT = /(?<!\\)\./;
export const MAX_DEPTH = 32;
/**
 * A store may spell a path out with both readings of each array-index segment (array or object?),
 * doubling its SQL per segment, as the SQLite store does for declared indexes' fields: this bounds
 * that for a field name. Nested field objects join names, so a query's path may hold more.
 */
const MAX_INDEX_SEGMENTS = 8;
const INTEGER_SEGMENT = /^[+-]?[0-9]+$/;

/** An empty `$and` or `$or` a query wrote (see {@link Selector}). */
const VACUOUS = { $and: { op: '$and', clauses: [], vacuous: true }, $or: { op: '$or', clauses: [], vacuous: true } } as const;
const COMBINATIONS = new Set(['$and', '$or', '$nor']);

export function bad(message: string, details: Record<string, unknown> = {}): LedgerError {
  return new LedgerError('LEDGER_BAD_QUERY', message, details);
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
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
  if (typeof field !== 'string' || field.length === 0) throw bad(`${where}: field name must be a non-empty string, received ${jsonText(field)}`, { where });
  // CouchDB's mango_util:parse_field: `a\.b` (JSON "a\\.b") is the one field "a.b"; every backslash is then dropped.
  const segments = field.includes('\\') ? field.split(UNESCAPED_DOT).map((s) => s.replaceAll('\\', '')) : field.split('.');
  for (const s of segments) {
    if (!SEGMENT.test(s)) {
      throw bad(`${where}: field ${jsonText(field)} has an unsupported segment ${jsonText(s)} (no empty segments, double quotes or control characters)`, {
        where,
        field,
      });
    }
  }
  if (segments.slice(1).filter((s) => arrayIndex(s) !== undefined).length > MAX_INDEX_SEGMENTS) {
    throw bad(`${where}: field ${jsonText(field)} has more than ${MAX_INDEX_SEGMENTS} integer (array index) segments`, { where, field });
  }
  return segments;
}

/** V8's JSON source text access (Node 21+), which TypeScript's lib does not declare yet. */
export const JSON_WITH_SOURCE = JSON as unknown as {
  parse(text: string, reviver: (key: string, value: unknown, context?: { readonly source?: string }) => unknown): unknown;
  rawJSON(text: string): unknown;
  isRawJSON(value: unknown): boolean;
};

/**
 * JSON text with its integers beyond 2^53 as exact BigInts (up to 30 digits, past any int64), as
 * CouchDB keeps them; every other number is a double, as in CouchDB.
 */
export function parseJsonKeepingIntegers(text: string): unknown {
  // Only sixteen digits in a row can be such an integer; a reviver makes a parse about twice as slow.
  if (!/[0-9]{16}/.test(text)) return JSON.parse(text);
  return JSON_WITH_SOURCE.parse(text, (_key, value, context) => {
    const source = context?.source;
    return typeof value === 'number' && !Number.isSafeInteger(value) && source !== undefined && /^-?[0-9]{1,30}$/.test(source) ? BigInt(source) : value;
  });
}

/** `JSON.stringify` that writes a BigInt's digits. */
export function jsonText(v: unknown): string {
  return JSON.stringify(v, (_key, x: unknown) => (typeof x === 'bigint' ? JSON_WITH_SOURCE.rawJSON(x.toString()) : x)) ?? String(v);
}

export function checkJson(v: unknown, where: string, depth: number): JsonValue {
  if (depth > MAX_DEPTH) throw bad(`${where}: value nested deeper than ${MAX_DEPTH}`);
  if (v === null || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'bigint') return v;
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

function expected(at: string, op: string, what: string, arg: unknown): LedgerError {
  return bad(`${at}: expected ${what}, received ${jsonText(arg)}`, { operator: op });
}

function parseOperator(path: FieldPath, op: string, arg: unknown, where: string, depth: number): Selector {
  const at = `${where}.${op}`;
  switch (op) {
    case '$eq':
    case '$ne':
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte':
      // Any JSON value: CouchDB compares across types by its collation (null < false < true <
      // numbers < strings < arrays < objects).
      return { op, path, value: checkJson(arg, at, depth) };
    case '$in':
    case '$nin':
    case '$all':
      if (!Array.isArray(arg)) throw expected(at, op, 'an array', arg);
      return { op, path, values: arg.map((v) => checkJson(v, at, depth + 1)) };
    case '$exists':
      if (typeof arg !== 'boolean') throw expected(at, op, 'true or false', arg);
      return { op, path, exists: arg };
    case '$type':
      if (typeof arg !== 'string') throw expected(at, op, 'a type name', arg);
      return { op, path, type: arg };
    case '$size':
      if (typeof arg !== 'number' || !Number.isSafeInteger(arg) || arg < 0) throw expected(at, op, 'a non-negative integer', arg);
      return { op, path, size: arg };
    case '$mod': {
      const [divisor, remainder] = Array.isArray(arg) && arg.length === 2 ? (arg as unknown[]) : [];
      if (typeof divisor !== 'number' || typeof remainder !== 'number' || !Number.isSafeInteger(divisor) || !Number.isSafeInteger(remainder) || divisor === 0) {
        throw expected(at, op, '[divisor, remainder], integers with a divisor other than 0', arg);
      }
      return { op, path, divisor, remainder };
    }
    case '$regex':
      if (typeof arg !== 'string') throw expected(at, op, 'a pattern string', arg);
      try {
        CouchRegex.compile(arg);
      } catch (e) {
        if (!(e instanceof CouchRegexSyntaxError)) throw e;
        throw bad(`${at}: invalid regular expression ${jsonText(arg)}: ${e.message}`, { operator: op, offset: e.offset });
      }
      return { op, path, pattern: arg };
    case '$elemMatch':
    case '$allMatch':
    case '$keyMapMatch':
      if (!isPlainObject(arg)) throw expected(at, op, 'a selector object', arg);
      // CouchDB matches nothing with an empty one: its match/3 has no clause for `{}` and the error counts as no match.
      if (Object.keys(arg).length === 0) return { op, path, clause: { op: '$or', clauses: [] } };
      return { op, path, clause: parseSelector(arg, at, depth + 1, true) };
    case '$not':
      if (!isPlainObject(arg)) throw expected(at, op, 'an object of operators', arg);
      return negate(parseFieldValue(path, arg, at, depth + 1));
    case '$and':
    case '$or':
    case '$nor':
      // Conditions on this field (norm_fields pushes the field down into each): {"a": {"$or": [1, {"$gt": 5}]}}.
      if (!Array.isArray(arg)) throw expected(at, op, 'an array of conditions', arg);
      return combination(op, arg.map((c, i) => parseFieldValue(path, c, `${at}[${i}]`, depth + 1)));
    default:
      throw unsupported(op, where);
  }
}

/**
 * The condition on one field: an object of operators and nested fields, all of which must hold
 * (CouchDB's norm_ops: `{"a": {"$gt": 1, "b": 2}}` is `a > 1` and `a.b = 2`), or implicit equality.
 */
function parseFieldValue(path: FieldPath, v: unknown, where: string, depth: number): Selector {
  if (depth > MAX_DEPTH) throw bad(`${where}: selector nested deeper than ${MAX_DEPTH}`);
  if (!isPlainObject(v) || Object.keys(v).length === 0) return { op: '$eq', path, value: checkJson(v, where, depth) };
  const clauses = Object.keys(v).map((k) =>
    k.startsWith('$') ? parseOperator(path, k, v[k], where, depth + 1) : parseFieldValue([...path, ...parseFieldPath(k, where)], v[k], `${where}.${k}`, depth + 1),
  );
  return clauses.length === 1 ? clauses[0] : { op: '$and', clauses };
}

/**
 * A selector object. `relative` for the argument of `$elemMatch` and its kind, where an operator
 * beside the logical ones applies to the element itself (`{"$elemMatch": {"$gt": 80}}`).
 */
export function parseSelector(sel: unknown, where: string, depth: number, relative = false): Selector {
  if (!isPlainObject(sel)) throw bad(`${where}: selector must be a JSON object, received ${jsonText(sel)}`, { where });
  if (depth > MAX_DEPTH) throw bad(`${where}: selector nested deeper than ${MAX_DEPTH}`);
  const clauses: Selector[] = [];
  for (const [k, v] of Object.entries(sel)) {
    if (k === '$and' || k === '$or' || k === '$nor') {
      if (!Array.isArray(v)) throw bad(`${where}.${k}: expected an array of selectors, received ${jsonText(v)}`, { operator: k });
      clauses.push(combination(k, v.map((s, i) => parseSelector(s, `${where}.${k}[${i}]`, depth + 1, relative))));
    } else if (k === '$not') {
      clauses.push(negate(parseSelector(v, `${where}.$not`, depth + 1, relative)));
    } else if (k.startsWith('$')) {
      if (!relative && SUPPORTED.has(k)) throw bad(`${where}: ${k} must apply to a field, as in {"<field>": {"${k}": ...}}`, { operator: k, where });
      if (!relative) throw unsupported(k, where);
      clauses.push(parseOperator([], k, v, where, depth + 1));
    } else {
      clauses.push(parseFieldValue(parseFieldPath(k, where), v, `${where}.${k}`, depth + 1));
    }
  }
  return clauses.length === 1 ? clauses[0] : { op: '$and', clauses };
}

/** `$and`, `$or` or `$nor` of parsed clauses; `$nor` is CouchDB's "none of": the conjunction of the negations (norm_negations). */
function combination(op: '$and' | '$or' | '$nor', clauses: Selector[]): Selector {
  if (clauses.length === 0) return op === '$or' ? VACUOUS.$or : VACUOUS.$and;
  return op === '$nor' ? { op: '$and', clauses: clauses.map(negate) } : { op, clauses };
}

/**
 * Whether CouchDB answers a query with this selector with nothing at all: when the whole selector
 * normalizes to an empty `$and` or `$or` (`{"$or": []}`, `{"$nor": []}`, `{"a": {"$and": []}}`,
 * `{"$not": {"$or": []}}`), mango_cursor:maybe_noop_range makes its index range empty, though the
 * same combination beside other conditions matches everything (`{"age": 22, "$or": []}` is
 * `{"age": 22}`). norm_fields carries a field down through a one-key condition, and a negation
 * turns one empty combination into the other.
 */
export function selectsNothing(sel: unknown): boolean {
  if (!isPlainObject(sel)) return false;
  const keys = Object.keys(sel);
  if (keys.length !== 1) return false;
  const [k] = keys;
  const v = sel[k];
  if (COMBINATIONS.has(k)) return Array.isArray(v) && v.length === 0;
  if (k === '$not' || !k.startsWith('$')) return selectsNothing(v);
  return false;
}

/**
 * CouchDB's `norm_negations` (mango_selector.erl): a negation moves down to the field conditions,
 * by De Morgan through `$and`/`$or` and by flipping each operator ($eq/$ne, $gt/$lte, $gte/$lt,
 * $in/$nin, $exists true/false); two negations cancel. So a negated condition still needs its field
 * to exist, as every condition but `$exists: false` does: `{"$not": {"color": "red"}}` is
 * `{"color": {"$ne": "red"}}` and does not match a document without `color`. The operators without
 * a negated form keep a `$not`, which matches any present value the condition does not.
 * `sel` is already normalized (parsing is bottom-up), so the result is too.
 */
export function negate(sel: Selector): Selector {
  if ((sel.op === '$and' || sel.op === '$or') && sel.vacuous) return sel.op === '$and' ? VACUOUS.$or : VACUOUS.$and;
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
    default:
      return { op: '$not', clause: sel };
  }
}

const NEGATED = { $eq: '$ne', $ne: '$eq', $gt: '$lte', $lte: '$gt', $gte: '$lt', $lt: '$gte' } as const;
