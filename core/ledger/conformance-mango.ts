/**
 * Conformance: rich queries match, compare and sort as CouchDB does (mango_selector.erl,
 * couch_ejson_compare.erl), over values of mixed types (jest globals).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { makeFixture, str, utf8, type Fixture } from './conformance-fixture';
import type { LedgerStoreProvider } from './ledger-store-provider';

/** Stored as written: `e` keeps `1.0`, which CouchDB compares equal to `1`. */
const DOCS: Record<string, string> = {
  a: '{"color":"red","n":1,"tags":["x","y"]}',
  b: '{"color":"blue","n":5,"tags":["z"]}',
  c: '{"n":"str","tags":[]}',
  d: '{"color":null,"n":true}',
  e: '{"n":[1.0]}',
  f: '{"n":{"k":1}}',
  g: '{"n":10,"tags":"x"}',
  h: '{"n":false,"list":[{"b":1},{"b":2}]}',
  i: '{"n":null}',
  j: '{"n":2.5,"tags":[["x"]]}',
  k: '{"n":[1,"a"]}',
  l: '{"other":1}',
};

export function mangoConformance(makeProvider: (dir: string) => LedgerStoreProvider): void {
  describe('rich queries: CouchDB matching, collation and array paths', () => {
    let f: Fixture;
    const run = (selector: object, extra: object = {}): string[] =>
      [...f.ledger.newQueryExecutor().executeQuery('mixed', JSON.stringify({ selector, ...extra }))].map((kv) => kv.key);
    beforeAll(() => {
      f = makeFixture(makeProvider);
      f.commit([f.tx('seed', (s) => Object.entries(DOCS).forEach(([k, v]) => s.setState('mixed', k, utf8(v))))]);
    });
    afterAll(() => f.close());

    it('pushes $not into the field conditions: a negated condition still needs its field', () => {
      expect(run({ $not: { color: 'red' } })).toEqual(['b', 'd']);
      expect(run({ color: { $not: { $eq: 'red' } } })).toEqual(['b', 'd']);
      expect(run({ $not: { $not: { color: 'red' } } })).toEqual(['a']);
      expect(run({ color: { $not: { $in: ['red', null] } } })).toEqual(['b']);
      // De Morgan: not (color = red and n = 1) is color != red or n != 1, each needing its field.
      expect(run({ $not: { color: 'red', n: 1 } })).toEqual(['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k']);
      expect(run({ $not: { $or: [{ color: 'blue' }, { n: { $lt: 4 } }] } })).toEqual([]);
      expect(run({ $not: { $or: [{ color: 'red' }, { n: { $gt: 5 } }] } })).toEqual(['b', 'd']);
      // $exists flips; $regex keeps its $not and matches any present value the pattern misses.
      expect(run({ color: { $not: { $exists: true } } })).toEqual(['c', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l']);
      expect(run({ $not: { color: { $exists: false } } })).toEqual(['a', 'b', 'd']);
      expect(run({ color: { $not: { $regex: '^r' } } })).toEqual(['b', 'd']);
    });

    it('matches $in/$nin against the elements of an array field; $eq/$ne compare whole values', () => {
      expect(run({ tags: { $in: ['x'] } })).toEqual(['a', 'g']);
      expect(run({ tags: { $in: [['x']] } })).toEqual(['j']);
      expect(run({ tags: { $nin: ['x'] } })).toEqual(['b', 'c', 'j']);
      expect(run({ tags: { $in: [] } })).toEqual([]);
      expect(run({ tags: { $nin: [] } })).toEqual(['a', 'b', 'c', 'g', 'j']);
      expect(run({ tags: 'x' })).toEqual(['g']);
      expect(run({ tags: ['x', 'y'] })).toEqual(['a']);
      expect(run({ tags: { $ne: 'x' } })).toEqual(['a', 'b', 'c', 'j']);
      expect(run({ n: [1] })).toEqual(['e']);
      expect(run({ n: { $in: [1, [1]] } })).toEqual(['a', 'e', 'k']);
    });

    it('compares across types by CouchDB collation: null < false < true < numbers < strings < arrays < objects', () => {
      expect(run({ n: { $gt: 4 } })).toEqual(['b', 'c', 'e', 'f', 'g', 'k']);
      expect(run({ n: { $lt: 4 } })).toEqual(['a', 'd', 'h', 'i', 'j']);
      expect(run({ n: { $lte: null } })).toEqual(['i']);
      expect(run({ n: { $gt: null } })).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'j', 'k']);
      expect(run({ n: { $gte: true, $lt: 2 } })).toEqual(['a', 'd']);
      expect(run({ n: { $gt: 'a' } })).toEqual(['c', 'e', 'f', 'k']);
      expect(run({ n: { $gt: 'zzz' } })).toEqual(['e', 'f', 'k']);
      expect(run({ n: { $gt: [1] } })).toEqual(['f', 'k']);
      expect(run({ n: { $lt: [1, 'b'], $gte: [] } })).toEqual(['e', 'k']);
      expect(run({ n: { $gte: {} } })).toEqual(['f']);
    });

    it('sorts by CouchDB collation, answering only documents that have the sort fields', () => {
      const order = ['i', 'h', 'd', 'a', 'j', 'b', 'g', 'c', 'e', 'k', 'f'];
      expect(run({ n: { $exists: true } }, { sort: [{ n: 'asc' }] })).toEqual(order);
      expect(run({ n: { $exists: true } }, { sort: [{ n: 'desc' }] })).toEqual([...order].reverse());
      // CouchDB sorts through an index on the sort fields, which holds no document without them.
      expect(run({}, { sort: ['n'] })).toEqual(order);
      expect(run({}, { sort: [{ n: 'desc' }] })).toEqual([...order].reverse());
      expect(run({ n: { $lt: 4 } }, { sort: ['n', 'color'] })).toEqual(['d', 'a']);
    });

    it('compares and sorts strings by ICU’s root collation, as CouchDB does, with or without an index', () => {
      const names = ['Zed', 'banana', 'apple', '_under', 'éclair', 'Banana', '9', 'eclair', '10', 'cherry'];
      f.commit([f.tx('names', (s) => names.forEach((name, i) => s.setState('names', `n${i}`, utf8(JSON.stringify({ name })))))]);
      const query = (selector: object, extra: object = {}): string[] =>
        [...f.ledger.newQueryExecutor().executeQuery('names', JSON.stringify({ selector, ...extra }))].map((kv) => names[Number(kv.key.slice(1))]);
      const check = (): void => {
        // Symbols, then digits (one by one: "10" < "9"), then letters, lowercase first, accents after.
        const icuOrder = ['_under', '10', '9', 'apple', 'banana', 'Banana', 'cherry', 'eclair', 'éclair', 'Zed'];
        expect(query({ name: { $exists: true } }, { sort: [{ name: 'asc' }] })).toEqual(icuOrder);
        expect(query({ name: { $exists: true } }, { sort: [{ name: 'desc' }] })).toEqual([...icuOrder].reverse());
        expect(query({ name: { $lt: 'b' } }, { sort: ['name'] })).toEqual(['_under', '10', '9', 'apple']); // bytes would add "Banana" and "Zed"
        expect(query({ name: { $gt: 'banana', $lte: 'Éclair' } }, { sort: ['name'] })).toEqual(['Banana', 'cherry', 'eclair', 'éclair']);
        expect(query({ name: { $lte: 'Eclair' } }, { sort: ['name'] }).slice(-2)).toEqual(['cherry', 'eclair']); // the accent weighs more than the case
        expect(query({ name: { $gte: 'z' } })).toEqual(['Zed']);
        // Equal to ICU is equal to $eq and $in: a completely ignorable control character changes nothing.
        expect(query({ name: 'apple\u0001' })).toEqual(['apple']);
        expect(query({ name: { $in: ['cherry\u0000', 'Zed'] } }).sort()).toEqual(['Zed', 'cherry']);
        expect(query({ name: { $ne: 'apple\u0001' } })).toHaveLength(names.length - 1);
      };
      check();
      f.ledger.declareIndexes('names', [{ name: 'name.json', content: JSON.stringify({ index: { fields: ['name'] }, name: 'byName' }) }]);
      check();
    });

    it('resolves integer path segments into arrays, as CouchDB does, in selectors and fields', () => {
      expect(run({ 'tags.0': 'x' })).toEqual(['a']);
      expect(run({ 'tags.1': { $gt: 'x' } })).toEqual(['a']);
      expect(run({ 'list.1.b': 2 })).toEqual(['h']);
      expect(run({ 'n.0': 1 })).toEqual(['e', 'k']);
      expect(run({ 'n.k': 1 })).toEqual(['f']);
      expect(run({ 'tags.0': { $exists: true } })).toEqual(['a', 'b', 'j']);
      // A path into a scalar or past an array's end is CouchDB's bad_path: not even $exists: false.
      expect(run({ 'tags.0': { $exists: false } })).toEqual(['d', 'e', 'f', 'h', 'i', 'k', 'l']);
      const q = f.ledger.newQueryExecutor();
      const projected = [...q.executeQuery('mixed', JSON.stringify({ selector: { n: false }, fields: ['list.1.b', 'list.5', 'n'] }))];
      expect(JSON.parse(str(projected[0].value) as string)).toEqual({ list: { 1: { b: 2 } }, n: false });
    });

    it('uses a declared index without changing any result', () => {
      const selectors = [{ n: { $gt: 4 } }, { n: { $gte: 'a' } }, { n: { $gt: 'zzz' } }, { n: 5 }, { n: { $gte: 2.5 }, color: { $exists: false } }, { 'tags.0': 'x' }];
      const before = selectors.map((s) => run(s));
      f.ledger.declareIndexes('mixed', [
        { name: 'n.json', content: JSON.stringify({ index: { fields: ['n'] }, name: 'byN' }) },
        { name: 't.json', content: JSON.stringify({ index: { fields: ['tags.0'] }, name: 'byTag0' }) },
      ]);
      expect(selectors.map((s) => run(s))).toEqual(before);
      expect(before[0]).toEqual(['b', 'c', 'e', 'f', 'g', 'k']);
    });

    it('ignores a limit in a non-paginated query, as Fabric does on CouchDB', () => {
      expect(run({ n: { $exists: true } }, { limit: 2 })).toHaveLength(11);
      expect(run({ n: { $exists: true } }, { limit: 2, skip: 9 })).toEqual(['j', 'k']);
      const page = f.ledger.newQueryExecutor().executeQueryWithPagination('mixed', JSON.stringify({ selector: {}, limit: 1 }), 3, '');
      expect(page.results.map((r) => r.key)).toEqual(['a', 'b', 'c']);
    });

    it('runs $regex as CouchDB does: PCRE on the UTF-8 bytes, ASCII case folding, unsupported syntax refused', () => {
      const names = { r1: 'Zoë', r2: 'zoe', r3: 'ZOË', r4: 'line\n', r5: `${'a'.repeat(40)}!` };
      f.commit([f.tx('regex', (s) => Object.entries(names).forEach(([k, name]) => s.setState('regex', k, utf8(JSON.stringify({ name })))))]);
      const query = (pattern: string): string[] =>
        [...f.ledger.newQueryExecutor().executeQuery('regex', JSON.stringify({ selector: { name: { $regex: pattern } } }))].map((kv) => kv.key);
      expect(query('(?i)^zo')).toEqual(['r1', 'r2', 'r3']);
      expect(query('^zo.$')).toEqual(['r2']); // ë is two bytes
      expect(query('^Zo..$')).toEqual(['r1']);
      expect(query('(?i)zoë')).toEqual(['r1']); // only ASCII folds: Ë is not ë
      expect(query('^line$')).toEqual(['r4']); // $ also matches before a final newline
      expect(query('^(a+)+!$')).toEqual(['r5']);
      expect(query('^(a+)+$')).toEqual([]); // catastrophic on r5: gives up at the step limit, a non-match
      let refused: unknown;
      try {
        query('(?<=a+)x');
      } catch (e) {
        refused = e;
      }
      expect(refused).toMatchObject({ code: 'LEDGER_BAD_QUERY', details: { operator: '$regex', offset: 0 } });
      expect((refused as Error).message).toContain('lookbehind assertion is not fixed length');
    });
  });
}
