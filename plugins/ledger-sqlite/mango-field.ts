import { LedgerError } from '../../core/errors';
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

/**
 * `text` as an SQL string literal; a JSON path's segment may hold a quote (`owner's`). Throws
 * `LEDGER_BAD_QUERY` for a NUL: SQLite reads SQL text only up to one, so the statement would be
 * cut short inside the literal. The core parsers refuse it before; this keeps every caller safe.
 */
export function sqlText(text: string): string {
  if (text.includes('\u0000')) {
    throw new LedgerError('LEDGER_BAD_QUERY', `an SQL literal cannot hold a NUL character: ${JSON.stringify(text.slice(0, 64))}`, { text: text.slice(0, 64) });
  }
  return `'${text.replaceAll("'", "''")}'`;
}

/** The index a segment names where the value before it is an array; undefined where it can only be a property. */
function branchIndex(path: FieldPath, i: number, root: FieldRoot): number | undefined {
  return i === 0 && !root.mayBeArray ? undefined : arrayIndex(path[i]);
}

/** How many segments of the path may name an element or a property, as the value before them is an array or not. */
function branches(path: FieldPath, root: FieldRoot): number {
  let n = 0;
  for (let i = 0; i < path.length; i++) if (branchIndex(path, i, root) !== undefined) n++;
  return n;
}

/**
 * A path with up to this many branches is spelled out with every alternative (2^n of them), which
 * SQLite evaluates fastest; a longer one is walked (see {@link walkedPath}).
 */
const SPELLED_OUT_BRANCHES = 2;
/**
 * A walk nests a subquery per branch, and SQLite refuses an expression deeper than 1000 levels,
 * which a selector's own nesting also uses. A field name may hold 8 (mango-selector.ts), but
 * nested field objects join their names.
 */
export const MAX_WALKED_BRANCHES = 32;

/**
 * The path spelled out: every integer segment branches on whether the value before it is an array
 * (`$."tags"[0]`) or not (`$."tags"."0"`), both sides again at the next one, so the SQL doubles with
 * each. Declared indexes are over this form (their fields have at most 8 such segments), and a
 * query seeks one only with the same text.
 */
function resolve(path: FieldPath, root: FieldRoot, leaf: (jsonPath: string) => string): string {
  const go = (prefix: string, i: number): string => {
    if (i === path.length) return leaf(prefix);
    const seg = path[i];
    const asProperty = go(`${prefix}."${seg}"`, i + 1);
    const index = branchIndex(path, i, root);
    if (index === undefined) return asProperty;
    const asElement = isElementIndex(index) ? go(`${prefix}[${index}]`, i + 1) : 'NULL';
    return `CASE json_type(${root.json}, ${sqlText(prefix)}) WHEN 'array' THEN ${asElement} ELSE ${asProperty} END`;
  };
  return go('$', 0);
}

/**
 * The JSON path text (`$."tags"[0]."x"`) the path resolves to in the root, NULL where an index
 * addresses no element of an array, as one expression growing by one subquery per branch: each
 * decides on the type found at the path so far, which it reads once through `json_each` over a
 * one-element array (SQLite has no `LET`). Spelling the path out instead doubles the SQL per branch.
 * `onSegment` gets, before each segment, the path so far followed by a literal suffix, as SQL.
 */
function walkedPath(path: FieldPath, root: FieldRoot, onSegment?: (at: (suffix: string) => string, i: number) => void): string {
  const count = branches(path, root);
  if (count > MAX_WALKED_BRANCHES) {
    const field = path.join('.');
    throw new LedgerError(
      'LEDGER_BAD_QUERY',
      `selector: field ${JSON.stringify(field)} has ${count} integer (array index) segments, more than the ${MAX_WALKED_BRANCHES} a query may read through`,
      { field, limit: MAX_WALKED_BRANCHES },
    );
  }
  let resolved: string | undefined;
  let literal = '$';
  const at = (suffix: string): string => {
    const text = literal + suffix;
    return resolved === undefined ? sqlText(text) : text === '' ? resolved : `${resolved} || ${sqlText(text)}`;
  };
  path.forEach((seg, i) => {
    onSegment?.(at, i);
    const index = branchIndex(path, i, root);
    if (index === undefined) {
      literal += `."${seg}"`;
      return;
    }
    const asElement = isElementIndex(index) ? `w.value || '[${index}]'` : 'NULL';
    const asProperty = `w.value || ${sqlText(`."${seg}"`)}`;
    resolved = `(SELECT CASE json_type(${root.json}, w.value) WHEN 'array' THEN ${asElement} ELSE ${asProperty} END FROM json_each(json_array(${at('')})) AS w)`;
    literal = '';
  });
  return at('');
}

/** `_id` is the key, a string every document has; a path into it goes nowhere. */
const DOC_ID: FieldSql = { type: "'text'", value: 'key' };
const NOWHERE: FieldSql = { type: 'NULL', value: 'NULL' };

function special(path: FieldPath, root: FieldRoot): FieldSql | undefined {
  if (root === DOCUMENT && isDocId(path)) return DOC_ID;
  if (root === DOCUMENT && isInsideDocId(path)) return NOWHERE;
  if (path.length === 0) return root.self;
  return undefined;
}

function spelledOut(path: FieldPath, root: FieldRoot): FieldSql {
  return {
    type: resolve(path, root, (p) => `json_type(${root.json}, ${sqlText(p)})`),
    value: resolve(path, root, (p) => `json_extract(${root.json}, ${sqlText(p)})`),
  };
}

/**
 * The field as a query reads it: its SQL grows linearly with the path, whatever its integer
 * segments (see {@link walkedPath}), so each mention of a field costs about its name's length.
 */
export function fieldSql(path: FieldPath, root: FieldRoot = DOCUMENT): FieldSql {
  const fixed = special(path, root);
  if (fixed !== undefined) return fixed;
  if (branches(path, root) <= SPELLED_OUT_BRANCHES) return spelledOut(path, root);
  const at = walkedPath(path, root);
  return { type: `json_type(${root.json}, ${at})`, value: `json_extract(${root.json}, ${at})` };
}

/**
 * A document field as a declared index holds it: spelled out (see {@link resolve}). For the index's
 * own expressions, and for the comparisons and sorts of a query that should seek it; only index
 * fields, whose paths have at most 8 integer segments, come this way.
 */
export function indexableFieldSql(path: FieldPath): FieldSql {
  return special(path, DOCUMENT) ?? spelledOut(path, DOCUMENT);
}

/**
 * `$exists: false` in CouchDB matches only when a property on the path is missing from an object
 * (`not_found`); a path that runs into a scalar or past an array's end is a `bad_path`, which fails
 * every condition, this one included. So: some prefix of the path (as it resolves) is an object
 * without the next segment as a property; the document itself is an object even when it has no
 * fields. Each term goes through `charge` before the next is built: the terms repeat the path's
 * prefixes, so a long path costs the square of its length.
 */
export function notFoundSql(path: FieldPath, root: FieldRoot, charge: (sql: string) => void): string {
  if (path.length === 0 || (root === DOCUMENT && (isDocId(path) || isInsideDocId(path)))) return '0';
  const terms: string[] = [];
  walkedPath(path, root, (at, i) => {
    const missing = `json_type(${root.json}, ${at(`."${path[i]}"`)}) IS NULL`;
    const term = i === 0 && root === DOCUMENT ? missing : `(json_type(${root.json}, ${at('')}) IS 'object' AND ${missing})`;
    charge(term);
    terms.push(term);
  });
  return balanced(terms, 'OR');
}

/**
 * `parts` joined by `op` as a balanced tree (none: the operator's identity). SQLite parses
 * `a OR b OR c …` as a left-deep tree and refuses an expression deeper than 1000, so a long chain
 * fails where CouchDB answers.
 */
export function balanced(parts: readonly string[], op: 'AND' | 'OR'): string {
  if (parts.length === 0) return op === 'AND' ? '1' : '0';
  const go = (from: number, to: number): string => {
    if (to - from === 1) return parts[from];
    const mid = (from + to) >> 1;
    return `(${go(from, mid)} ${op} ${go(mid, to)})`;
  };
  return go(0, parts.length);
}
