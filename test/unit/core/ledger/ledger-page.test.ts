/**
 * Paged queries read their rows from the store in chunks as the rows are taken, while the rows, the
 * metadata and the read set stay what a page read at once gives: over the real SQLite store, with
 * its state wrapped to see how many rows each store call returned.
 */
import { TxReadWriteSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/rwset_pb';
import { KVRWSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/kvrwset/kv_rwset_pb';
import { makeFixture, utf8, type Fixture } from '../../../../core/ledger/conformance-fixture';
import type { KV, QueryPage, TxSimulator } from '../../../../core/ledger/tx-simulator';
import { countingProvider } from '../../../support/counting-state-store';

const COUNT = 350;
const key = (i: number): string => `k${String(i).padStart(3, '0')}`;
const ALL = Array.from({ length: COUNT }, (_, i) => key(i));
/** Sorted by `n` descending: the reverse of key order. */
const BY_N_DESC = JSON.stringify({ selector: { n: { $gte: 0 } }, sort: [{ n: 'desc' }] });

function rwsetOf(sim: TxSimulator): { bytes: Buffer; ranges: unknown[]; reads: number } {
  const bytes = Buffer.from(sim.getTxSimulationResults());
  const ns = TxReadWriteSet.deserializeBinary(bytes).getNsRwsetList()[0];
  if (ns === undefined) return { bytes, ranges: [], reads: 0 };
  const kv = KVRWSet.deserializeBinary(ns.getRwset_asU8());
  const ranges = kv.getRangeQueriesInfoList().map((i) => [i.getStartKey(), i.getEndKey(), i.getItrExhausted(), i.getRawReads()?.getKvReadsList().length, i.hasReadsMerkleHashes()]);
  return { bytes, ranges, reads: kv.getReadsList().length };
}

const keysOf = (rows: Iterable<KV>): string[] => [...rows].map((r) => r.key);

describe('paged queries read in chunks, with the results of a page read at once', () => {
  let f: Fixture;
  /** Rows each store call returned, in order. */
  let fetched: number[] = [];
  beforeAll(() => {
    f = makeFixture((dir) => countingProvider(dir, (rows) => fetched.push(rows)));
    f.commit([f.tx('seed', (s) => ALL.forEach((k, i) => s.setState('cc', k, utf8(JSON.stringify({ n: i, g: i % 3, pad: 'x'.repeat(64) })))))]);
  });
  afterAll(() => f.close());
  beforeEach(() => {
    fetched = [];
  });

  it('reads a range page of 300 a chunk at a time as its rows are taken, never the page at once', () => {
    const q = f.ledger.newQueryExecutor();
    const page = q.getStateRangeWithPagination('cc', 'k', '', 300, '');
    expect(fetched).toEqual([101]);
    const it = page.rows!()[Symbol.iterator]();
    for (let i = 0; i < 101; i++) expect(it.next().value?.key).toBe(key(i));
    expect(fetched).toEqual([101]);
    const rest: string[] = [];
    for (let r = it.next(); r.done !== true; r = it.next()) rest.push(r.value.key);
    expect(rest).toEqual(ALL.slice(101, 300));
    expect([page.fetchedRecordsCount, page.bookmark]).toEqual([300, key(300)]);
    // 101 + 100 + 99 rows and the one that starts the next page.
    expect(fetched).toEqual([101, 100, 100]);
  });

  it('reads a rich query page the same way, and its bookmark continues right after it', () => {
    const q = f.ledger.newQueryExecutor();
    const page = q.executeQueryWithPagination('cc', BY_N_DESC, 250, '');
    expect(fetched).toEqual([101]);
    expect(keysOf(page.rows!())).toEqual([...ALL].reverse().slice(0, 250));
    expect(Math.max(...fetched)).toBeLessThanOrEqual(101);
    expect(page.fetchedRecordsCount).toBe(250);
    const next = q.executeQueryWithPagination('cc', BY_N_DESC, 250, page.bookmark);
    expect([keysOf(next.rows!()), next.fetchedRecordsCount, next.bookmark]).toEqual([[...ALL].reverse().slice(250), 100, '']);
  });

  it('pages through every row once at sizes around the chunk boundaries, range and rich alike', () => {
    for (const size of [1, 99, 100, 101, 102, 200, 201, 202, 349, 350, 351]) {
      const q = f.ledger.newQueryExecutor();
      const ranged: string[] = [];
      const rich: string[] = [];
      for (let mark = '', n = 0; n === 0 || mark !== ''; n++) {
        const page = q.getStateRangeWithPagination('cc', 'k', '', size, mark);
        const keys = keysOf(page.rows!());
        expect([page.fetchedRecordsCount, page.bookmark]).toEqual([keys.length, ranged.length + keys.length < COUNT ? key(ranged.length + keys.length) : '']);
        ranged.push(...keys);
        mark = page.bookmark;
      }
      for (let mark = '', n = 0; n === 0 || mark !== ''; n++) {
        const page = q.executeQueryWithPagination('cc', BY_N_DESC, size, mark);
        const keys = keysOf(page.rows!());
        expect(page.fetchedRecordsCount).toBe(keys.length);
        rich.push(...keys);
        mark = page.bookmark;
      }
      expect([size, ranged]).toEqual([size, ALL]);
      expect([size, rich]).toEqual([size, [...ALL].reverse()]);
    }
    expect(Math.max(...fetched)).toBeLessThanOrEqual(101);
  });

  it('continues a page across chunks in the query’s order, ties by key and skip included', () => {
    const q = f.ledger.newQueryExecutor();
    // n % 3 ties 117 rows apiece, each tie in key order: more than a chunk within one sort value.
    const byGroup = [0, 1, 2].flatMap((g) => ALL.filter((_, i) => i % 3 === g));
    const query = (skip: number): string => JSON.stringify({ selector: { g: { $gte: 0 } }, sort: [{ g: 'asc' }], skip });
    const first = q.executeQueryWithPagination('cc', query(5), 250, '');
    expect(keysOf(first.rows!())).toEqual(byGroup.slice(5, 255));
    const second = q.executeQueryWithPagination('cc', query(5), 250, first.bookmark);
    expect([keysOf(second.rows!()), second.bookmark]).toEqual([byGroup.slice(255), '']);
    expect(Math.max(...fetched)).toBeLessThanOrEqual(101);
  });

  it('records the same read set whether a page is streamed, listed, read for its metadata, partly read or not read at all', () => {
    type Read = (page: QueryPage<KV>) => void;
    const ways: Record<string, Read> = {
      streamed: (p) => [...p.rows!()].forEach(() => undefined),
      listed: (p) => void p.results,
      metadataFirst: (p) => void p.bookmark,
      tenRows: (p) => {
        const it = p.rows!()[Symbol.iterator]();
        for (let i = 0; i < 10; i++) it.next();
      },
      untouched: () => undefined,
    };
    const expected = (start: number, size: number): unknown[] => {
      const count = Math.min(size, COUNT - start);
      const exhausted = count < size;
      return [[key(start), exhausted ? '' : key(start + count - 1), exhausted, count > 50 ? undefined : count, count > 50]];
    };
    for (const [start, size] of [
      [0, 3],
      [0, 50],
      [0, 101],
      [100, 201],
      [340, 10],
      [340, 11],
      [0, 400],
    ]) {
      const results = Object.entries(ways).map(([way, read]) => {
        const range = f.ledger.newTxSimulator(`range-${way}`);
        read(range.getStateRangeWithPagination('cc', key(start), '', size, ''));
        const rich = f.ledger.newTxSimulator(`rich-${way}`);
        read(rich.executeQueryWithPagination('cc', BY_N_DESC, size, ''));
        return { way, range: rwsetOf(range), rich: rwsetOf(rich) };
      });
      for (const r of results) {
        expect([start, size, r.way, r.range.ranges]).toEqual([start, size, r.way, expected(start, size)]);
        expect([start, size, r.way, r.rich.reads]).toEqual([start, size, r.way, Math.min(size, COUNT)]);
        expect(r.range.bytes.equals(results[0].range.bytes)).toBe(true);
        expect(r.rich.bytes.equals(results[0].rich.bytes)).toBe(true);
      }
    }
  });

  it('gives the metadata early by passing over the rest, and then refuses the rows it no longer holds', () => {
    const q = f.ledger.newQueryExecutor();
    const page = q.getStateRangeWithPagination('cc', 'k', '', 150, '');
    expect([page.bookmark, page.fetchedRecordsCount]).toEqual([key(150), 150]);
    expect(() => page.results).toThrow(expect.objectContaining({ code: 'LEDGER_PAGE_CONSUMED' }));
    const listed = q.getStateRangeWithPagination('cc', 'k', '', 5, '');
    expect(listed.results.map((r) => r.key)).toEqual(ALL.slice(0, 5));
    expect([keysOf(listed.rows!()), listed.fetchedRecordsCount, listed.bookmark]).toEqual([ALL.slice(0, 5), 5, key(5)]);
  });

  it('refuses a bad rich query bookmark at the call, and a page read on after its executor is done', () => {
    const q = f.ledger.newQueryExecutor();
    expect(() => q.executeQueryWithPagination('cc', BY_N_DESC, 10, 'forged')).toThrow(expect.objectContaining({ code: 'LEDGER_BAD_BOOKMARK' }));
    const page = q.getStateRangeWithPagination('cc', 'k', '', 300, '');
    q.done();
    expect(() => page.rows!()).toThrow(expect.objectContaining({ code: 'LEDGER_TX_DONE' }));
    expect(() => page.bookmark).toThrow(expect.objectContaining({ code: 'LEDGER_TX_DONE' }));
  });
});
