import { isDocId, isInsideDocId } from '../../core/ledger/mango-index-use';
import { arrayIndex, isElementIndex, type FieldPath } from '../../core/ledger/rich-query';

/**
 * SQL expressions for a Mango field of the `j` column, resolved as CouchDB's mango_doc:get_field
 * does: a segment names an object's property or, when the value so far is an array and the segment
 * an integer, an element (`tags.0`). JSON paths are literals (an expression index only matches a
 * query whose expression is textually identical) built from segments the core parser restricted to
 * characters that cannot leave a quoted JSON path label (no `"`), in SQL strings that double `'`.
 */
export interface FieldSql {
  /** `json_type`: 'null' 'true' 'false' 'integer' 'real' 'text' 'array' 'object', NULL if absent. */
  readonly type: string;
  /** `json_extract`: the SQL value (booleans as 0/1, arrays and objects as JSON text). */
  readonly value: string;
}

/**
 * Where a path starts: the document (the `j` column), or what `$elemMatch` and its kind iterate
 * (an element of an array, a member name of an object), whose conditions are relative to it.
 */
export interface FieldRoot {
  /** SQL for the root's JSON text, NULL when it has no fields (a scalar). */
  readonly json: string;
  /** The root itself as a field, for an empty path. */
  readonly self: FieldSql;
  /** False for the document, which is an object: its first segment is always a property. */
  readonly mayBeArray: boolean;
}

export const DOCUMENT: FieldRoot = { json: 'j', self: { type: 'NULL', value: 'NULL' }, mayBeArray: false };

/** An element of an array that `json_each` walks as `alias`. */
export function elementRoot(alias: string): FieldRoot {
  const self = { type: `${alias}.type`, value: `${alias}.value` };
  return { json: `(CASE WHEN ${alias}.type IN ('object', 'array') THEN ${alias}.value END)`, self, mayBeArray: true };
}

/** A member name of an object that `json_each` walks as `alias`: a string, without fields. */
export function memberNameRoot(alias: string): FieldRoot {
  return { json: 'NULL', self: { type: "'text'", value: `${alias}.key` }, mayBeArray: false };
}

/** `text` as an SQL string literal; a JSON path's segment may hold a quote (`owner's`). */
export function sqlText(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * Builds an expression over the path's JSON path text. A path with integer segments branches on
 * whether the value before each such segment is an array (`$."tags"[0]`) or not (`$."tags"."0"`),
 * so every path has one expression, usable in an index.
 */
function resolve(path: FieldPath, root: FieldRoot, leaf: (jsonPath: string) => string): string {
  const go = (prefix: string, i: number): string => {
    if (i === path.length) return leaf(prefix);
    const seg = path[i];
    const asProperty = go(`${prefix}."${seg}"`, i + 1);
    const index = i === 0 && !root.mayBeArray ? undefined : arrayIndex(seg);
    if (index === undefined) return asProperty;
    const asElement = isElementIndex(index) ? go(`${prefix}[${index}]`, i + 1) : 'NULL';
    return `CASE json_type(${root.json}, ${sqlText(prefix)}) WHEN 'array' THEN ${asElement} ELSE ${asProperty} END`;
  };
  return go('$', 0);
}

/** `_id` is the key, a string every document has; a path into it goes nowhere. */
const DOC_ID: FieldSql = { type: "'text'", value: 'key' };
const NOWHERE: FieldSql = { type: 'NULL', value: 'NULL' };

export function fieldSql(path: FieldPath, root: FieldRoot = DOCUMENT): FieldSql {
  if (root === DOCUMENT && isDocId(path)) return DOC_ID;
  if (root === DOCUMENT && isInsideDocId(path)) return NOWHERE;
  if (path.length === 0) return root.self;
  return {
    type: resolve(path, root, (p) => `json_type(${root.json}, ${sqlText(p)})`),
    value: resolve(path, root, (p) => `json_extract(${root.json}, ${sqlText(p)})`),
  };
}

/**
 * `$exists: false` in CouchDB matches only when a property on the path is missing from an object
 * (`not_found`); a path that runs into a scalar or past an array's end is a `bad_path`, which fails
 * every condition, this one included.
 */
export function notFoundSql(path: FieldPath, root: FieldRoot = DOCUMENT): string {
  if (path.length === 0 || (root === DOCUMENT && (isDocId(path) || isInsideDocId(path)))) return '0';
  const go = (prefix: string, i: number): string => {
    if (i === path.length) return '0';
    const seg = path[i];
    const child = `${prefix}."${seg}"`;
    const asProperty = `(json_type(${root.json}, ${sqlText(child)}) IS NULL OR ${go(child, i + 1)})`;
    if (i === 0 && root === DOCUMENT) return asProperty;
    const index = arrayIndex(seg);
    const asElement = isElementIndex(index) ? go(`${prefix}[${index}]`, i + 1) : '0';
    return `(CASE json_type(${root.json}, ${sqlText(prefix)}) WHEN 'object' THEN ${asProperty} WHEN 'array' THEN ${asElement} ELSE 0 END)`;
  };
  return go('$', 0);
}
