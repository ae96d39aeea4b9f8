import { NsReadWriteSet, TxReadWriteSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/rwset_pb';
import {
  KVMetadataEntry,
  KVMetadataWrite,
  KVRead,
  KVRWSet,
  KVWrite,
  QueryReads,
  QueryReadsMerkleSummary,
  RangeQueryInfo,
  Version as VersionPb,
} from '@hyperledger/fabric-protos/lib/ledger/rwset/kvrwset/kv_rwset_pb';
import { boolField, type LenField, lenField, message, stringField, submessage, uintField } from '../protocol/wire-writer';
import { compareUtf8 } from './ledger-keys';
import { kvReadFields, rangeReadsInfo, type RangeReadsInfo } from './range-query-hashing';
import type { Version } from './tx-simulator';

/** A range query as the simulator saw it, for phantom checks at commit. */
export interface RecordedRange {
  readonly startKey: string;
  /** See {@link RwSetBuilder.addRange}. */
  endKey: string;
  exhausted: boolean;
  readonly reads: { key: string; version: Version | undefined }[];
}

interface NsSets {
  reads: Map<string, Version | undefined>;
  writes: Map<string, Uint8Array | undefined>;
  metadataWrites: Map<string, Readonly<Record<string, Uint8Array>>>;
  ranges: RecordedRange[];
}


function versionPb(v: Version): VersionPb {
  const pb = new VersionPb();
  pb.setBlockNum(v.blockNum);
  pb.setTxNum(v.txNum);
  return pb;
}

function kvRead(key: string, version: Version | undefined): KVRead {
  const r = new KVRead();
  r.setKey(key);
  if (version !== undefined) r.setVersion(versionPb(version));
  return r;
}

/**
 * Records one transaction's reads, range queries, writes and metadata writes, and serializes them
 * as Fabric's `TxReadWriteSet` (data model KV) with namespaces and keys sorted, so two simulations
 * of one proposal over one state give identical bytes. The first read of a key fixes its version;
 * the last write wins; an empty value is a delete.
 */
export class RwSetBuilder {
  private readonly ns = new Map<string, NsSets>();

  private sets(namespace: string): NsSets {
    let s = this.ns.get(namespace);
    if (s === undefined) {
      s = { reads: new Map(), writes: new Map(), metadataWrites: new Map(), ranges: [] };
      this.ns.set(namespace, s);
    }
    return s;
  }

  addRead(namespace: string, key: string, version: Version | undefined): void {
    const reads = this.sets(namespace).reads;
    if (!reads.has(key)) reads.set(key, version);
  }

  /** `value` undefined or empty records a delete. */
  addWrite(namespace: string, key: string, value: Uint8Array | undefined): void {
    this.sets(namespace).writes.set(key, value === undefined || value.length === 0 ? undefined : value);
  }

  addMetadataWrite(namespace: string, key: string, metadata: Readonly<Record<string, Uint8Array>>): void {
    this.sets(namespace).metadataWrites.set(key, metadata);
  }

  /**
   * Registers a range query; the caller keeps updating the returned record as it iterates. As in
   * Fabric's `resultsItr`, the end key is empty until a result is read, then the last key read,
   * and the requested end once the range is exhausted.
   */
  addRange(namespace: string, startKey: string): RecordedRange {
    const r: RecordedRange = { startKey, endKey: '', exhausted: false, reads: [] };
    this.sets(namespace).ranges.push(r);
    return r;
  }

  hasWrites(): boolean {
    for (const s of this.ns.values()) if (s.writes.size > 0 || s.metadataWrites.size > 0) return true;
    return false;
  }

  build(): TxReadWriteSet {
    const tx = new TxReadWriteSet();
    tx.setDataModel(TxReadWriteSet.DataModel.KV);
    const names = [...this.ns.keys()].sort(compareUtf8);
    tx.setNsRwsetList(
      names.map((name) => {
        const s = this.ns.get(name) as NsSets;
        const kv = new KVRWSet();
        kv.setReadsList([...s.reads.keys()].sort(compareUtf8).map((k) => kvRead(k, s.reads.get(k))));
        kv.setRangeQueriesInfoList(
          recordedRanges(s.ranges).map(([r, reads]) => {
            const info = new RangeQueryInfo();
            info.setStartKey(r.startKey);
            info.setEndKey(r.endKey);
            info.setItrExhausted(r.exhausted);
            if (reads.merkle !== undefined) {
              const m = new QueryReadsMerkleSummary();
              m.setMaxDegree(reads.merkle.maxDegree);
              m.setMaxLevel(reads.merkle.maxLevel);
              m.setMaxLevelHashesList([...reads.merkle.maxLevelHashes]);
              info.setReadsMerkleHashes(m);
            } else if (reads.rawReads.length > 0) {
              const raw = new QueryReads();
              raw.setKvReadsList(reads.rawReads.map((x) => kvRead(x.key, x.version)));
              info.setRawReads(raw);
            }
            return info;
          }),
        );
        kv.setWritesList(
          [...s.writes.keys()].sort(compareUtf8).map((k) => {
            const w = new KVWrite();
            w.setKey(k);
            const v = s.writes.get(k);
            if (v === undefined) w.setIsDelete(true);
            else w.setValue(v);
            return w;
          }),
        );
        kv.setMetadataWritesList(
          [...s.metadataWrites.keys()].sort(compareUtf8).map((k) => {
            const m = new KVMetadataWrite();
            m.setKey(k);
            const md = s.metadataWrites.get(k) as Record<string, Uint8Array>;
            m.setEntriesList(
              Object.keys(md)
                .sort()
                .map((n) => {
                  const e = new KVMetadataEntry();
                  e.setName(n);
                  e.setValue(md[n]);
                  return e;
                }),
            );
            return m;
          }),
        );
        const ns = new NsReadWriteSet();
        ns.setNamespace(name);
        ns.setRwset(kv.serializeBinary());
        return ns;
      }),
    );
    return tx;
  }

  /**
   * `build().serializeBinary()`, encoded by hand (byte-identical): the simulator serializes a
   * read/write set for every endorsement, and google-protobuf would build a message object per
   * read, write and namespace first.
   */
  buildBytes(): Uint8Array {
    const names = [...this.ns.keys()].sort(compareUtf8);
    return message(
      ...names.map((name) => {
        const s = this.ns.get(name) as NsSets;
        const kv = submessage(
          ...[...s.reads.keys()].sort(compareUtf8).map((k) => lenField(1, kvReadFields(k, s.reads.get(k)), false)),
          ...recordedRanges(s.ranges).map(([r, reads]) =>
            lenField(2, submessage(stringField(1, r.startKey), stringField(2, r.endKey), boolField(3, r.exhausted), readsInfoField(reads)), false),
          ),
          ...[...s.writes.keys()].sort(compareUtf8).map((k) => {
            const v = s.writes.get(k);
            return lenField(3, submessage(stringField(1, k), boolField(2, v === undefined), v === undefined ? undefined : lenField(3, v, true)), false);
          }),
          ...[...s.metadataWrites.keys()].sort(compareUtf8).map((k) => {
            const md = s.metadataWrites.get(k) as Record<string, Uint8Array>;
            const entries = Object.keys(md)
              .sort()
              .map((n) => lenField(2, submessage(stringField(1, n), lenField(2, md[n], true)), false));
            return lenField(4, submessage(stringField(1, k), ...entries), false);
          }),
        );
        // TxReadWriteSet{data_model = 1 (KV = 0, omitted), ns_rwset = 2: NsReadWriteSet{namespace = 1, rwset = 2}}.
        return lenField(2, submessage(stringField(1, name), lenField(2, kv, true)), false);
      }),
    );
  }
}

/**
 * The ranges as Fabric's `RWSetBuilder.AddToRangeQuerySet` keeps them: one per (start, end,
 * exhausted), the first recorded, each with the reads info Fabric's simulator gives it.
 */
function recordedRanges(ranges: readonly RecordedRange[]): [RecordedRange, RangeReadsInfo][] {
  const seen = new Set<string>();
  const out: [RecordedRange, RangeReadsInfo][] = [];
  for (const r of ranges) {
    const id = JSON.stringify([r.startKey, r.endKey, r.exhausted]);
    if (seen.has(id)) continue;
    seen.add(id);
    out.push([r, rangeReadsInfo(r.reads)]);
  }
  return out;
}

/** `raw_reads = 4` or `reads_merkle_hashes = 5`; neither when the range read nothing (Fabric sets raw reads only if there are some). */
function readsInfoField(reads: RangeReadsInfo): LenField | undefined {
  if (reads.merkle !== undefined) {
    const m = reads.merkle;
    return lenField(5, submessage(uintField(1, m.maxDegree), uintField(2, m.maxLevel), ...m.maxLevelHashes.map((h) => lenField(3, h, false))), false);
  }
  if (reads.rawReads.length === 0) return undefined;
  return lenField(4, submessage(...reads.rawReads.map((x) => lenField(1, kvReadFields(x.key, x.version), false))), false);
}
