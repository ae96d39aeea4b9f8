import { LedgerError } from '../../../../core/errors';
import { type Fixture, makeFixture, utf8 } from '../../../../core/ledger/conformance-fixture';
import { CouchRegex } from '../../../../core/ledger/couch-regex';
import { JSON_WITH_SOURCE } from '../../../../core/ledger/mango-selector';
import { arrayIndex, isElementIndex, parseRichQuery, type FieldPath, type JsonValue, type Selector } from '../../../../core/ledger/rich-query';
import { SqliteLedgerStoreProvider } from '../../../../plugins/ledger-sqlite';
import { couchCollationKey } from '../../../../plugins/ledger-sqlite/couch-collation';
import { DOCS, docKey, generators, INDEXES } from '../../../support/mango-query-generators';
import { seededRandom } from '../../../support/seeded-random';

/**
 * A reference for what a parsed selector matches, written from CouchDB's mango_selector:match and
 * mango_doc:get_field one clause at a time, in plain JavaScript over parsed documents, with none of
 * the SQL the store compiles: `not_found` against `bad_path`, `$in`/`$nin` on arrays, `$all` by
 * Erlang's exact equality, `$mod` on integers only, `_id` compared raw. Only the collation key of
 * a value (couch-collation.ts, tested on its own) is shared with the store.
 */

/** A number written with a fraction or an exponent: a float to CouchDB even when its value is integral (1e300). */
class Float {
  constructor(readonly value: number) {}
}

const NOT_FOUND = Symbol('not_found');
const BAD_PATH = Symbol('bad_path');
type Found = unknown;

function parseDocument(text: string): Record<string, unknown> {
  const doc = JSON_WITH_SOURCE.parse(text, (_key, value, context) =>
    typeof value === 'number' && Number.isInteger(value) && /[.eE]/.test(context?.source ?? '') ? new Float(value) : value,
  );
  return typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? (doc as Record<string, unknown>) : {};
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Float);

function plain(v: unknown): JsonValue {
  if (v instanceof Float) return v.value;
  if (Array.isArray(v)) return v.map(plain);
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v as JsonValue;
}

const cmp = (a: unknown, b: unknown): number => Buffer.compare(couchCollationKey(plain(a)), couchCollationKey(plain(b)));
/** mango_json:cmp_raw for `_id`, a string: Erlang's term order puts a binary above every other JSON type. */
const cmpRaw = (id: string, b: unknown): number => (typeof b === 'string' ? Buffer.compare(Buffer.from(id), Buffer.from(b)) : 1);

const isFloat = (v: unknown): boolean => v instanceof Float || (typeof v === 'number' && !Number.isSafeInteger(v));
/** Erlang's `=:=` on EJSON: 1 and 1.0 differ, object members compare in order. */
function exactlyEqual(a: unknown, b: unknown): boolean {
  if ((typeof a === 'number' || a instanceof Float) && (typeof b === 'number' || b instanceof Float)) return plain(a) === plain(b) && isFloat(a) === isFloat(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => exactlyEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const [ea, eb] = [Object.entries(a), Object.entries(b)];
    return ea.length === eb.length && ea.every(([k, x], i) => k === eb[i][0] && exactlyEqual(x, eb[i][1]));
  }
  return a === b;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number' || typeof v === 'bigint' || v instanceof Float) return 'number';
  if (typeof v === 'string') return 'string';
  return Array.isArray(v) ? 'array' : 'object';
}

/** mango_doc:get_field; at the document root `_id` is the key. */
function getField(root: unknown, path: FieldPath, key: string | undefined): Found | typeof NOT_FOUND | typeof BAD_PATH {
  if (key !== undefined && path[0] === '_id') return path.length === 1 ? key : BAD_PATH;
  let cur = root;
  for (const seg of path) {
    if (isObject(cur)) {
      if (!Object.hasOwn(cur, seg)) return NOT_FOUND;
      cur = cur[seg];
    } else if (Array.isArray(cur)) {
      const i = arrayIndex(seg);
      if (!isElementIndex(i) || i >= cur.length) return BAD_PATH;
      cur = cur[i] as unknown;
    } else return BAD_PATH;
  }
  return cur;
}

function matchesValue(sel: Exclude<Selector, { op: '$and' | '$or' | '$not' }>, v: unknown, raw: boolean): boolean {
  const c = (arg: unknown): number => (raw ? cmpRaw(v as string, arg) : cmp(v, arg));
  const isIn = (args: readonly JsonValue[]): boolean => (Array.isArray(v) && !raw ? args.some((a) => v.some((x) => cmp(x, a) === 0)) : args.some((a) => c(a) === 0));
  switch (sel.op) {
    case '$eq':
      return c(sel.value) === 0;
    case '$ne':
      return c(sel.value) !== 0;
    case '$gt':
      return c(sel.value) > 0;
    case '$gte':
      return c(sel.value) >= 0;
    case '$lt':
      return c(sel.value) < 0;
    case '$lte':
      return c(sel.value) <= 0;
    case '$in':
      return isIn(sel.values);
    case '$nin':
      return sel.values.length === 0 || (Array.isArray(v) ? !isIn(sel.values) : sel.values.every((a) => c(a) !== 0));
    case '$exists':
      return sel.exists;
    case '$type':
      return typeName(v) === sel.type;
    case '$size':
      return Array.isArray(v) && v.length === sel.size;
    case '$mod':
      return typeof v === 'number' && Number.isSafeInteger(v) && v % sel.divisor === sel.remainder;
    case '$regex':
      return typeof v === 'string' && CouchRegex.compile(sel.pattern).test(v);
    case '$all':
      if (sel.values.length === 0 || !Array.isArray(v)) return false;
      return sel.values.every((a) => v.some((x) => exactlyEqual(x, a))) || (sel.values.length === 1 && Array.isArray(sel.values[0]) && exactlyEqual(sel.values[0], v));
    case '$elemMatch':
      return Array.isArray(v) && v.some((e) => matches(sel.clause, e, undefined));
    case '$allMatch':
      return Array.isArray(v) && v.length > 0 && v.every((e) => matches(sel.clause, e, undefined));
    case '$keyMapMatch':
      return isObject(v) && Object.keys(v).some((k) => matches(sel.clause, k, undefined));
  }
}

/** mango_selector:match on a normalized selector; `key` is the document's `_id`, undefined inside `$elemMatch` and its kind. */
function matches(sel: Selector, root: unknown, key: string | undefined): boolean {
  switch (sel.op) {
    case '$and':
      return sel.clauses.every((c) => matches(c, root, key));
    case '$or':
      return sel.vacuous === true || sel.clauses.some((c) => matches(c, root, key));
    case '$not': {
      const v = getField(root, sel.clause.path, key);
      return v !== NOT_FOUND && v !== BAD_PATH && !matchesValue(sel.clause, v, key !== undefined && sel.clause.path[0] === '_id');
    }
    default: {
      const v = getField(root, sel.path, key);
      if (v === NOT_FOUND) return sel.op === '$exists' && !sel.exists;
      return v !== BAD_PATH && matchesValue(sel, v, key !== undefined && sel.path[0] === '_id');
    }
  }
}

/**
 * The same random queries as rich-query-fuzz, each answered by the store (with declared indexes)
 * and by the reference above, as sets of keys: a sorted query answers only documents that have its
 * sort fields, which the reference checks too.
 */
describe('rich queries against a reference matcher written from CouchDB’s mango_selector', () => {
  const QUERIES = 400;
  let f: Fixture;
  const documents: { key: string; fields: Record<string, unknown> }[] = [];
  const rnd = seededRandom(0x5e1ec7);
  const gen = generators(rnd);

  beforeAll(() => {
    f = makeFixture((dir) => new SqliteLedgerStoreProvider({ rootDir: dir }));
    f.ledger.declareIndexes(
      'cc',
      INDEXES.map((fields, i) => ({ name: `i${i}.json`, content: JSON.stringify({ index: { fields }, ddoc: `d${i}`, name: `i${i}`, type: 'json' }) })),
    );
    const texts = Array.from({ length: DOCS }, () => JSON.stringify(gen.doc()));
    texts.forEach((t, i) => documents.push({ key: docKey(i), fields: parseDocument(t) }));
    f.commit([f.tx('seed', (s) => texts.forEach((t, i) => s.setState('cc', docKey(i), utf8(t))))]);
  });

  afterAll(() => f?.close());

  it(`answers ${QUERIES} random selectors with the documents the reference matches`, () => {
    let compared = 0;
    let matched = 0;
    for (let i = 0; i < QUERIES; i++) {
      const { selector, sort } = gen.query();
      const text = JSON.stringify(sort === undefined ? { selector } : { selector, sort });
      let keys: string[];
      try {
        keys = [...f.ledger.newQueryExecutor().executeQuery('cc', text)].map((kv) => kv.key);
      } catch (err) {
        if (err instanceof LedgerError && (err.code === 'LEDGER_BAD_QUERY' || err.code === 'LEDGER_UNSUPPORTED_OPERATOR')) continue;
        throw err;
      }
      const query = parseRichQuery(text);
      const expected = documents
        .filter((d) => matches(query.selector, d.fields, d.key))
        .filter((d) => (query.sort ?? []).every((s) => ![NOT_FOUND, BAD_PATH].includes(getField(d.fields, s.path, d.key) as symbol)))
        .map((d) => d.key);
      expect({ query: text, keys: [...keys].sort() }).toEqual({ query: text, keys: expected.sort() });
      compared++;
      if (expected.length > 0) matched++;
    }
    // Not a comparison of refusals or of empty answers.
    expect(compared).toBeGreaterThan(QUERIES / 2);
    expect(matched).toBeGreaterThan(QUERIES / 4);
  });
});

/**
 * Paths with several integer segments through documents where arrays and objects with integer-like
 * member names take turns, which the store reads through a walk rather than every alternative, and
 * sets of values (`$in`, `$or`, `$nor`), which it binds as one array: each against the same reference.
 */
describe('rich queries on deep integer paths and large value sets against the reference matcher', () => {
  const QUERIES = 300;
  let f: Fixture;
  const documents: { key: string; fields: Record<string, unknown> }[] = [];
  const rnd = seededRandom(0xdee9);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const SCALARS = [null, true, 0, 1, 2, -1, 2.5, 'a', 'A', 'b', 'z\u0000', 'é', '', [], {}];
  const node = (depth: number): unknown => {
    if (depth === 0 || rnd() < 0.15) return pick(SCALARS);
    if (rnd() < 0.5) return Array.from({ length: Math.floor(rnd() * 3) }, () => node(depth - 1));
    return Object.fromEntries(['0', '1', 'x'].filter(() => rnd() < 0.6).map((k) => [k, node(depth - 1)]));
  };
  const path = (): string => ['a', ...Array.from({ length: 2 + Math.floor(rnd() * 5) }, () => pick(['0', '0', '1', 'x', '-1']))].join('.');
  const values = (): unknown[] => Array.from({ length: pick([1, 2, 5, 40]) }, () => (rnd() < 0.3 ? pick(SCALARS) : Math.floor(rnd() * 3000)));
  const condition = (depth = 0): unknown => {
    switch (pick(['$eq', '$in', '$nin', '$or', '$nor', '$exists', '$type', '$size', '$gt', '$all', '$elemMatch'])) {
      case '$eq':
        return pick(SCALARS);
      case '$in':
      case '$nin':
      case '$all':
        return { [pick(['$in', '$nin', '$all'])]: values() };
      case '$or':
      case '$nor':
        return { [pick(['$or', '$nor'])]: values().map((v) => (rnd() < 0.8 ? v : { $gt: v })) };
      case '$exists':
        return { $exists: rnd() < 0.5 };
      case '$type':
        return { $type: pick(['null', 'number', 'string', 'array', 'object']) };
      case '$size':
        return { $size: Math.floor(rnd() * 3) };
      case '$gt':
        return { [pick(['$gt', '$lte'])]: pick(SCALARS) };
      default:
        return { $elemMatch: depth > 0 ? { $gt: 0 } : { [path().slice(2)]: condition(depth + 1) } };
    }
  };

  beforeAll(() => {
    f = makeFixture((dir) => new SqliteLedgerStoreProvider({ rootDir: dir }));
    const texts = Array.from({ length: 200 }, () => JSON.stringify({ a: node(6) }));
    texts.forEach((t, i) => documents.push({ key: docKey(i), fields: parseDocument(t) }));
    f.commit([f.tx('seed', (s) => texts.forEach((t, i) => s.setState('cc', docKey(i), utf8(t))))]);
  });

  afterAll(() => f?.close());

  it(`answers ${QUERIES} selectors with the documents the reference matches`, () => {
    let matched = 0;
    for (let i = 0; i < QUERIES; i++) {
      const selector = rnd() < 0.2 ? { $or: [{ [path()]: condition() }, { [path()]: condition() }] } : { [path()]: condition() };
      const text = JSON.stringify({ selector });
      const keys = [...f.ledger.newQueryExecutor().executeQuery('cc', text)].map((kv) => kv.key);
      const query = parseRichQuery(text);
      const expected = documents.filter((d) => matches(query.selector, d.fields, d.key)).map((d) => d.key);
      expect({ query: text.slice(0, 300), keys: [...keys].sort() }).toEqual({ query: text.slice(0, 300), keys: expected.sort() });
      if (expected.length > 0) matched++;
    }
    expect(matched).toBeGreaterThan(QUERIES / 4);
  });
});
