import { lenField, message, stringField, submessage, uintField, type WireMessage } from '../protocol/wire-writer';
import { sha256 } from './private-data';
import type { Version } from './tx-simulator';

/**
 * Fabric's `maxDegreeQueryReadsHashing` (txmgr/query_executor.go): a range query with more results
 * than this records a Merkle summary of its reads instead of the reads themselves.
 */
export const MAX_DEGREE_QUERY_READS_HASHING = 50;

export interface RangeRead {
  readonly key: string;
  readonly version: Version | undefined;
}

/** `kvrwset.QueryReadsMerkleSummary`. */
export interface MerkleSummary {
  readonly maxDegree: number;
  readonly maxLevel: number;
  readonly maxLevelHashes: readonly Uint8Array[];
}

/** What a range query records: its raw reads, or (for more than `maxDegree` results) their Merkle summary. */
export type RangeReadsInfo = { readonly rawReads: readonly RangeRead[]; readonly merkle?: undefined } | { readonly rawReads?: undefined; readonly merkle: MerkleSummary };

/** `KVRead{key = 1, version = 2: {block_num = 1, tx_num = 2}}`. */
export function kvReadFields(key: string, version: Version | undefined): WireMessage {
  return submessage(stringField(1, key), version === undefined ? undefined : lenField(2, submessage(uintField(1, version.blockNum), uintField(2, version.txNum)), false));
}

/** `QueryReads{kv_reads = 1}` as Go's `proto.Marshal` writes it: the bytes Fabric hashes. */
function queryReadsBytes(reads: readonly RangeRead[]): Uint8Array {
  return message(...reads.map((r) => lenField(1, kvReadFields(r.key, r.version), false)));
}

function combinedHash(hashes: readonly Uint8Array[]): Uint8Array {
  return sha256(Buffer.concat(hashes));
}

/** Fabric's `merkleTree` (rwsetutil/query_results_helper.go): levels from 1 up, each node the hash of `maxDegree + 1` children. */
class MerkleTree {
  private readonly tree = new Map<number, Uint8Array[]>();
  private maxLevel = 1;

  constructor(private readonly maxDegree: number) {}

  private level(n: number): Uint8Array[] {
    let hashes = this.tree.get(n);
    if (hashes === undefined) {
      hashes = [];
      this.tree.set(n, hashes);
    }
    return hashes;
  }

  update(leafHash: Uint8Array): void {
    this.level(1).push(leafHash);
    for (let current = 1; ; current++) {
      const hashes = this.level(current);
      if (hashes.length <= this.maxDegree) return;
      this.tree.delete(current);
      this.level(current + 1).push(combinedHash(hashes));
      this.maxLevel = Math.max(this.maxLevel, current + 1);
    }
  }

  /** Lifts every lower level's leftovers up to `maxLevel`, then adds a root if `maxLevel` overflowed. */
  done(): void {
    for (let current = 1; current < this.maxLevel; current++) {
      const hashes = this.tree.get(current) ?? [];
      if (hashes.length === 0) continue;
      this.tree.delete(current);
      this.level(current + 1).push(hashes.length === 1 ? hashes[0] : combinedHash(hashes));
    }
    const top = this.level(this.maxLevel);
    if (top.length > this.maxDegree) {
      this.tree.delete(this.maxLevel);
      this.maxLevel++;
      this.tree.set(this.maxLevel, [combinedHash(top)]);
    }
  }

  isEmpty(): boolean {
    return this.maxLevel === 1 && this.level(1).length === 0;
  }

  summary(): MerkleSummary {
    return { maxDegree: this.maxDegree, maxLevel: this.maxLevel, maxLevelHashes: [...this.level(this.maxLevel)] };
  }
}

/**
 * Fabric's `RangeQueryResultsHelper` with hashing on: results are fed in key order; every
 * `maxDegree + 1` of them become one leaf hash (SHA-256 of their `QueryReads` bytes). At most
 * `maxDegree` results give raw reads, more a Merkle summary, byte for byte as a Fabric endorser.
 */
export class RangeQueryResultsHelper {
  private pending: RangeRead[] = [];
  private readonly tree: MerkleTree;

  constructor(private readonly maxDegree = MAX_DEGREE_QUERY_READS_HASHING) {
    if (!Number.isInteger(maxDegree) || maxDegree < 2) throw new RangeError(`maxDegree [${maxDegree}] should not be less than 2 in the merkle tree`);
    this.tree = new MerkleTree(maxDegree);
  }

  add(read: RangeRead): void {
    this.pending.push(read);
    if (this.pending.length > this.maxDegree) this.hashPending();
  }

  /** The summary so far: the validator compares it as it goes, to stop at the first difference. */
  summary(): MerkleSummary {
    return this.tree.summary();
  }

  done(): RangeReadsInfo {
    if (this.tree.isEmpty()) return { rawReads: this.pending };
    if (this.pending.length > 0) this.hashPending();
    this.tree.done();
    return { merkle: this.tree.summary() };
  }

  private hashPending(): void {
    const leaf = sha256(queryReadsBytes(this.pending));
    this.pending = [];
    this.tree.update(leaf);
  }
}

/** The reads a range query records, as Fabric's simulator would record them. */
export function rangeReadsInfo(reads: readonly RangeRead[]): RangeReadsInfo {
  const helper = new RangeQueryResultsHelper();
  for (const r of reads) helper.add(r);
  return helper.done();
}

function sameHashes(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  return a.length === b.length && a.every((h, i) => Buffer.compare(h, b[i]) === 0);
}

export function sameMerkleSummary(a: MerkleSummary, b: MerkleSummary): boolean {
  return a.maxDegree === b.maxDegree && a.maxLevel === b.maxLevel && sameHashes(a.maxLevelHashes, b.maxLevelHashes);
}

/**
 * Fabric's `rangeQueryHashValidator.validate`: rebuilds the tree over the range's current results,
 * comparing each finished top-level hash with the recorded one as soon as it exists, so a change
 * early in a long range stops the scan there. True when the summaries are equal.
 */
export function merkleSummaryMatches(recorded: MerkleSummary, current: Iterable<RangeRead>): boolean {
  let helper: RangeQueryResultsHelper;
  try {
    helper = new RangeQueryResultsHelper(recorded.maxDegree);
  } catch {
    return false;
  }
  let lastMatched = -1;
  for (const read of current) {
    helper.add(read);
    const now = helper.summary();
    if (now.maxLevel < recorded.maxLevel) continue;
    // Levels only grow, so a tree already taller than the recorded one cannot end equal to it.
    if (now.maxLevel > recorded.maxLevel) return false;
    if (lastMatched === now.maxLevelHashes.length - 1) continue;
    if (now.maxLevelHashes.length > recorded.maxLevelHashes.length) return false;
    lastMatched++;
    if (Buffer.compare(now.maxLevelHashes[lastMatched], recorded.maxLevelHashes[lastMatched]) !== 0) return false;
  }
  const final = helper.done();
  return final.merkle !== undefined && sameMerkleSummary(recorded, final.merkle);
}
