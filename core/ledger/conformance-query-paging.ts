/**
 * Conformance: long rich-query results and their bookmarks (jest globals). A result read in chunks
 * or pages is the whole result once, in order, whatever the sort directions, ties and mixed types,
 * and a bookmark continues after its row even when commits in between moved the rows before it.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { makeFixture, utf8, type Fixture } from './conformance-fixture';
import type { LedgerStoreProvider } from './ledger-store-provider';
import { buildRwSetEnvelope } from './test-blocks';
import type { KV, QueryPage } from './tx-simulator';

/** More documents than one internal chunk of a query (256), with ties, mixed types and absent fields. */
const COUNT = 700;
const doc = (i: number): object => (i % 10 === 0 ? { name: `n${i}` } : { name: `n${i}`, rank: i % 7 === 0 ? `r${i % 3}` : i % 5, tag: i % 2 === 0 ? 'even' : 'odd' });

export function queryPagingConformance(makeProvider: (dir: string) => LedgerStoreProvider): void {
  describe('rich queries: long results and bookmarks', () => {
    let f: Fixture;
    const keys = (query: object): string[] => [...f.ledger.newQueryExecutor().executeQuery('docs', JSON.stringify(query))].map((kv) => kv.key);
    const page = (query: object, size: number, bookmark: string): QueryPage<KV> => f.ledger.newQueryExecutor().executeQueryWithPagination('docs', JSON.stringify(query), size, bookmark);
    const allPages = (query: object, size: number): string[] => {
      const out: string[] = [];
      let bookmark = '';
      do {
        const p = page(query, size, bookmark);
        out.push(...p.results.map((r) => r.key));
        bookmark = p.bookmark;
      } while (bookmark !== '');
      return out;
    };
    beforeAll(() => {
      f = makeFixture(makeProvider);
      const key = (i: number): string => `d${String(i).padStart(4, '0')}`;
      f.commit([f.tx('docs', (s) => Array.from({ length: COUNT }, (_, i) => s.setState('docs', key(i), utf8(JSON.stringify(doc(i))))))]);
    });
    afterAll(() => f.close());

    it('returns a result longer than a chunk whole and in order, sorted or not', () => {
      const all = keys({ selector: {} });
      expect(all).toHaveLength(COUNT);
      expect(all).toEqual([...all].sort());
      const sorted = keys({ selector: {}, sort: [{ rank: 'desc' }, { tag: 'asc' }] });
      // Only documents with both sort fields: one in ten has neither.
      expect(new Set(sorted).size).toBe(COUNT - COUNT / 10);
      expect(sorted.every((k) => Number(k.slice(1)) % 10 !== 0)).toBe(true);
      // rank desc: strings r2 > r1 > r0 above numbers 4..0; tag asc within; key asc within that.
      const rankOf = (k: string): number => {
        const d = doc(Number(k.slice(1))) as { rank?: number | string; tag?: string };
        const r = d.rank === undefined ? -1 : typeof d.rank === 'string' ? 10 + Number(d.rank.slice(1)) : d.rank;
        return r * 10 + (d.tag === 'odd' ? 0 : 1);
      };
      const expected = [...sorted].sort((a, b) => rankOf(b) - rankOf(a) || (a < b ? -1 : 1));
      expect(sorted).toEqual(expected);
      expect(keys({ selector: { rank: { $gte: 2 } }, sort: [{ rank: 'asc' }] })).toHaveLength(keys({ selector: { rank: { $gte: 2 } } }).length);
    });

    it('pages through every row once with bookmarks, in the order of the whole result', () => {
      for (const query of [{ selector: { tag: 'even' } }, { selector: {}, sort: [{ rank: 'asc' }] }, { selector: {}, sort: [{ rank: 'desc' }, { tag: 'desc' }] }]) {
        expect(allPages(query, 97)).toEqual(keys(query));
      }
      const skipped = { selector: { tag: 'odd' }, skip: 5 };
      expect(allPages(skipped, 50)).toEqual(keys({ selector: { tag: 'odd' } }).slice(5));
    });

    it('continues after the bookmark’s row when a commit in between adds rows before it', () => {
      const query = { selector: {}, sort: [{ name: 'asc' }] };
      const first = page(query, 10, '');
      const last = first.results[first.results.length - 1].key;
      f.commit([f.tx('insert-before', (s) => s.setState('docs', 'a-new', utf8(JSON.stringify({ name: 'a' }))))]);
      const second = page(query, 10, first.bookmark);
      const all = keys(query);
      expect(all[0]).toBe('a-new');
      expect(second.results.map((r) => r.key)).toEqual(all.slice(all.indexOf(last) + 1, all.indexOf(last) + 11));
    });

    it('refuses a bookmark it did not produce for the query, with LEDGER_BAD_BOOKMARK', () => {
      const sortedMark = page({ selector: {}, sort: [{ rank: 'asc' }] }, 3, '').bookmark;
      const code = (bookmark: string, query: object = { selector: {} }): unknown => {
        try {
          page(query, 3, bookmark);
        } catch (e) {
          return (e as { code?: string }).code;
        }
        return 'no error';
      };
      expect(code(sortedMark)).toBe('LEDGER_BAD_BOOKMARK'); // two sort keys where the query has one (the key)
      expect(code('not a bookmark!')).toBe('LEDGER_BAD_BOOKMARK');
      expect(code(Buffer.from('{"x":1}').toString('base64url'))).toBe('LEDGER_BAD_BOOKMARK');
      expect(code(sortedMark, { selector: {}, sort: [{ rank: 'asc' }] })).toBe('no error');
    });
  });

  describe('private data queries read a page at a time (Weft’s addition, hyperledger/fabric#4197)', () => {
    const PVT_COUNT = 250;
    let f: Fixture;
    /** Every page of a private query's results, bookmarks chained, as the keys of each page. */
    const pagesOf = (page: (bookmark: string) => QueryPage<KV>): string[][] => {
      const out: string[][] = [];
      let bookmark = '';
      do {
        const p = page(bookmark);
        out.push(p.results.map((r) => r.key));
        bookmark = p.bookmark;
      } while (bookmark !== '');
      return out;
    };
    beforeAll(() => {
      f = makeFixture(makeProvider);
      const sim = f.ledger.newTxSimulator('pvt-seed');
      for (let i = 0; i < PVT_COUNT; i++) sim.setPrivateData('docs', 'coll', `p${String(i).padStart(3, '0')}`, utf8(JSON.stringify(doc(i))));
      const envelope = buildRwSetEnvelope({ txId: 'pvt-seed', rwset: sim.getTxSimulationResults(), channelId: 'ch1' });
      const pvt = sim.getPrivateSimulationResults() as Uint8Array;
      sim.done();
      expect(f.ledger.commit(f.chain.block([envelope]), undefined, new Map([[0, pvt]])).validationCodes).toEqual([0]);
    });
    afterAll(() => f.close());

    it('pages a private range through every key once, each bookmark the next page’s first key', () => {
      const q = f.ledger.newQueryExecutor();
      const all = [...q.getPrivateDataRange('docs', 'coll', '', '')].map((kv) => kv.key);
      const pages = pagesOf((bookmark) => q.getPrivateDataRangeWithPagination('docs', 'coll', '', '', 101, bookmark));
      expect(pages.map((p) => p.length)).toEqual([101, 101, 48]);
      expect(pages.flat()).toEqual(all);
      const first = q.getPrivateDataRangeWithPagination('docs', 'coll', 'p010', 'p020', 4, '');
      expect([first.results.map((r) => [r.namespace, r.key]), first.bookmark]).toEqual([[['docs', 'p010'], ['docs', 'p011'], ['docs', 'p012'], ['docs', 'p013']], 'p014']);
    });

    it('pages a private rich query in the order of its whole result, refusing a bookmark it did not produce for the query', () => {
      const q = f.ledger.newQueryExecutor();
      const query = JSON.stringify({ selector: {}, sort: [{ rank: 'desc' }, { tag: 'asc' }] });
      const all = [...q.executeQueryOnPrivateData('docs', 'coll', query)].map((kv) => kv.key);
      expect(pagesOf((bookmark) => q.executeQueryOnPrivateDataWithPagination('docs', 'coll', query, 60, bookmark)).flat()).toEqual(all);
      // A bookmark of a query with another sort names no row of this one, as for public pages.
      const otherMark = q.executeQueryOnPrivateDataWithPagination('docs', 'coll', JSON.stringify({ selector: {}, sort: [{ rank: 'asc' }] }), 3, '').bookmark;
      expect(otherMark).not.toBe('');
      expect(() => q.executeQueryOnPrivateDataWithPagination('docs', 'coll', query, 3, otherMark)).toThrow(expect.objectContaining({ code: 'LEDGER_BAD_BOOKMARK' }));
    });
  });
}
