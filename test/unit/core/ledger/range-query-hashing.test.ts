import { createHash } from 'node:crypto';
import { KVRead, QueryReads, Version } from '@hyperledger/fabric-protos/lib/ledger/rwset/kvrwset/kv_rwset_pb';
import { merkleSummaryMatches, RangeQueryResultsHelper, rangeReadsInfo, type RangeRead } from '../../../../core/ledger/range-query-hashing';

const reads = (n: number, from = 0): RangeRead[] => Array.from({ length: n }, (_, i) => ({ key: `k${String(from + i).padStart(5, '0')}`, version: { blockNum: 7, txNum: from + i } }));
const sha256 = (...parts: Uint8Array[]): string => createHash('sha256').update(Buffer.concat(parts)).digest('hex');

/** A leaf: SHA-256 of the reads' `QueryReads`, serialized by google-protobuf (not the code under test). */
function leaf(rs: readonly RangeRead[]): Buffer {
  const q = new QueryReads();
  q.setKvReadsList(
    rs.map((r) => {
      const kv = new KVRead();
      kv.setKey(r.key);
      const v = new Version();
      v.setBlockNum(r.version!.blockNum);
      v.setTxNum(r.version!.txNum);
      kv.setVersion(v);
      return kv;
    }),
  );
  return createHash('sha256').update(q.serializeBinary()).digest();
}

const hex = (hs: readonly Uint8Array[]): string[] => hs.map((h) => Buffer.from(h).toString('hex'));

describe("Fabric's range query results helper (Merkle summary of range reads)", () => {
  it('keeps up to maxDegree results raw and hashes every maxDegree + 1 of a longer range into a leaf', () => {
    expect(rangeReadsInfo(reads(50)).rawReads).toHaveLength(50);
    expect(rangeReadsInfo([]).rawReads).toEqual([]);
    const one = rangeReadsInfo(reads(51)).merkle!;
    expect([one.maxDegree, one.maxLevel, hex(one.maxLevelHashes)]).toEqual([50, 1, [leaf(reads(51)).toString('hex')]]);
  });

  it('builds upper levels from maxDegree + 1 hashes and lifts leftovers at the end', () => {
    // 51 leaves (51 × 51 reads) make one level-2 node; 60 more reads make two more leaves, which
    // done() combines into a second level-2 node beside it.
    const all = reads(51 * 51 + 60);
    const leaves = Array.from({ length: 53 }, (_, i) => leaf(all.slice(i * 51, i * 51 + 51)));
    const s = rangeReadsInfo(all).merkle!;
    expect([s.maxDegree, s.maxLevel]).toEqual([50, 2]);
    expect(hex(s.maxLevelHashes)).toEqual([sha256(...leaves.slice(0, 51)), sha256(...leaves.slice(51))]);
    // Exactly 51 leaves: a single level-2 root.
    const root = rangeReadsInfo(all.slice(0, 51 * 51)).merkle!;
    expect([root.maxLevel, hex(root.maxLevelHashes)]).toEqual([2, [sha256(...leaves.slice(0, 51))]]);
  });

  it('refuses a degree under 2, as Fabric', () => {
    expect(() => new RangeQueryResultsHelper(1)).toThrow('maxDegree [1] should not be less than 2');
  });

  it('validates a summary against current results: equal, changed early, changed late, longer, shorter', () => {
    const original = reads(300);
    const summary = rangeReadsInfo(original).merkle!;
    expect(merkleSummaryMatches(summary, original)).toBe(true);
    const changed = (i: number): RangeRead[] => original.map((r, j) => (j === i ? { key: r.key, version: { blockNum: 8, txNum: 0 } } : r));
    expect(merkleSummaryMatches(summary, changed(3))).toBe(false);
    expect(merkleSummaryMatches(summary, changed(299))).toBe(false);
    expect(merkleSummaryMatches(summary, [...original, ...reads(1, 300)])).toBe(false);
    expect(merkleSummaryMatches(summary, original.slice(0, 299))).toBe(false);
    expect(merkleSummaryMatches(summary, reads(51 * 51 * 2))).toBe(false);
    expect(merkleSummaryMatches({ ...summary, maxDegree: 0 }, original)).toBe(false);
  });

  it('stops reading the current results at the first differing leaf', () => {
    const original = reads(51 * 40);
    const summary = rangeReadsInfo(original).merkle!;
    let consumed = 0;
    function* current(): Generator<RangeRead> {
      for (let i = 0; i < original.length; i++) {
        consumed++;
        yield i === 10 ? { key: original[i].key, version: undefined } : original[i];
      }
    }
    expect(merkleSummaryMatches(summary, current())).toBe(false);
    expect(consumed).toBe(51);
  });
});
