import { isDocId } from '../../core/ledger/mango-index-use';
import type { FieldPath, RichQuery, Selector, SortField } from '../../core/ledger/rich-query';
import { DOCUMENT, fieldSql, indexableFieldSql, sqlText } from './mango-field';
import { compile, keyOf, samePath, SqlBudget, type SelectorContext } from './mango-sql';
import type { QueryPosition } from './query-position';

/** A rich query as one SQLite statement (mango-sql.ts has the selector's part). */
export interface CompiledQuery {
  readonly sql: string;
  readonly params: unknown[];
}

/**
 * What a sort field orders by: its collation key, or for `_id` the key's bytes (raw collation). A
 * field of the index the query seeks keeps the index's form, so the index gives the order.
 */
function sortKeyOf(path: FieldPath, indexed: readonly FieldPath[]): string {
  if (isDocId(path)) return 'CAST(key AS BLOB)';
  return keyOf(indexed.some((p) => samePath(p, path)) ? indexableFieldSql(path) : fieldSql(path));
}

/**
 * By each field's sort key ({@link sortKeyOf}), then the key. Documents without a sort field
 * (NULL) would come first ascending and last descending, but a sorted query answers only those
 * that have its sort fields (mango-index-use.ts).
 */
function orderBy(sort: readonly SortField[], indexed: readonly FieldPath[]): string {
  // `key` orders as its bytes do, and as itself it lets the primary key give the order.
  const terms = sort.map((s) => `${isDocId(s.path) ? 'key' : sortKeyOf(s.path, indexed)} ${s.direction === 'desc' ? 'DESC' : 'ASC'}`);
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

/**
 * Top-level conjuncts that constrain a field with a comparison SQLite can seek an index on; not
 * `_id`, whose comparisons seek the primary key.
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
function afterSql(sort: readonly SortField[], position: QueryPosition, ctx: SelectorContext): string {
  const { params } = ctx;
  const go = (i: number): string => {
    if (i === sort.length) {
      params.push(position.key);
      return 'key > ?';
    }
    const k = ctx.budget.charge(sortKeyOf(sort[i].path, ctx.indexed));
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
  return `${sortKeyOf(first.path, ctx.indexed)} >= ? AND ${go(0)}`;
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
 *
 * Throws `LEDGER_BAD_QUERY` when the statement would pass `MAX_QUERY_SQL_BYTES` or
 * `MAX_QUERY_PARAMETERS` (see `isBudgetError`); the fields of an index are spelled out in full, so
 * a query may fit without the index when it does not with it.
 */
export function compileRichQuery(namespace: string, query: RichQuery, index?: IndexChoice, after?: QueryPosition): CompiledQuery {
  const sort = query.sort ?? [];
  const scan = index === undefined && !onDocId(query.selector);
  const indexed = index === undefined ? [] : (index.paths ?? [index.firstField]);
  const ctx: SelectorContext = { params: [], budget: new SqlBudget(), indexed };
  let where = compile(query.selector, ctx, DOCUMENT, 0);
  const ns = sqlText(namespace);
  let from = index === undefined ? 'state' : `state INDEXED BY ${index.sqlName}`;
  let first: unknown[] = [];
  if (scan) {
    const resume = after !== undefined && sort.length === 0 ? ' AND key > ?' : '';
    if (resume !== '') first = [after?.key];
    from = `(SELECT key, value, block_num, tx_num, metadata, j FROM state WHERE ns = ${ns}${resume} ORDER BY key LIMIT -1 OFFSET 0)`;
  }
  if (after !== undefined && first.length === 0) where += ` AND ${afterSql(sort, after, ctx)}`;
  const sortKeys = sort.map((s) => `, ${ctx.budget.charge(sortKeyOf(s.path, indexed))}`).join('');
  const sql =
    `SELECT key, value, block_num, tx_num, metadata${sortKeys} FROM ${from} WHERE ${scan ? '' : `ns = ${ns} AND `}` +
    `${where} ORDER BY ${orderBy(sort, indexed)} LIMIT ? OFFSET ?`;
  const params = [...first, ...ctx.params];
  ctx.budget.check(sql, params);
  return { sql, params };
}
