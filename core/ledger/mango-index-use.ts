import { LedgerError } from '../errors';
import { DOC_ID_FIELD, designDocName, type FieldPath, type IndexDefinition, type RichQuery, type Selector } from './rich-query';

/**
 * Which documents a Mango query answers besides what its selector says, as CouchDB decides it by
 * the index it reads (mango_cursor.erl, mango_idx.erl, mango_idx_view.erl). A JSON index holds only
 * the documents that have every indexed field, and one with a `partial_filter_selector` only those
 * the filter matches. So:
 * - a sorted query answers only documents that have every sort field, since CouchDB sorts by
 *   reading an index on them (`_id`, the key, every document has);
 * - when `use_index` names a declared index that can serve the query ({@link isUsable}), the query
 *   answers only documents that index holds, so its partial filter joins the selector (and the
 *   existence of any indexed field only an empty `$or` covered). An index that cannot serve it is
 *   passed over, as CouchDB falls back to another, or the query is refused when it set
 *   `allow_fallback` to false. CouchDB never picks a partial index on its own.
 *
 * Weft needs no index to run a query, so it does not refuse a sort that no declared index serves,
 * as CouchDB does ("No index exists for this sort").
 */
export function selectorToRun(query: RichQuery, declared: readonly IndexDefinition[]): Selector {
  const clauses: Selector[] = [query.selector];
  for (const s of query.sort ?? []) {
    if (!isDocId(s.path)) clauses.push({ op: '$exists', path: s.path, exists: true });
  }
  const index = requestedIndex(query, declared);
  // The index holds only documents with every field it indexes. The selector requires them all, but
  // is_usable also lets an empty `$or` stand for them: those fields must then exist.
  if (index !== undefined) {
    const byKey = new Map(index.fields.map((f) => [pathKey(f.path), f.path]));
    for (const key of notRequired(query.selector, new Set(byKey.keys()), false)) {
      if (key !== DOC_ID_FIELD) clauses.push({ op: '$exists', path: byKey.get(key)!, exists: true });
    }
  }
  if (index?.partialFilter !== undefined) clauses.push(index.partialFilter.selector);
  return clauses.length === 1 ? clauses[0] : { op: '$and', clauses };
}

/** True for the path `_id`: the document id, which in a state database is the key. */
export function isDocId(path: FieldPath): boolean {
  return path.length === 1 && path[0] === DOC_ID_FIELD;
}

/** True when the path starts at `_id` and goes on: inside a string, so nowhere (CouchDB's `bad_path`). */
export function isInsideDocId(path: FieldPath): boolean {
  return path.length > 1 && path[0] === DOC_ID_FIELD;
}

/**
 * The declared index the query's `use_index` names, if one of those it names can serve the query.
 * Among several (a design document alone names all its indexes), CouchDB's choose_best_index
 * without its key-range comparison: fewest fields, then name.
 */
export function requestedIndex(query: RichQuery, declared: readonly IndexDefinition[]): IndexDefinition | undefined {
  const ref = query.useIndex;
  if (ref === undefined) return undefined;
  const sortPaths = (query.sort ?? []).map((s) => s.path);
  const usable = declared.filter(
    (d) => d.ddoc !== undefined && designDocName(d.ddoc) === ref.ddoc && (ref.name === undefined || d.name === ref.name) && isUsable(d, query.selector, sortPaths),
  );
  if (usable.length === 0) {
    if (query.allowFallback !== false) return undefined;
    const named = ref.name === undefined ? `_design/${ref.ddoc}` : `_design/${ref.ddoc}, ${ref.name}`;
    throw new LedgerError('LEDGER_BAD_QUERY', `use_index: ${named} is not a declared index that can serve this query, and allow_fallback is false`, {
      field: 'use_index',
      ddoc: ref.ddoc,
      ...(ref.name === undefined ? {} : { name: ref.name }),
    });
  }
  return usable.sort((a, b) => a.fields.length - b.fields.length || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))[0];
}

/** A path as one string, a dot inside a segment escaped so `["a.b"]` and `["a", "b"]` stay apart. */
const pathKey = (path: FieldPath): string => path.map((s) => s.replaceAll('.', '\\.')).join('.');

/**
 * mango_idx_view:is_usable: every indexed field but the sort fields (and `_id`) must be one the
 * selector requires to exist, and the sort must follow the index's fields, past leading fields the
 * selector holds constant.
 */
export function isUsable(index: IndexDefinition, selector: Selector, sortPaths: readonly FieldPath[]): boolean {
  const columns = index.fields.map((f) => pathKey(f.path));
  const sorted = new Set(sortPaths.map(pathKey));
  const required = new Set(columns.filter((c) => !sorted.has(c) && c !== DOC_ID_FIELD && c !== '_rev'));
  return notRequired(selector, required).size === 0 && canUseSort(columns, sortPaths.map(pathKey), selector);
}

/**
 * mango_selector:has_required_fields, as the fields it leaves uncovered: a field condition covers
 * its field unless it is `$exists: false`; an `$and` covers what any clause covers, an `$or` what
 * every clause covers, so an empty one covers everything, unless `vacuousOrCovers` is false: then
 * the result is the fields a document may lack and still match.
 */
function notRequired(sel: Selector, fields: ReadonlySet<string>, vacuousOrCovers = true): Set<string> {
  switch (sel.op) {
    case '$and':
      return sel.clauses.reduce((left, c) => notRequired(c, left, vacuousOrCovers), new Set(fields));
    case '$or':
      if (sel.vacuous && !vacuousOrCovers) return new Set(fields);
      return new Set(sel.clauses.flatMap((c) => [...notRequired(c, fields, vacuousOrCovers)]));
    case '$not':
      return without(fields, sel.clause.path);
    case '$exists':
      return sel.exists ? without(fields, sel.path) : new Set(fields);
    default:
      return without(fields, sel.path);
  }
}

function without(fields: ReadonlySet<string>, path: FieldPath): Set<string> {
  const left = new Set(fields);
  left.delete(pathKey(path));
  return left;
}

/** mango_idx_view:can_use_sort. */
function canUseSort(columns: readonly string[], sortFields: readonly string[], selector: Selector): boolean {
  if (sortFields.length === 0) return true;
  if (columns.length === 0) return false;
  if (columns[0] === sortFields[0]) return sortFields.length <= columns.length && sortFields.every((f, i) => columns[i] === f);
  return isConstantField(selector, columns[0]) && canUseSort(columns.slice(1), sortFields, selector);
}

/** mango_selector:is_constant_field: the selector (through `$and`) holds the field to one `$eq` value. */
function isConstantField(sel: Selector, field: string): boolean {
  if (sel.op === '$and') return sel.clauses.some((c) => isConstantField(c, field));
  return sel.op === '$eq' && pathKey(sel.path) === field;
}
