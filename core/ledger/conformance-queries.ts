/** Conformance: ranges, pagination, composite keys and rich queries (jest globals). */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { makeFixture, str, utf8, type Fixture } from './conformance-fixture';
import { createCompositeKey, partialCompositeKeyRange } from './ledger-keys';
import type { LedgerStoreProvider } from './ledger-store-provider';
import type { KV, QueryExecutor } from './tx-simulator';

const keys = (it: Iterable<KV>): string[] => [...it].map((kv) => kv.key);

interface Asset {
  docType: string;
  owner: string;
  size: number;
  color?: string;
  tags?: string[];
  info?: { city: string; active: boolean };
}

const ASSETS: Record<string, Asset> = {
  a1: { docType: 'asset', owner: 'alice', size: 5, color: 'red', info: { city: 'Paris', active: true } },
  a2: { docType: 'asset', owner: 'bob', size: 10, color: 'blue', tags: ['x', 'y'], info: { city: 'Oslo', active: false } },
  a3: { docType: 'asset', owner: 'alice', size: 15, info: { city: 'Lima', active: true } },
  a4: { docType: 'asset', owner: 'carol', size: 20, color: 'red' },
  a5: { docType: 'token', owner: 'bob', size: 1.5 },
};

export function queryConformance(makeProvider: (dir: string) => LedgerStoreProvider): void {
  describe('range queries and composite keys', () => {
    let f: Fixture;
    let q: QueryExecutor;
    const all = ['a', 'b', 'b1', 'c', 'd', 'e\uFFFD', 'e\u{1F600}', 'z'];
    beforeEach(() => {
      f = makeFixture(makeProvider, { totalQueryLimit: 1000 });
      f.commit([
        f.tx('seed', (s) => {
          for (const k of all) s.setState('cc', k, utf8(`v-${k}`));
          s.setState('other', 'b', utf8('other ns'));
          s.setState('cc', createCompositeKey('owner', ['alice', 'a1']), utf8('1'));
          s.setState('cc', createCompositeKey('owner', ['alice', 'a3']), utf8('3'));
          s.setState('cc', createCompositeKey('owner', ['bob', 'a2']), utf8('2'));
          s.setState('cc', createCompositeKey('owners', ['zed']), utf8('4'));
        }),
      ]);
      q = f.ledger.newQueryExecutor();
    });
    afterEach(() => f.close());

    it('returns [start, end) in UTF-8 byte order within one namespace; end "" is unbounded', () => {
      expect(keys(q.getStateRange('cc', 'b', 'd'))).toEqual(['b', 'b1', 'c']);
      expect(keys(q.getStateRange('cc', '\u0001', ''))).toEqual(all); // U+FFFD sorts before U+1F600 in UTF-8
      expect(keys(q.getStateRange('cc', 'y', 'b'))).toEqual([]);
    });

    it('pages ranges with Fabric/LevelDB bookmarks (next key, "" when exhausted)', () => {
      const p1 = q.getStateRangeWithPagination('cc', '\u0001', '', 3, '');
      expect([p1.results.map((r) => r.key), p1.fetchedRecordsCount, p1.bookmark]).toEqual([['a', 'b', 'b1'], 3, 'c']);
      const p2 = q.getStateRangeWithPagination('cc', '\u0001', '', 3, p1.bookmark);
      expect([p2.results.map((r) => r.key), p2.bookmark]).toEqual([['c', 'd', 'e\uFFFD'], 'e\u{1F600}']);
      const p3 = q.getStateRangeWithPagination('cc', '\u0001', '', 3, p2.bookmark);
      expect([p3.results.map((r) => r.key), p3.bookmark]).toEqual([['e\u{1F600}', 'z'], '']);
      expect(str(p3.results[1].value)).toBe('v-z');
      // A bookmark replaces the start key, as in Fabric's handler, even one before it.
      expect(q.getStateRangeWithPagination('cc', 'd', '', 2, 'b').results.map((r) => r.key)).toEqual(['b', 'b1']);
    });

    it('runs partial composite key queries, attribute prefixes included', () => {
      const r = partialCompositeKeyRange('owner', []);
      expect(keys(q.getStateRange('cc', r.startKey, r.endKey))).toEqual([
        createCompositeKey('owner', ['alice', 'a1']),
        createCompositeKey('owner', ['alice', 'a3']),
        createCompositeKey('owner', ['bob', 'a2']),
      ]);
      const alice = partialCompositeKeyRange('owner', ['alice']);
      expect(keys(q.getStateRange('cc', alice.startKey, alice.endKey))).toHaveLength(2);
      const page = q.getStateRangeWithPagination('cc', r.startKey, r.endKey, 2, '');
      expect(page.bookmark).toBe(createCompositeKey('owner', ['bob', 'a2']));
    });

    it('caps a range at totalQueryLimit and iterates lazily while other reads interleave', () => {
      f.commit([f.tx('many', (s) => Array.from({ length: 1200 }, (_, i) => s.setState('bulk', `k${String(i).padStart(5, '0')}`, utf8('x'))))]);
      const q2 = f.ledger.newQueryExecutor();
      let n = 0;
      for (const kv of q2.getStateRange('bulk', '', '')) {
        expect(q2.getState('bulk', kv.key)).toBeDefined();
        n++;
      }
      expect(n).toBe(1000);
    });
  });

  describe('rich queries', () => {
    let f: Fixture;
    let q: QueryExecutor;
    const run = (query: object): string[] => keys(q.executeQuery('cc', JSON.stringify(query)));
    beforeEach(() => {
      f = makeFixture(makeProvider);
      f.commit([
        f.tx('seed', (s) => {
          for (const [k, v] of Object.entries(ASSETS)) s.setState('cc', k, utf8(JSON.stringify(v)));
          s.setState('cc', 'binary', new Uint8Array([0xff, 0, 1]));
          s.setState('cc', 'array', utf8('[1,2]'));
          s.setState('other', 'o1', utf8(JSON.stringify({ docType: 'asset', owner: 'alice', size: 5 })));
        }),
      ]);
      q = f.ledger.newQueryExecutor();
    });
    afterEach(() => f.close());

    it('matches equality, comparisons, $in/$nin, $exists, $regex, nested paths and booleans', () => {
      expect(run({ selector: { owner: 'alice' } })).toEqual(['a1', 'a3']);
      expect(run({ selector: { owner: { $eq: 'bob' }, docType: 'asset' } })).toEqual(['a2']);
      expect(run({ selector: { size: { $gt: 5, $lte: 15 } } })).toEqual(['a2', 'a3']);
      expect(run({ selector: { size: { $lt: 5 } } })).toEqual(['a5']);
      expect(run({ selector: { size: { $gte: 20 } } })).toEqual(['a4']);
      expect(run({ selector: { owner: { $ne: 'alice' } } })).toEqual(['a2', 'a4', 'a5']);
      expect(run({ selector: { color: { $ne: 'red' } } })).toEqual(['a2']);
      expect(run({ selector: { owner: { $in: ['bob', 'carol'] } } })).toEqual(['a2', 'a4', 'a5']);
      expect(run({ selector: { owner: { $nin: ['bob', 'carol'] } } })).toEqual(['a1', 'a3']);
      expect(run({ selector: { color: { $exists: false } } })).toEqual(['a3', 'a5', 'array', 'binary']);
      expect(run({ selector: { owner: { $regex: '^(al|car)' } } })).toEqual(['a1', 'a3', 'a4']);
      expect(run({ selector: { 'info.city': 'Oslo' } })).toEqual(['a2']);
      expect(run({ selector: { info: { city: { $gt: 'M' } } } })).toEqual(['a1', 'a2']);
      expect(run({ selector: { 'info.active': true } })).toEqual(['a1', 'a3']);
      expect(run({ selector: { tags: ['x', 'y'] } })).toEqual(['a2']);
      expect(run({ selector: { size: '5' } })).toEqual([]);
    });

    it('combines with $and, $or, $not; a value that is not a JSON object is a document without fields', () => {
      expect(run({ selector: { $or: [{ owner: 'carol' }, { size: { $lt: 6 } }] } })).toEqual(['a1', 'a4', 'a5']);
      expect(run({ selector: { $and: [{ docType: 'asset' }, { $not: { owner: 'alice' } }] } })).toEqual(['a2', 'a4']);
      expect(run({ selector: { $not: { color: 'red' } } })).toEqual(['a2']); // as CouchDB: a3 and a5 have no color
      // Fabric keeps such a value in CouchDB as an attachment of a document with no fields of its own.
      expect(run({ selector: {} })).toEqual(['a1', 'a2', 'a3', 'a4', 'a5', 'array', 'binary']);
      expect(run({ selector: { $or: [{ owner: 'carol' }, { owner: { $exists: false } }] } })).toEqual(['a4', 'array', 'binary']);
      expect(run({ selector: { docType: { $ne: 'asset' } } })).toEqual(['a5']); // not 'array' or 'binary', which have no docType
    });

    it('applies sort, skip and fields', () => {
      expect(run({ selector: { docType: 'asset' }, sort: [{ size: 'desc' }] })).toEqual(['a4', 'a3', 'a2', 'a1']);
      expect(run({ selector: { docType: 'asset' }, sort: ['owner'], skip: 1 })).toEqual(['a3', 'a2', 'a4']);
      const [r] = [...q.executeQuery('cc', JSON.stringify({ selector: { owner: 'bob', docType: 'asset' }, fields: ['owner', 'info.city'] }))];
      expect(JSON.parse(str(r.value) as string)).toEqual({ owner: 'bob', info: { city: 'Oslo' } });
    });

    it('pages with opaque bookmarks and records results as reads', () => {
      const query = JSON.stringify({ selector: { docType: 'asset' }, sort: [{ size: 'asc' }] });
      const p1 = q.executeQueryWithPagination('cc', query, 3, '');
      expect([p1.results.map((r) => r.key), p1.fetchedRecordsCount]).toEqual([['a1', 'a2', 'a3'], 3]);
      expect(p1.bookmark).not.toBe('');
      const p2 = q.executeQueryWithPagination('cc', query, 3, p1.bookmark);
      expect([p2.results.map((r) => r.key), p2.bookmark]).toEqual([['a4'], '']);
      expect(() => q.executeQueryWithPagination('cc', query, 3, 'forged')).toThrow(expect.objectContaining({ code: 'LEDGER_BAD_BOOKMARK' }));
    });

    it('uses declared CouchDB indexes transparently and rejects bad index files', () => {
      f.ledger.declareIndexes('cc', [
        { name: 'indexOwner.json', content: JSON.stringify({ index: { fields: ['docType', 'owner'] }, ddoc: 'indexOwnerDoc', name: 'indexOwner', type: 'json' }) },
        { name: 'bySize.json', content: utf8(JSON.stringify({ index: { fields: [{ size: 'desc' }] }, name: 'bySize' })) },
      ]);
      f.ledger.declareIndexes('cc', [{ name: 'again.json', content: JSON.stringify({ index: { fields: ['docType', 'owner'] }, ddoc: 'indexOwnerDoc', name: 'indexOwner' }) }]);
      expect(run({ selector: { docType: 'asset', owner: 'alice' }, use_index: ['indexOwnerDoc', 'indexOwner'] })).toEqual(['a1', 'a3']);
      f.commit([f.tx('more', (s) => s.setState('cc', 'a6', utf8(JSON.stringify({ docType: 'asset', owner: 'alice', size: 1 }))))]);
      expect(run({ selector: { docType: 'asset', owner: 'alice' } })).toEqual(['a1', 'a3', 'a6']);
      const bad = (content: string): unknown => {
        try {
          f.ledger.declareIndexes('cc', [{ name: 'bad.json', content }]);
        } catch (e) {
          return (e as { code: string }).code;
        }
        return undefined;
      };
      expect(bad('{"index":{"fields":[]},"name":"x"}')).toBe('LEDGER_BAD_QUERY');
      expect(bad('{"index":{"fields":["a"]},"name":"x","type":"text"}')).toBe('LEDGER_BAD_QUERY');
      expect(bad('{"index":{"fields":["a\\"b"]},"name":"x"}')).toBe('LEDGER_BAD_QUERY');
      expect(bad('nope')).toBe('LEDGER_BAD_QUERY');
    });

    it('names unsupported operators and refuses malformed selectors with typed errors', () => {
      const err = (query: string): [string, unknown] => {
        try {
          keys(q.executeQuery('cc', query));
        } catch (e) {
          return [(e as { code: string }).code, (e as { details: { operator?: string } }).details.operator];
        }
        return ['none', undefined];
      };
      expect(err('{"selector":{"tags":{"$elemMatch":{"$beginsWith":"x"}}}}')).toEqual(['LEDGER_UNSUPPORTED_OPERATOR', '$beginsWith']);
      expect(err('{"selector":{"$text":"x"}}')).toEqual(['LEDGER_UNSUPPORTED_OPERATOR', '$text']);
      expect(err('{"selector":{"a":{"$in":"x"}}}')[0]).toBe('LEDGER_BAD_QUERY');
      expect(err('{"selector":{"a":{"$regex":"("}}}')[0]).toBe('LEDGER_BAD_QUERY');
      expect(err('{"selector":[]}')[0]).toBe('LEDGER_BAD_QUERY');
      // A quote in a field name stays data (CouchDB takes any such name): the table is still there after.
      expect(err('{"selector":{"a'.concat("'", '; DROP TABLE state; --":1}}'))[0]).toBe('none');
      expect(run({ selector: { "a'; DROP TABLE state; --": { $exists: false } } }).length).toBeGreaterThan(0);
      expect(err('{"selector":{},"limit":-1}')[0]).toBe('LEDGER_BAD_QUERY');
      expect(err('{"selector":{},"bogus":1}')[0]).toBe('LEDGER_BAD_QUERY');
      expect(run({ selector: { owner: "x' OR 1=1 --" } })).toEqual([]);
    });
  });
}
