import { isDocId } from '../../core/ledger/mango-index-use';
import { jsonText } from '../../core/ledger/mango-selector';
import type { FieldPath, JsonValue, MatchOp, RichQuery, Selector, SortField } from '../../core/ledger/rich-query';
import { couchCollationKey } from './couch-collation';
import { DOCUMENT, elementRoot, fieldSql, memberNameRoot, notFoundSql, sqlText, type FieldRoot, type FieldSql } from './mango-field';
import type { QueryPosition } from './query-position';

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
 * Known differences from CouchDB: objects compare property by property in JavaScript's order, which
 * puts integer-like keys first; integers beyond 2^63 in documents compare as doubles.
 */
export interface CompiledQuery {
  readonly sql: string;
  readonly params: unknown[];
}

const SQL_OP = { $eq: 'IS', $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' } as const;
type CompareOp = keyof typeof SQL_OP;

/** The field's collation key: NULL exactly when the field is absent. */
export function keyOf(f: FieldSql): string {
  return `weft_couch_key(${f.type}, ${f.value})`;
}

/**
 * `$eq` with `IS`, which is 0, not NULL, for an absent field; the orderings add a type test for that
 * (a key is NULL only when the type is). Both forms seek an index on the key.
 */
function compare(f: FieldSql, op: CompareOp, value: JsonValue, params: unknown[], seek = true): string {
  if (op === '$eq' && !seek && typeof value === 'string' && PLAIN_ASCII.test(value)) return equalsPlainString(f, value, params);
  params.push(couchCollationKey(value));
  return op === '$eq' ? `(${keyOf(f)} IS ?)` : `(${keyOf(f)} ${SQL_OP[op]} ? AND ${f.type} IS NOT NULL)`;
}

/** Printable ASCII, which ICU's root collation tells apart at every strength a string of it differs. */
const PLAIN_ASCII = /^[ -~]*$/;

/**
 * `$eq` of a printable-ASCII string where no index is to be sought: a string ICU calls equal to it
 * is that very string, or holds some other character (an ignorable one such as U+0000, another
 * form of a letter), and only then is its collation key worth computing, about 2.5 µs a row.
 */
function equalsPlainString(f: FieldSql, value: string, params: unknown[]): string {
  params.push(value, couchCollationKey(value));
  // GLOB finds a character outside space..tilde but stops at U+0000, which only counting finds.
  const other = `(${f.value} GLOB '*[^ -~]*' OR length(${f.value}) < length(CAST(${f.value} AS BLOB)))`;
  return `(${f.type} IS 'text' AND (${f.value} = ? OR (${other} AND ${keyOf(f)} IS ?)))`;
}

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
      params.push(...keys);
      return `(key ${sel.op === '$in' ? 'IN' : 'NOT IN'} (${keys.map(() => '?').join(', ')}))`;
    }
    default:
      return undefined;
  }
}

/** CouchDB `$in`: for an array-valued field, any element equal to any value; else the value itself. */
function anyOf(f: FieldSql, values: readonly JsonValue[], params: unknown[]): string {
  if (values.length === 0) return '0';
  const any = (g: FieldSql): string => `(${values.map((v) => compare(g, '$eq', v, params, false)).join(' OR ')})`;
  const inArray = `EXISTS (SELECT 1 FROM json_each(${f.value}) AS e WHERE ${any({ type: 'e.type', value: 'e.value' })})`;
  return `(CASE WHEN ${f.type} IS 'array' THEN ${inArray} ELSE ${any(f)} END)`;
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
function allOf(f: FieldSql, values: readonly JsonValue[], params: unknown[]): string {
  if (values.length === 0) return '0';
  const members = values.map((v) => `EXISTS (SELECT 1 FROM json_each(${f.value}) AS e WHERE ${sameTerm('e', v, params)})`).join(' AND ');
  let whole = '';
  if (values.length === 1 && Array.isArray(values[0])) {
    params.push(couchCollationKey(values[0]));
    whole = ` OR ${keyOf(f)} IS ?`;
  }
  return `(CASE WHEN ${f.type} IS 'array' THEN (${members}${whole}) ELSE 0 END)`;
}

/** `$elemMatch`, `$allMatch`, `$keyMapMatch`: the clause on each element (member name), walked as `m<depth>`. */
function matchEach(sel: Extract<Selector, { op: MatchOp }>, f: FieldSql, params: unknown[], depth: number): string {
  const alias = `m${depth + 1}`;
  const each = `json_each(${f.value}) AS ${alias}`;
  if (sel.op === '$keyMapMatch') {
    const onName = compile(sel.clause, params, memberNameRoot(alias), depth + 1);
    return `(CASE WHEN ${f.type} IS 'object' THEN EXISTS (SELECT 1 FROM ${each} WHERE ${onName}) ELSE 0 END)`;
  }
  const onElement = compile(sel.clause, params, elementRoot(alias), depth + 1);
  if (sel.op === '$elemMatch') return `(CASE WHEN ${f.type} IS 'array' THEN EXISTS (SELECT 1 FROM ${each} WHERE ${onElement}) ELSE 0 END)`;
  return `(CASE WHEN ${f.type} IS 'array' THEN json_array_length(${f.value}) > 0 AND NOT EXISTS (SELECT 1 FROM ${each} WHERE NOT ${onElement}) ELSE 0 END)`;
}

/**
 * `sel` as SQL over `root`, the document or what a `$elemMatch` walks `depth` levels down.
 * Comparisons of `indexed` fields keep the form the forced index seeks.
 */
function compile(sel: Selector, params: unknown[], root: FieldRoot = DOCUMENT, depth = 0, indexed: readonly FieldPath[] = []): string {
  if ('path' in sel && root === DOCUMENT && isDocId(sel.path)) {
    const sql = docIdCondition(sel, params);
    if (sql !== undefined) return sql;
  }
  switch (sel.op) {
    case '$and':
    case '$or':
      if (sel.clauses.length === 0) return sel.op === '$and' || sel.vacuous ? '1' : '0';
      return `(${sel.clauses.map((c) => compile(c, params, root, depth, indexed)).join(sel.op === '$and' ? ' AND ' : ' OR ')})`;
    case '$not':
      return `(${fieldSql(sel.clause.path, root).type} IS NOT NULL AND NOT ${compile(sel.clause, params, root, depth)})`;
    case '$eq':
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte':
      return compare(fieldSql(sel.path, root), sel.op, sel.value, params, root === DOCUMENT && indexed.some((p) => samePath(p, sel.path)));
    case '$ne': {
      const f = fieldSql(sel.path, root);
      return `(${f.type} IS NOT NULL AND NOT ${compare(f, '$eq', sel.value, params, false)})`;
    }
    case '$in':
      return anyOf(fieldSql(sel.path, root), sel.values, params);
    case '$nin': {
      const f = fieldSql(sel.path, root);
      return `(${f.type} IS NOT NULL AND NOT ${anyOf(f, sel.values, params)})`;
    }
    case '$exists':
      return sel.exists ? `(${fieldSql(sel.path, root).type} IS NOT NULL)` : notFoundSql(sel.path, root);
    case '$regex':
      return regex(fieldSql(sel.path, root), sel.pattern, params);
    case '$type':
      return typeIs(fieldSql(sel.path, root), sel.type);
    case '$size': {
      const f = fieldSql(sel.path, root);
      params.push(sel.size);
      return `(CASE WHEN ${f.type} IS 'array' THEN json_array_length(${f.value}) = ? ELSE 0 END)`;
    }
    case '$mod': {
      // Integers only, as Erlang's `rem`, whose remainder takes the dividend's sign, as SQLite's `%`.
      const f = fieldSql(sel.path, root);
      params.push(sel.divisor, sel.remainder);
      return `(CASE WHEN ${f.type} IS 'integer' THEN ${f.value} % ? = ? ELSE 0 END)`;
    }
    case '$all':
      return allOf(fieldSql(sel.path, root), sel.values, params);
    case '$elemMatch':
    case '$allMatch':
    case '$keyMapMatch':
      return matchEach(sel, fieldSql(sel.path, root), params, depth);
  }
}

/** What a sort field orders by: its collation key, or for `_id` the key's bytes (raw collation). */
function sortKeyOf(path: FieldPath): string {
  return isDocId(path) ? 'CAST(key AS BLOB)' : keyOf(fieldSql(path));
}

/**
 * By each field's sort key ({@link sortKeyOf}), then the key. Documents without a sort field
 * (NULL) would come first ascending and last descending, but a sorted query answers only those
 * that have its sort fields (mango-index-use.ts).
 */
export function orderBy(sort: readonly SortField[] | undefined): string {
  // `key` orders as its bytes do, and as itself it lets the primary key give the order.
  const terms = (sort ?? []).map((s) => `${isDocId(s.path) ? 'key' : sortKeyOf(s.path)} ${s.direction === 'desc' ? 'DESC' : 'ASC'}`);
  terms.push('key ASC');
  return terms.join(', ');
}

/** A declared index as the planner helper sees it: its SQL name and leading field. */
export interface IndexChoice {
  readonly sqlName: string;
  readonly firstField: FieldPath;
  /** All its fields, whose comparisons keep the form it seeks (only the first when absent). */
  readonly paths?: readonly FieldPath[];
}

function samePath(a: FieldPath, b: FieldPath): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

/**
 * Top-level conjuncts that constrain a field with a comparison SQLite can seek an index on; not
 * `_id`, whose comparisons seek the primary key (see {@link docIdCondition}).
 */
function seekablePaths(sel: Selector): FieldPath[] {
  switch (sel.op) {
    case '$and':
      return sel.clauses.flatMap(seekablePaths);
    case '$eq':
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte':
      return isDocId(sel.path) ? [] : [sel.path];
    default:
      return [];
  }
}

/**
 * The declared index to force for a selector, as CouchDB picks an index whose first field the
 * selector constrains. Forced because without table statistics SQLite's planner prefers the primary
 * key's namespace prefix over an expression index it cannot cost.
 */
export function chooseIndex<T extends IndexChoice>(query: RichQuery, indexes: readonly T[]): T | undefined {
  const paths = seekablePaths(query.selector);
  return indexes.find((ix) => paths.some((p) => samePath(p, ix.firstField)));
}

/**
 * Rows after `position` in the order of {@link orderBy}: a later key in the first sort field that
 * differs, or the same keys and a later state key. Absent fields (NULL keys) come first ascending
 * and last descending. For an ascending first field, a plain range on it lets an index seek.
 */
function afterSql(sort: readonly SortField[], position: QueryPosition, params: unknown[]): string {
  const go = (i: number): string => {
    if (i === sort.length) {
      params.push(position.key);
      return 'key > ?';
    }
    const k = sortKeyOf(sort[i].path);
    const last = position.sortKeys[i];
    const desc = sort[i].direction === 'desc';
    if (last === null) return desc ? `(${k} IS NULL AND ${go(i + 1)})` : `(${k} IS NOT NULL OR ${go(i + 1)})`;
    params.push(last);
    const beyond = desc ? `${k} < ? OR ${k} IS NULL` : `${k} > ?`;
    params.push(last);
    return `(${beyond} OR (${k} = ? AND ${go(i + 1)}))`;
  };
  const first = sort[0];
  const last = position.sortKeys[0];
  if (first === undefined || first.direction === 'desc' || last === null) return go(0);
  params.push(last);
  return `${sortKeyOf(first.path)} >= ? AND ${go(0)}`;
}


/** Whether a condition of the selector is on `_id`, the key, which the primary key seeks. */
function onDocId(sel: Selector): boolean {
  switch (sel.op) {
    case '$and':
    case '$or':
      return sel.clauses.some(onDocId);
    case '$not':
      return isDocId(sel.clause.path);
    default:
      return isDocId(sel.path);
  }
}

/**
 * `SELECT` of matching rows of `namespace`, each with its sort fields' keys after its columns;
 * parameters: selector values (and position), limit, offset. The namespace is a literal, not a
 * parameter: only then may the planner use a declared index, which covers its namespace alone.
 *
 * A query no index serves reads the namespace's rows through a subquery that SQLite runs as a
 * co-routine (`LIMIT -1 OFFSET 0` keeps it from being flattened), so each row's `j` is computed
 * once rather than once per mention: a third of the CPU of a scan that compares a few fields. It
 * yields rows in key order, so the outer query needs no sort for it, and a bookmark of an unsorted
 * query still seeks the primary key. Not for `_id` conditions, which seek the primary key too.
 */
export function compileRichQuery(namespace: string, query: RichQuery, index?: IndexChoice, after?: QueryPosition): CompiledQuery {
  const sort = query.sort ?? [];
  const scan = index === undefined && !onDocId(query.selector);
  const params: unknown[] = [];
  let where = compile(query.selector, params, DOCUMENT, 0, index?.paths ?? (index === undefined ? [] : [index.firstField]));
  const ns = sqlText(namespace);
  let from = index === undefined ? 'state' : `state INDEXED BY ${index.sqlName}`;
  let first: unknown[] = [];
  if (scan) {
    const resume = after !== undefined && sort.length === 0 ? ' AND key > ?' : '';
    if (resume !== '') first = [after?.key];
    from = `(SELECT key, value, block_num, tx_num, metadata, j FROM state WHERE ns = ${ns}${resume} ORDER BY key LIMIT -1 OFFSET 0)`;
  }
  if (after !== undefined && first.length === 0) where += ` AND ${afterSql(sort, after, params)}`;
  const sortKeys = sort.map((s) => `, ${sortKeyOf(s.path)}`).join('');
  const sql =
    `SELECT key, value, block_num, tx_num, metadata${sortKeys} FROM ${from} WHERE ${scan ? '' : `ns = ${ns} AND `}` +
    `${where} ORDER BY ${orderBy(sort)} LIMIT ? OFFSET ?`;
  return { sql, params: [...first, ...params] };
}
