import type { FieldPath, JsonValue, RichQuery, Selector, SortField } from '../../core/ledger/rich-query';
import { couchCollationKey } from './couch-collation';
import { fieldSql, notFoundSql, rankSql, type FieldSql } from './mango-field';

export { fieldExpr } from './mango-field';

/**
 * Translates a parsed Mango selector to a SQLite JSON1 condition over the `j` column, with CouchDB's
 * matching rules (mango_selector.erl): every condition but `$exists: false` needs its field to
 * exist (the core parser already pushed `$not` down into the leaves); `$in`/`$nin` match any element
 * of an array-valued field while `$eq`/`$ne` compare whole values; ordering operators and `sort`
 * follow CouchDB's collation across types (null < false < true < numbers < strings < arrays <
 * objects), so `{"$lt": 4}` also matches null and booleans. Values are always bound parameters.
 * Every condition yields 0 or 1, never NULL.
 *
 * `$regex` runs CouchDB's PCRE dialect on the value's UTF-8 bytes (core/ledger/couch-regex.ts).
 *
 * Known differences from CouchDB: strings compare and sort in UTF-8 byte order (CouchDB uses ICU
 * collation); objects compare property by property in JavaScript's order, which puts integer-like
 * keys first.
 */
export interface CompiledQuery {
  readonly sql: string;
  readonly params: unknown[];
}

const SQL_OP = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' } as const;
type OrderOp = keyof typeof SQL_OP;

function rankOf(v: JsonValue): number {
  if (v === null) return 0;
  if (v === false) return 1;
  if (v === true) return 2;
  if (typeof v === 'number') return 3;
  if (typeof v === 'string') return 4;
  return Array.isArray(v) ? 5 : 6;
}

/** Arrays and objects compare through their collation key (`weft_couch_key`); see couch-collation.ts. */
function keyOf(f: FieldSql): string {
  return `weft_couch_key(${f.type}, ${f.value})`;
}

function equals(f: FieldSql, value: JsonValue, params: unknown[]): string {
  if (value === null) return `(${f.type} IS 'null')`;
  if (value === true) return `(${f.type} IS 'true')`;
  if (value === false) return `(${f.type} IS 'false')`;
  if (typeof value === 'string') {
    params.push(value);
    return `(${f.type} IS 'text' AND ${f.value} = ?)`;
  }
  if (typeof value === 'number') {
    params.push(value);
    return `((${f.type} IS 'integer' OR ${f.type} IS 'real') AND ${f.value} = ?)`;
  }
  params.push(couchCollationKey(value));
  return `(${f.type} IS '${Array.isArray(value) ? 'array' : 'object'}' AND ${keyOf(f)} = ?)`;
}

/**
 * A superset of `$gt`/`$gte` a `json_extract` index can seek: SQLite orders numbers below text, and
 * array and object text starts with '[' or '{'. There is none for `$lt`/`$lte`, whose matches
 * include null, which the index holds as SQL NULL below every number.
 */
function seekTerm(f: FieldSql, op: OrderOp, value: JsonValue, params: unknown[]): string | undefined {
  if (op === '$lt' || op === '$lte') return undefined;
  if (typeof value === 'number' || (typeof value === 'string' && value < '[')) {
    params.push(value);
    return `${f.value} ${SQL_OP[op]} ?`;
  }
  if (typeof value === 'string') return `${f.value} >= '['`;
  return undefined;
}

function ordering(f: FieldSql, op: OrderOp, value: JsonValue, params: unknown[]): string {
  const seek = seekTerm(f, op, value, params);
  const r = rankOf(value);
  let sameRank: string;
  if (r <= 2) sameRank = op === '$gte' || op === '$lte' ? '1' : '0';
  else if (r <= 4) {
    params.push(value);
    sameRank = `${f.value} ${SQL_OP[op]} ?`;
  } else {
    params.push(couchCollationKey(value));
    sameRank = `${keyOf(f)} ${SQL_OP[op]} ?`;
  }
  const rank = rankSql(f.type);
  const cross = op === '$gt' || op === '$gte' ? '>' : '<';
  const exact = `(${f.type} IS NOT NULL AND (${rank} ${cross} ${r} OR (${rank} = ${r} AND ${sameRank})))`;
  return seek === undefined ? exact : `(${seek} AND ${exact})`;
}

/** CouchDB `$in`: for an array-valued field, any element equal to any value; else the value itself. */
function anyOf(f: FieldSql, values: readonly JsonValue[], params: unknown[]): string {
  if (values.length === 0) return '0';
  const any = (g: FieldSql): string => `(${values.map((v) => equals(g, v, params)).join(' OR ')})`;
  const inArray = `EXISTS (SELECT 1 FROM json_each(${f.value}) AS e WHERE ${any({ type: 'e.type', value: 'e.value' })})`;
  return `(CASE WHEN ${f.type} IS 'array' THEN ${inArray} ELSE ${any(f)} END)`;
}

function regex(f: FieldSql, pattern: string, params: unknown[]): string {
  params.push(pattern);
  return `(${f.type} IS 'text' AND weft_regexp(?, ${f.value}))`;
}

function compile(sel: Selector, params: unknown[]): string {
  switch (sel.op) {
    case '$and':
    case '$or':
      if (sel.clauses.length === 0) return sel.op === '$and' ? '1' : '0';
      return `(${sel.clauses.map((c) => compile(c, params)).join(sel.op === '$and' ? ' AND ' : ' OR ')})`;
    case '$not': {
      const f = fieldSql(sel.clause.path);
      return `(${f.type} IS NOT NULL AND NOT ${regex(f, sel.clause.pattern, params)})`;
    }
    case '$eq':
      return equals(fieldSql(sel.path), sel.value, params);
    case '$ne': {
      const f = fieldSql(sel.path);
      return `(${f.type} IS NOT NULL AND NOT ${equals(f, sel.value, params)})`;
    }
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte':
      return ordering(fieldSql(sel.path), sel.op, sel.value, params);
    case '$in':
      return anyOf(fieldSql(sel.path), sel.values, params);
    case '$nin': {
      const f = fieldSql(sel.path);
      return `(${f.type} IS NOT NULL AND NOT ${anyOf(f, sel.values, params)})`;
    }
    case '$exists':
      return sel.exists ? `(${fieldSql(sel.path).type} IS NOT NULL)` : notFoundSql(sel.path);
    case '$regex':
      return regex(fieldSql(sel.path), sel.pattern, params);
  }
}

/**
 * CouchDB collation: by type rank, then within the type (numbers numerically, strings by UTF-8
 * bytes, arrays and objects by their collation key). Documents without the field come first
 * ascending, last descending; ties by key.
 */
export function orderBy(sort: readonly SortField[] | undefined): string {
  const terms = (sort ?? []).flatMap((s) => {
    const f = fieldSql(s.path);
    const dir = s.direction === 'desc' ? 'DESC' : 'ASC';
    return [`${rankSql(f.type)} ${dir}`, `coalesce(${keyOf(f)}, ${f.value}) ${dir}`];
  });
  terms.push('key ASC');
  return terms.join(', ');
}

/** A declared index as the planner helper sees it: its SQL name and leading field. */
export interface IndexChoice {
  readonly sqlName: string;
  readonly firstField: FieldPath;
}

function samePath(a: FieldPath, b: FieldPath): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

/** Top-level conjuncts that constrain a field with a comparison SQLite can seek an index on. */
function seekablePaths(sel: Selector): FieldPath[] {
  if (sel.op === '$and') return sel.clauses.flatMap(seekablePaths);
  if (sel.op === '$eq' && (typeof sel.value === 'string' || typeof sel.value === 'number')) return [sel.path];
  if ((sel.op === '$gt' || sel.op === '$gte') && (typeof sel.value === 'string' || typeof sel.value === 'number')) return [sel.path];
  return [];
}

/**
 * The declared index to force for a selector, as CouchDB picks an index whose first field the
 * selector constrains. Forced because without table statistics SQLite's planner prefers the primary
 * key's namespace prefix over an expression index it cannot cost.
 */
export function chooseIndex(query: RichQuery, indexes: readonly IndexChoice[]): string | undefined {
  const paths = seekablePaths(query.selector);
  return indexes.find((ix) => paths.some((p) => samePath(p, ix.firstField)))?.sqlName;
}

/** `SELECT` of matching rows of one namespace; parameters: ns, selector values, limit, offset. */
export function compileRichQuery(query: RichQuery, indexName?: string): CompiledQuery {
  const params: unknown[] = [];
  const where = compile(query.selector, params);
  const from = indexName === undefined ? 'state' : `state INDEXED BY ${indexName}`;
  const sql =
    `SELECT key, value, block_num, tx_num, metadata FROM ${from} WHERE ns = ? AND j IS NOT NULL AND ` +
    `${where} ORDER BY ${orderBy(query.sort)} LIMIT ? OFFSET ?`;
  return { sql, params };
}
