/**
 * Random Mango queries over random documents whose fields mix every JSON type, for the rich-query
 * fuzz tests: what index declarations, sorts and field names they use, and seeded generators.
 */

export const DOCS = 300;
export const INDEXES = [['n'], ['color'], ['n', 'color'], ['nested.x'], ['k', 'n'], ['_id'], ["it's"], ['n\\.x']];
export const SORTS = [...INDEXES, ['n', '_id']];
/** `n\.x` is the field named "n.x", `nested.$y` the field "$y" of `nested` (mango_util:parse_field); `it's` puts a quote in SQL. */
const FIELDS = ['n', 'color', 'nested.x', 'nested.y', 'tags', 'tags.0', 'k', 'missing', 'nested', '_id', '_id.x', 'n\\.x', 'nested.$y', "it's"];
/** Key prefixes that byte order and CouchDB's collation order differently. */
const KEY_PREFIXES = ['k', 'K', 'a', 'B', 'é', '10', '9'];
/** Strings ICU orders in ways byte order does not: case, accents, expansions, NUL, astral planes. */
const STRINGS = ['a', 'A', 'b', 'B', 'á', 'ab', '', ' ', '10', '9', 'red', 'Red', 'z\u0000', 'é', '\u{1F600}', 'ß', 'ss'];

/** Random documents, selectors and queries over a few fields whose values mix every JSON type. */
export function generators(rnd: () => number) {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const scalars: (() => unknown)[] = [() => null, () => true, () => false, () => Math.floor(rnd() * 20) - 5, () => (rnd() - 0.5) * 100, () => pick(STRINGS), () => 0, () => 1e300];
  const scalar = (): unknown => pick(scalars)();
  const value = (depth = 0): unknown => {
    const r = rnd();
    if (depth > 2 || r < 0.6) return scalar();
    if (r < 0.8) return Array.from({ length: Math.floor(rnd() * 3) }, () => value(depth + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 3) }, () => [pick(['x', 'y', 'n']), value(depth + 1)]));
  };
  /** Mostly JSON objects; now and then another value, which is a document without fields. */
  const doc = (): unknown =>
    rnd() < 0.08
      ? pick([[1, 2], 'text', 7, null])
      : Object.fromEntries(
          ['n', 'color', 'nested', 'tags', 'k', 'n.x', "it's"].filter(() => rnd() < 0.8).map((f) => [f, f === 'nested' && rnd() < 0.7 ? { x: value(1), y: value(1), $y: value(1) } : value()]),
        );
  const condition = (depth: number): unknown => {
    // A few operators outside CouchDB 3.3's set, which must be refused by name.
    const op =
      rnd() < 0.03
        ? pick(['$beginsWith', '$text', '$where'])
        : pick(['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$all', '$exists', '$regex', '$not', '$size', '$type', '$mod', '$elemMatch', '$allMatch', '$keyMapMatch', '$or', '$and', '$nor', 'plain']);
    if (op === 'plain') return scalar();
    if (op === '$in' || op === '$nin' || op === '$all') return { [op]: Array.from({ length: Math.floor(rnd() * 3) }, scalar) };
    if (op === '$exists') return { $exists: rnd() < 0.5 };
    if (op === '$regex') return { $regex: pick(['^a', 'b$', '(?i)red', '.*', '[', 'a|b', '^\\d+$']) };
    if (op === '$not') return depth > 2 ? { $eq: 1 } : { $not: condition(depth + 1) };
    if (op === '$size') return { $size: Math.floor(rnd() * 3) };
    if (op === '$type') return { $type: pick(['null', 'boolean', 'number', 'string', 'array', 'object', 'integer']) };
    if (op === '$mod') return { $mod: [pick([2, 3, -3]), pick([0, 1, -1])] };
    // Combinations of one field's conditions, now and then empty.
    if (op === '$or' || op === '$and' || op === '$nor') return { [op]: depth > 2 ? [] : Array.from({ length: Math.floor(rnd() * 3) }, () => condition(depth + 1)) };
    if (op === '$elemMatch' || op === '$allMatch' || op === '$keyMapMatch') return { [op]: depth > 2 ? { $gt: 0 } : rnd() < 0.5 ? condition(depth + 1) : selector(depth + 1) };
    return { [op]: scalar() };
  };
  const selector = (depth = 0): Record<string, unknown> => {
    const r = rnd();
    if (depth < 2 && r < 0.15) return { [pick(['$and', '$or', '$nor'])]: Array.from({ length: rnd() < 0.1 ? 0 : 1 + Math.floor(rnd() * 2) }, () => selector(depth + 1)) };
    if (depth < 2 && r < 0.2) return { $not: selector(depth + 1) };
    return Object.fromEntries(Array.from({ length: 1 + Math.floor(rnd() * 2) }, () => [pick(FIELDS), condition(depth)]));
  };
  const query = (): Record<string, unknown> => {
    const q: Record<string, unknown> = { selector: selector() };
    if (rnd() < 0.4) {
      const direction = pick(['asc', 'desc']);
      q.sort = pick(SORTS).map((f) => ({ [f]: direction }));
    }
    if (rnd() < 0.3) q.limit = 1 + Math.floor(rnd() * 20);
    if (rnd() < 0.2) q.skip = Math.floor(rnd() * 10);
    if (rnd() < 0.2) q.fields = ['n', 'color'];
    return q;
  };
  return { doc, query, pageSize: () => 4 + Math.floor(rnd() * 12) };
}

/** The key of the i-th generated document: prefixes that byte order and CouchDB's collation order differently. */
export const docKey = (i: number): string => `${KEY_PREFIXES[i % KEY_PREFIXES.length]}${String(i).padStart(3, '0')}`;
