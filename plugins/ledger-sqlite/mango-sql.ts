import type { FieldPath, JsonValue, RichQuery, Selector, SortField } from '../../core/ledger/rich-query';

/**
 * Translates a parsed Mango selector to a SQLite JSON1 condition over the `j` column. Values are
 * always bound parameters; JSON paths are literals (an expression index only matches a query whose
 * expression is textually identical) built from segments the core parser already restricted to
 * characters that cannot leave a quoted JSON path label or SQL string.
 *
 * Every leaf yields 0 or 1, never NULL (`IS` comparisons), so `$not` matches documents lacking
 * the field, as in CouchDB.
 *
 * Known differences from CouchDB: strings compare and sort in UTF-8 byte order (CouchDB uses ICU
 * collation); `$gt`-style operators compare within one type only (strings with strings, numbers
 * with numbers) instead of CouchDB's cross-type collation; `$regex` is a JavaScript `u` regex
 * (CouchDB: Erlang PCRE); `$eq` on arrays and objects compares minified JSON, so key order matters.
 */
export interface CompiledQuery {
  readonly sql: string;
  readonly params: unknown[];
}

export function jsonPath(path: FieldPath): string {
  return `'$${path.map((s) => `."${s}"`).join('')}'`;
}

export function fieldExpr(path: FieldPath): string {
  return `json_extract(j, ${jsonPath(path)})`;
}

function typeExpr(path: FieldPath): string {
  return `json_type(j, ${jsonPath(path)})`;
}

const SQL_OP = { $eq: '=', $ne: '<>', $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' } as const;

function equals(path: FieldPath, value: JsonValue, params: unknown[]): string {
  const t = typeExpr(path);
  if (value === null) return `(${t} IS 'null')`;
  if (value === true) return `(${t} IS 'true')`;
  if (value === false) return `(${t} IS 'false')`;
  if (typeof value === 'string') {
    params.push(value);
    return `(${t} IS 'text' AND ${fieldExpr(path)} = ?)`;
  }
  if (typeof value === 'number') {
    params.push(value);
    return `((${t} IS 'integer' OR ${t} IS 'real') AND ${fieldExpr(path)} = ?)`;
  }
  params.push(JSON.stringify(value));
  return `(${t} IS '${Array.isArray(value) ? 'array' : 'object'}' AND ${fieldExpr(path)} = json(?))`;
}

function compile(sel: Selector, params: unknown[]): string {
  switch (sel.op) {
    case '$and':
    case '$or':
      if (sel.clauses.length === 0) return sel.op === '$and' ? '1' : '0';
      return `(${sel.clauses.map((c) => compile(c, params)).join(sel.op === '$and' ? ' AND ' : ' OR ')})`;
    case '$not':
      return `(NOT ${compile(sel.clause, params)})`;
    case '$eq':
      return equals(sel.path, sel.value, params);
    case '$ne':
      return `(${typeExpr(sel.path)} IS NOT NULL AND NOT ${equals(sel.path, sel.value, params)})`;
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte': {
      const t = typeExpr(sel.path);
      params.push(sel.value);
      const typeOk = typeof sel.value === 'string' ? `${t} IS 'text'` : `(${t} IS 'integer' OR ${t} IS 'real')`;
      return `(${typeOk} AND ${fieldExpr(sel.path)} ${SQL_OP[sel.op]} ?)`;
    }
    case '$in':
    case '$nin': {
      const any = sel.values.length === 0 ? '0' : `(${sel.values.map((v) => equals(sel.path, v, params)).join(' OR ')})`;
      return sel.op === '$in' ? any : `(${typeExpr(sel.path)} IS NOT NULL AND NOT ${any})`;
    }
    case '$exists':
      return `(${typeExpr(sel.path)} IS ${sel.exists ? 'NOT NULL' : 'NULL'})`;
    case '$regex':
      params.push(sel.pattern);
      return `(${typeExpr(sel.path)} IS 'text' AND weft_regexp(?, ${fieldExpr(sel.path)}))`;
  }
}

export function orderBy(sort: readonly SortField[] | undefined): string {
  const terms = (sort ?? []).map((s) => `${fieldExpr(s.path)} ${s.direction === 'desc' ? 'DESC' : 'ASC'}`);
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
  if (sel.op === '$gt' || sel.op === '$gte' || sel.op === '$lt' || sel.op === '$lte') return [sel.path];
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
