/**
 * Conformance: the Mango operators beyond comparisons match as CouchDB's mango_selector:match does
 * (jest globals): `$elemMatch`, `$allMatch`, `$keyMapMatch`, `$size`, `$type`, `$mod`, `$all`,
 * `$nor`, and `$not` around the operators without a negated form; `$and`, `$or` and `$nor` on one
 * field, and empty ones, as CouchDB's normalization and mango_cursor read them.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { makeFixture, utf8, type Fixture } from './conformance-fixture';
import type { LedgerStoreProvider } from './ledger-store-provider';

const DOCS: Record<string, string> = {
  s1: '{"scores":[80,85,90],"items":[{"sku":"a","qty":2},{"sku":"b","qty":5}],"n":7,"kind":"x","meta":{"red":1,"blue":2}}',
  s2: '{"scores":[70,95],"items":[{"sku":"a","qty":9}],"n":-7,"kind":3,"meta":{"green":1}}',
  s3: '{"scores":[],"items":[],"n":7.0,"kind":null,"meta":{}}',
  s4: '{"scores":[82],"items":[{"sku":"c"}],"n":"7","kind":true,"meta":[1]}',
  s5: '{"scores":"80","n":12,"kind":["x"],"meta":"red"}',
  zz: 'bytes',
};

export function mangoOperatorsConformance(makeProvider: (dir: string) => LedgerStoreProvider): void {
  describe('rich queries: CouchDB’s array, type and arithmetic operators', () => {
    let f: Fixture;
    const run = (selector: object): string[] => [...f.ledger.newQueryExecutor().executeQuery('ops', JSON.stringify({ selector }))].map((kv) => kv.key);
    beforeAll(() => {
      f = makeFixture(makeProvider);
      f.commit([f.tx('seed', (s) => Object.entries(DOCS).forEach(([k, v]) => s.setState('ops', k, utf8(v))))]);
    });
    afterAll(() => f.close());

    it('matches $elemMatch against one element at a time, $allMatch against every element of a non-empty array', () => {
      expect(run({ scores: { $elemMatch: { $gte: 80, $lt: 85 } } })).toEqual(['s1', 's4']);
      // Both conditions on the same element: s1 has an "a" and a quantity above 3, but not in one item.
      expect(run({ items: { $elemMatch: { sku: 'a', qty: { $gt: 3 } } } })).toEqual(['s2']);
      expect(run({ items: { $elemMatch: { qty: { $exists: false } } } })).toEqual(['s4']);
      expect(run({ items: { $elemMatch: { $or: [{ sku: 'c' }, { qty: { $gt: 8 } }] } } })).toEqual(['s2', 's4']);
      expect(run({ scores: { $elemMatch: { $eq: 80 } } })).toEqual(['s1']); // s5's "80" is no array
      expect(run({ scores: { $allMatch: { $gte: 80 } } })).toEqual(['s1', 's4']); // not s3: empty
      expect(run({ items: { $allMatch: { qty: { $exists: true } } } })).toEqual(['s1', 's2']);
      expect(run({ scores: { $elemMatch: {} } })).toEqual([]);
      expect(run({ scores: { $not: { $allMatch: {} } } })).toEqual(['s1', 's2', 's3', 's4', 's5']);
    });

    it('nests: a $elemMatch inside a $elemMatch walks the inner arrays, and paths index elements', () => {
      f.commit([
        f.tx('grids', (s) => {
          s.setState('grids', 'g1', utf8('{"grid":[[1,2],[3,4]],"rows":[{"cells":[{"v":1}]},{"cells":[{"v":9}]}]}'));
          s.setState('grids', 'g2', utf8('{"grid":[[1,2],[0]],"rows":[{"cells":[{"v":2}]}]}'));
        }),
      ]);
      const grids = (selector: object): string[] => [...f.ledger.newQueryExecutor().executeQuery('grids', JSON.stringify({ selector }))].map((kv) => kv.key);
      expect(grids({ grid: { $elemMatch: { $elemMatch: { $gt: 3 } } } })).toEqual(['g1']);
      expect(grids({ grid: { $elemMatch: { $allMatch: { $lt: 1 } } } })).toEqual(['g2']);
      expect(grids({ grid: { $elemMatch: { '1': 4 } } })).toEqual(['g1']);
      expect(grids({ rows: { $elemMatch: { cells: { $elemMatch: { v: { $gt: 5 } } } } } })).toEqual(['g1']);
      expect(grids({ rows: { $allMatch: { 'cells.0.v': { $lt: 5 } } } })).toEqual(['g2']);
    });

    it('matches $keyMapMatch against the member names of an object', () => {
      expect(run({ meta: { $keyMapMatch: { $eq: 'red' } } })).toEqual(['s1']);
      expect(run({ meta: { $keyMapMatch: { $regex: '^g' } } })).toEqual(['s2']);
    });

    it('matches $size, $type and $mod as CouchDB: arrays only, JSON type names, integers only', () => {
      expect(run({ scores: { $size: 2 } })).toEqual(['s2']);
      expect(run({ scores: { $size: 0 } })).toEqual(['s3']);
      expect(['string', 'number', 'null', 'boolean', 'array'].map((type) => run({ kind: { $type: type } }))).toEqual([['s1'], ['s2'], ['s3'], ['s4'], ['s5']]);
      expect(run({ meta: { $type: 'object' } })).toEqual(['s1', 's2', 's3']);
      expect(run({ kind: { $type: 'integer' } })).toEqual([]);
      // 7.0 is a float and "7" a string; the remainder takes the dividend's sign.
      expect(run({ n: { $mod: [5, 2] } })).toEqual(['s1', 's5']);
      expect(run({ n: { $mod: [5, -2] } })).toEqual(['s2']);
      expect(run({ n: { $mod: [-5, 2] } })).toEqual(['s1', 's5']);
    });

    it('matches $all by exact membership, or an array equal to the only value given', () => {
      expect(run({ scores: { $all: [80, 90] } })).toEqual(['s1']);
      expect(run({ scores: { $all: [80] } })).toEqual(['s1']);
      expect(run({ scores: { $all: [80, 70] } })).toEqual([]);
      expect(run({ items: { $all: [{ sku: 'a', qty: 9 }] } })).toEqual(['s2']);
      expect(run({ kind: { $all: [['x']] } })).toEqual(['s5']);
      expect(run({ scores: { $all: [] } })).toEqual([]);
    });

    it('negates: $nor is none of its clauses, and $not keeps the operators without a negated form', () => {
      // kind != "x" and n <= 10, each needing its field; "7" is a string, above every number.
      expect(run({ $nor: [{ kind: 'x' }, { n: { $gt: 10 } }] })).toEqual(['s2', 's3']);
      expect(run({ scores: { $not: { $size: 2 } } })).toEqual(['s1', 's3', 's4', 's5']);
      expect(run({ $not: { items: { $elemMatch: { sku: 'a' } } } })).toEqual(['s3', 's4']);
      expect(run({ $nor: [{ $nor: [{ kind: { $type: 'string' } }] }] })).toEqual(['s1']);
    });

    it('takes $and, $or and $nor inside a field’s condition, the field carried into each clause', () => {
      expect(run({ n: { $or: [-7, { $gt: 10 }] } })).toEqual(['s2', 's4', 's5']); // "7" is a string, above every number
      expect(run({ n: { $and: [{ $type: 'number' }, { $gte: 7 }] } })).toEqual(['s1', 's3', 's5']);
      expect(run({ n: { $nor: [7, { $type: 'string' }] } })).toEqual(['s2', 's5']);
      expect(run({ n: { $not: { $or: [7, -7] } } })).toEqual(['s4', 's5']);
      // A clause may name nested fields: meta.red = 1, or meta itself an array.
      expect(run({ meta: { $or: [{ red: 1 }, { $type: 'array' }] } })).toEqual(['s1', 's4']);
      expect(run({ items: { $elemMatch: { qty: { $or: [2, 9] } } } })).toEqual(['s1', 's2']);
      expect(() => run({ n: { $or: 7 } })).toThrow(/selector\.n\.\$or: expected an array of conditions, received 7/);
    });

    it('answers $in, $nin, $or, $and and $all with thousands of members, as CouchDB does (a batch lookup by id list)', () => {
      const many = (n: number, from = 1000): number[] => Array.from({ length: n }, (_, i) => from + i);
      // Array-valued fields match by element: s5's kind ["x"] holds "x".
      expect(run({ kind: { $in: [...many(2500), 'x', null] } })).toEqual(['s1', 's3', 's5']);
      expect(run({ n: { $in: [...many(2500), 7] } })).toEqual(['s1', 's3']);
      expect(run({ n: { $nin: [...many(2500), 7] } })).toEqual(['s2', 's4', 's5']);
      expect(run({ $or: [...many(2500).map((i) => ({ n: i })), { n: 12 }, { kind: 3 }] })).toEqual(['s2', 's5']);
      expect(run({ $and: [...many(2500).map((i) => ({ n: { $ne: i } })), { kind: 'x' }] })).toEqual(['s1']);
      expect(run({ scores: { $all: [...many(1500).map(() => 80), 90] } })).toEqual(['s1']);
      // More ids than SQLite binds values (32766), as one JSON array.
      const ids = [...Array.from({ length: 40_000 }, (_, i) => `id${i}`), 's2', 's4'];
      expect(run({ _id: { $in: ids } })).toEqual(['s2', 's4']);
      expect(run({ $or: ids.map((id) => ({ _id: id })) })).toEqual(['s2', 's4']);
    });

    it('answers a selector that is only an empty $and, $or or $nor with nothing, and takes one beside other conditions as always true', () => {
      // mango_cursor:maybe_noop_range: the whole selector normalizes to an empty combination.
      for (const nothing of [{ $or: [] }, { $and: [] }, { $nor: [] }, { n: { $or: [] } }, { meta: { red: { $and: [] } } }, { $not: { $or: [] } }, { n: { $not: { $nor: [] } } }]) {
        expect({ selector: nothing, keys: run(nothing) }).toEqual({ selector: nothing, keys: [] });
      }
      // mango_selector:match: an empty combination matches, and so does its negation.
      const all = ['s1', 's2', 's3', 's4', 's5', 'zz'];
      expect(run({ $and: [{ $or: [] }] })).toEqual(all);
      expect(run({ $or: [{ $and: [] }, { n: 12 }] })).toEqual(all);
      expect(run({ $and: [{ $not: { $or: [] } }] })).toEqual(all);
      expect(run({ $not: { $and: [{ $nor: [] }] } })).toEqual(all);
      expect(run({ n: 7, $or: [] })).toEqual(['s1', 's3']);
      expect(run({ kind: { $in: [3, null] }, $nor: [] })).toEqual(['s2', 's3']);
      expect(run({ n: { $gt: 0, $and: [] } })).toEqual(['s1', 's3', 's4', 's5']);
      // Inside $elemMatch it holds for any element: arrays that have one.
      expect(run({ scores: { $elemMatch: { $or: [] } } })).toEqual(['s1', 's2', 's4']);
    });
  });
}
