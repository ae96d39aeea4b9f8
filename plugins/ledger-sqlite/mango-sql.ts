import { LedgerError } from '../../core/errors';
import { isDocId } from '../../core/ledger/mango-index-use';
import { jsonText } from '../../core/ledger/mango-selector';
import type { FieldPath, JsonValue, MatchOp, Selector } from '../../core/ledger/rich-query';
import { couchCollationKey } from './couch-collation';
import { balanced, DOCUMENT, elementRoot, fieldSql, indexableFieldSql, memberNameRoot, notFoundSql, sqlText, type FieldRoot, type FieldSql } from './mango-field';

/**
 * Translates a parsed Mango selector to a SQLite JSON1 condition over the `j` column, with CouchDB's
 * matching rules (mango_selector.erl): every condition but `$exists: false` needs its field to
 * exist (the core parser already pushed `$not` down into the leaves); `$in`/`$nin` match any element
 * of an array-valued field while `$eq`/`$ne` compare whole values. Comparisons and `sort` go
 * through the field's CouchDB collation key (`weft_couch_key`, couch-collation.ts): across types
 * null < false < true < numbers < strings < arrays < objects, so `{"$lt": 4}` also matches null and
 * booleans; strings by ICU's root collator, so `{"$gt": "a"}` matches "B" and `{"$eq": "a"}` also
 * what ICU calls equal to "a". Declared indexes are over the same keys, so every comparison can
 * seek one. Values are always bound parameters. Every condition yields 0 or 1, never NULL.
 *
 * `$regex` runs CouchDB's PCRE dialect on the value's UTF-8 bytes (core/ledger/couch-regex.ts).
 *
 * Documents are as Fabric's CouchDB state database makes them: `_id` is the key, and a value that
 * is not a JSON object (bytes, a JSON array or scalar) is a document without fields, stored as an
 * attachment there, which `{}`, `$exists: false` and conditions on `_id` match.
 *
 * The SQL grows linearly with the selector: a field costs about its path's length per mention (see
 * `fieldSql`), `$in` and an `$or` of one field's values are one node whatever their number, and
 * long `$and`/`$or` lists are balanced trees. {@link SqlBudget} bounds the rest.
 *
 * Known differences from CouchDB: objects compare property by property in JavaScript's order, which
 * puts integer-like keys first; integers beyond 2^63 in documents compare as doubles.
 */

/**
 * What a query's SQL may cost SQLite to prepare, which it does on the node's event loop. About
 * 100 ms for a mebibyte of conditions; distinct bound values compared with one field cost more than
 * linearly (SQLite looks for `IN` lists among them), about 250 ms at the limit.
 */
export const MAX_QUERY_SQL_BYTES = 1024 * 1024;
export const MAX_QUERY_PARAMETERS = 4096;

/** Counts a query's SQL as it is built, to refuse one past {@link MAX_QUERY_SQL_BYTES} before building all of it. */
export class SqlBudget {
  private spent = 0;

  /** Adds `sql`, new text of the query (not text already charged), and returns it. */
  charge(sql: string): string {
    this.spent += sql.length;
    if (this.spent > MAX_QUERY_SQL_BYTES) throw tooLarge(`more than ${MAX_QUERY_SQL_BYTES} bytes of SQL`, 'sqlBytes', MAX_QUERY_SQL_BYTES);
    return sql;
  }

  /** Checks the finished statement. */
  check(sql: string, params: readonly unknown[]): void {
    if (sql.length > MAX_QUERY_SQL_BYTES) throw tooLarge(`${sql.length} bytes of SQL`, 'sqlBytes', MAX_QUERY_SQL_BYTES);
    if (params.length > MAX_QUERY_PARAMETERS) throw tooLarge(`${params.length} bound values`, 'parameters', MAX_QUERY_PARAMETERS);
  }
}

function tooLarge(what: string, limit: string, max: number): LedgerError {
  return new LedgerError(
    'LEDGER_BAD_QUERY',
    `selector: the query needs ${what}, past the ${max} one may use; split it into smaller queries, or put many values of one field in one $in`,
    { field: 'selector', limit, max },
  );
}

/** True for a budget refusal (the query may still fit without the index it tried). */
export function isBudgetError(e: unknown): boolean {
  return e instanceof LedgerError && e.code === 'LEDGER_BAD_QUERY' && (e.details.limit === 'sqlBytes' || e.details.limit === 'parameters');
}

/** What compiling a selector shares. */
export interface SelectorContext {
  readonly params: unknown[];
  readonly budget: SqlBudget;
  /** Document fields of the index the query seeks: their comparisons keep the form it holds. */
  readonly indexed: readonly FieldPath[];
}

const SQL_OP = { $eq: 'IS', $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' } as const;
type CompareOp = keyof typeof SQL_OP;

/** The field's collation key: NULL exactly when the field is absent. */
export function keyOf(f: FieldSql): string {
  return `weft_couch_key(${f.type}, ${f.value})`;
}

export function samePath(a: FieldPath, b: FieldPath): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

/** Whether a mention of the field should keep the declared index's form, to seek it. */
function seeks(path: FieldPath, root: FieldRoot, ctx: SelectorContext): boolean {
  return root === DOCUMENT && ctx.indexed.some((p) => samePath(p, path));
}

/** The field as a mention reads it: as the index holds it where it {@link seeks} one. */
function fieldOf(path: FieldPath, root: FieldRoot, ctx: SelectorContext): FieldSql {
  return seeks(path, root, ctx) ? indexableFieldSql(path) : fieldSql(path, root);
}

/**
 * `$eq` with `IS`, which is 0, not NULL, for an absent field; the orderings add a type test for that
 * (a key is NULL only when the type is). Both forms seek an index on the key.
 */
function compare(f: FieldSql, op: CompareOp, value: JsonValue, params: unknown[], seek = true): string {
  if (op === '$eq' && !seek && isPlainString(value)) return equalsPlainString(f, value, params);
  params.push(couchCollationKey(value));
  return op === '$eq' ? `(${keyOf(f)} IS ?)` : `(${keyOf(f)} ${SQL_OP[op]} ? AND ${f.type} IS NOT NULL)`;
}

/** Printable ASCII, which ICU's root collation tells apart at every strength a string of it differs. */
const PLAIN_ASCII = /^[ -~]*$/;
const isPlainString = (v: JsonValue): v is string => typeof v === 'string' && PLAIN_ASCII.test(v);

/**
 * Whether a text value may be ICU-equal to a printable-ASCII string it differs from: only when it
 * holds some other character (an ignorable one such as U+0000, another form of a letter), and only
 * then is its collation key worth computing, about 2.5 µs a row. GLOB finds a character outside
 * space..tilde but stops at U+0000, which only counting finds.
 */
function notPlain(f: FieldSql): string {
  return `(${f.value} GLOB '*[^ -~]*' OR length(${f.value}) < length(CAST(${f.value} AS BLOB)))`;
}

/** `$eq` of a printable-ASCII string where no index is to be sought: the string itself, or a value {@link notPlain} with its key. */
function equalsPlainString(f: FieldSql, value: string, params: unknown[]): string {
  params.push(value, couchCollationKey(value));
  return `(${f.type} IS 'text' AND (${f.value} = ? OR (${notPlain(f)} AND ${keyOf(f)} IS ?)))`;
}

/** The values' collation keys as a JSON array of hex, for `unhex` (a key is bytes, which JSON cannot hold). */
const hexKeys = (values: readonly JsonValue[]): string => JSON.stringify(values.map((v) => couchCollationKey(v).toString('hex')));

/**
 * Whether the field equals one of `values`, as `$eq` of each would say, in one SQL node whatever
 * their number: each set is bound as one JSON array, which `IN (SELECT … FROM json_each(?))` reads
 * once per statement. A chain of `OR`s would fail past SQLite's expression depth (1000) and cost
 * more than linearly to prepare. Printable-ASCII strings are matched as text first, as
 * {@link equalsPlainString} does. `seek` keeps the key alone, which an index on it can seek.
 */
function equalsAny(f: FieldSql, values: readonly JsonValue[], params: unknown[], seek = false): string {
  const inKeys = (json: string): string => {
    params.push(json);
    return `${keyOf(f)} IN (SELECT unhex(value) FROM json_each(?))`;
  };
  const plain = values.filter(isPlainString);
  if (seek || plain.length === 0) return `(${f.type} IS NOT NULL AND ${inKeys(hexKeys(values))})`;
  params.push(JSON.stringify(plain));
  const asText = `${f.value} IN (SELECT value FROM json_each(?))`;
  if (plain.length === values.length) return `(${f.type} IS 'text' AND (${asText} OR (${notPlain(f)} AND ${inKeys(hexKeys(plain))})))`;
  return `((${f.type} IS 'text' AND ${asText}) OR (${f.type} IS NOT NULL AND ${inKeys(hexKeys(values))}))`;
}

/** Strings as SQLite stores a bound JavaScript string: a lone surrogate becomes U+FFFD. */
const wellFormed = (s: string): string => s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

/**
 * A condition on `_id`, which CouchDB matches by raw collation (mango_selector:match compares `_id`
 * with mango_json:cmp_raw, as `_all_docs` orders): the key's bytes, and a string above a value of
 * any other type. Each seeks the primary key. Undefined for the conditions other fields share.
 */
function docIdCondition(sel: Selector, params: unknown[]): string | undefined {
  switch (sel.op) {
    case '$eq':
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte':
      if (typeof sel.value !== 'string') return sel.op === '$gt' || sel.op === '$gte' ? '1' : '0';
      params.push(sel.value);
      return `(key ${SQL_OP[sel.op]} ?)`;
    case '$ne':
      if (typeof sel.value !== 'string') return '1';
      params.push(sel.value);
      return '(key IS NOT ?)';
    case '$in':
    case '$nin': {
      const keys = sel.values.filter((v) => typeof v === 'string');
      if (keys.length === 0) return sel.op === '$in' ? '0' : '1';
      // One JSON array, not a `?` per id: SQLite binds at most 32766 values.
      params.push(JSON.stringify(keys.map(wellFormed)));
      return `(key ${sel.op === '$in' ? 'IN' : 'NOT IN'} (SELECT value FROM json_each(?)))`;
    }
    default:
      return undefined;
  }
}

/** CouchDB `$in`: for an array-valued field, any element equal to any value; else the value itself. */
function anyOf(f: FieldSql, values: readonly JsonValue[], params: unknown[]): string {
  if (values.length === 0) return '0';
  const inArray = `EXISTS (SELECT 1 FROM json_each(${f.value}) AS e WHERE ${equalsAny({ type: 'e.type', value: 'e.value' }, values, params)})`;
  return `(CASE WHEN ${f.type} IS 'array' THEN ${inArray} ELSE ${equalsAny(f, values, params)} END)`;
}

function regex(f: FieldSql, pattern: string, params: unknown[]): string {
  params.push(pattern);
  return `(${f.type} IS 'text' AND weft_regexp(?, ${f.value}))`;
}

/** CouchDB's `$type` names (mango_json:type) as SQLite JSON types. */
const JSON_TYPES: Readonly<Record<string, readonly string[]>> = {
  null: ['null'],
  boolean: ['true', 'false'],
  number: ['integer', 'real'],
  string: ['text'],
  array: ['array'],
  object: ['object'],
};

function typeIs(f: FieldSql, type: string): string {
  const types = Object.hasOwn(JSON_TYPES, type) ? JSON_TYPES[type] : [];
  return types.length === 0 ? '0' : `(${f.type} IS NOT NULL AND ${f.type} IN (${types.map(sqlText).join(', ')}))`;
}

const INT64 = { min: -(2n ** 63n), max: 2n ** 63n - 1n };

/** Erlang's exact term equality (`lists:member`), on an element `json_each` walks as `alias`. */
function sameTerm(alias: string, v: JsonValue, params: unknown[]): string {
  if (v === null || typeof v === 'boolean') return `(${alias}.type = '${String(v)}')`;
  // SQLite holds no integer beyond 64 bits exactly, so no element can be one.
  if (typeof v === 'bigint' && (v < INT64.min || v > INT64.max)) return '0';
  if (typeof v !== 'object') {
    params.push(v);
    // A JSON number beyond 2^53 that parsed to a double, not a BigInt, was written as a float (1e300).
    const type = typeof v === 'string' ? 'text' : typeof v === 'bigint' || Number.isSafeInteger(v) ? 'integer' : 'real';
    return `(${alias}.type = '${type}' AND ${alias}.value = ?)`;
  }
  params.push(jsonText(v));
  return `(${alias}.type = '${Array.isArray(v) ? 'array' : 'object'}' AND json(${alias}.value) = json(?))`;
}

/**
 * CouchDB `$all`: an array field holding each value (exactly, as `lists:member`), or one equal to
 * the only value when that value is an array. `json_each` and `json_array_length` only ever see
 * JSON text: the CASE tests the type first.
 */
function allOf(f: FieldSql, values: readonly JsonValue[], ctx: SelectorContext): string {
  if (values.length === 0) return '0';
  const members = values.map((v) => ctx.budget.charge(`EXISTS (SELECT 1 FROM json_each(${f.value}) AS e WHERE ${sameTerm('e', v, ctx.params)})`));
  let whole = '';
  if (values.length === 1 && Array.isArray(values[0])) {
    ctx.params.push(couchCollationKey(values[0]));
    whole = ` OR ${keyOf(f)} IS ?`;
  }
  return `(CASE WHEN ${f.type} IS 'array' THEN (${balanced(members, 'AND')}${whole}) ELSE 0 END)`;
}

/** `$elemMatch`, `$allMatch`, `$keyMapMatch`: the clause on each element (member name), walked as `m<depth>`. */
function matchEach(sel: Extract<Selector, { op: MatchOp }>, f: FieldSql, ctx: SelectorContext, depth: number): string {
  const alias = `m${depth + 1}`;
  const each = ctx.budget.charge(`json_each(${f.value}) AS ${alias}`);
  if (sel.op === '$keyMapMatch') {
    const onName = compile(sel.clause, ctx, memberNameRoot(alias), depth + 1);
    return `(CASE WHEN ${ctx.budget.charge(f.type)} IS 'object' THEN EXISTS (SELECT 1 FROM ${each} WHERE ${onName}) ELSE 0 END)`;
  }
  const onElement = compile(sel.clause, ctx, elementRoot(alias), depth + 1);
  const isArray = `${ctx.budget.charge(f.type)} IS 'array'`;
  if (sel.op === '$elemMatch') return `(CASE WHEN ${isArray} THEN EXISTS (SELECT 1 FROM ${each} WHERE ${onElement}) ELSE 0 END)`;
  return `(CASE WHEN ${isArray} THEN json_array_length(${ctx.budget.charge(f.value)}) > 0 AND NOT EXISTS (SELECT 1 FROM ${each} WHERE NOT ${onElement}) ELSE 0 END)`;
}

/**
 * The clauses of an `$or` (`$and`), the `$eq`s (`$ne`s) of one field among them as one
 * {@link equalsAny} (`_id`'s as one key lookup): a batch lookup is written as `$in` or as `$or`,
 * and `$nor` or a negated `$or` gives the `$and` of `$ne`s. Each of its comparisons with a value of
 * its own would cost SQLite more than linearly to prepare.
 */
function combined(op: '$and' | '$or', clauses: readonly Selector[], ctx: SelectorContext, root: FieldRoot, depth: number): string[] {
  const member = op === '$or' ? '$eq' : '$ne';
  const values = new Map<string, JsonValue[]>();
  const pathKey = (path: FieldPath): string => JSON.stringify(path);
  for (const c of clauses) {
    if (c.op !== member) continue;
    const known = values.get(pathKey(c.path));
    if (known === undefined) values.set(pathKey(c.path), [c.value]);
    else known.push(c.value);
  }
  const out: string[] = [];
  for (const c of clauses) {
    const all = c.op === member ? values.get(pathKey(c.path)) : undefined;
    if ((c.op !== '$eq' && c.op !== '$ne') || all === undefined || all.length === 1) {
      out.push(compile(c, ctx, root, depth));
      continue;
    }
    // Emitted where the field's first such clause was.
    if (all.length === 0) continue;
    values.set(pathKey(c.path), []);
    const { path } = c;
    const onKey = root === DOCUMENT && isDocId(path) ? docIdCondition({ op: op === '$or' ? '$in' : '$nin', path, values: all }, ctx.params) : undefined;
    if (onKey !== undefined) out.push(ctx.budget.charge(onKey));
    else if (op === '$or') out.push(ctx.budget.charge(equalsAny(fieldOf(path, root, ctx), all, ctx.params, seeks(path, root, ctx))));
    else {
      const f = fieldSql(path, root);
      out.push(ctx.budget.charge(`(${f.type} IS NOT NULL AND NOT ${equalsAny(f, all, ctx.params)})`));
    }
  }
  return out;
}

/** `sel` as SQL over `root`, the document or what a `$elemMatch` walks `depth` levels down. */
export function compile(sel: Selector, ctx: SelectorContext, root: FieldRoot = DOCUMENT, depth = 0): string {
  const { params, budget } = ctx;
  if ('path' in sel && root === DOCUMENT && isDocId(sel.path)) {
    const sql = docIdCondition(sel, params);
    if (sql !== undefined) return budget.charge(sql);
  }
  switch (sel.op) {
    case '$and':
      if (sel.clauses.length === 0) return '1';
      return balanced(combined('$and', sel.clauses, ctx, root, depth), 'AND');
    case '$or':
      if (sel.clauses.length === 0) return sel.vacuous ? '1' : '0';
      return balanced(combined('$or', sel.clauses, ctx, root, depth), 'OR');
    case '$not':
      return `(${budget.charge(fieldSql(sel.clause.path, root).type)} IS NOT NULL AND NOT ${compile(sel.clause, ctx, root, depth)})`;
    case '$eq':
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte':
      return budget.charge(compare(fieldOf(sel.path, root, ctx), sel.op, sel.value, params, seeks(sel.path, root, ctx)));
    case '$ne': {
      const f = fieldSql(sel.path, root);
      return budget.charge(`(${f.type} IS NOT NULL AND NOT ${compare(f, '$eq', sel.value, params, false)})`);
    }
    case '$in':
      return budget.charge(anyOf(fieldSql(sel.path, root), sel.values, params));
    case '$nin': {
      const f = fieldSql(sel.path, root);
      return budget.charge(`(${f.type} IS NOT NULL AND NOT ${anyOf(f, sel.values, params)})`);
    }
    case '$exists':
      return sel.exists ? budget.charge(`(${fieldSql(sel.path, root).type} IS NOT NULL)`) : notFoundSql(sel.path, root, (sql) => budget.charge(sql));
    case '$regex':
      return budget.charge(regex(fieldSql(sel.path, root), sel.pattern, params));
    case '$type':
      return budget.charge(typeIs(fieldSql(sel.path, root), sel.type));
    case '$size': {
      const f = fieldSql(sel.path, root);
      params.push(sel.size);
      return budget.charge(`(CASE WHEN ${f.type} IS 'array' THEN json_array_length(${f.value}) = ? ELSE 0 END)`);
    }
    case '$mod': {
      // Integers only, as Erlang's `rem`, whose remainder takes the dividend's sign, as SQLite's `%`.
      const f = fieldSql(sel.path, root);
      params.push(sel.divisor, sel.remainder);
      return budget.charge(`(CASE WHEN ${f.type} IS 'integer' THEN ${f.value} % ? = ? ELSE 0 END)`);
    }
    case '$all':
      return allOf(fieldSql(sel.path, root), sel.values, ctx);
    case '$elemMatch':
    case '$allMatch':
    case '$keyMapMatch':
      return matchEach(sel, fieldSql(sel.path, root), ctx, depth);
  }
}
