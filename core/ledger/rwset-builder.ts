import { CollectionHashedReadWriteSet, NsReadWriteSet, TxReadWriteSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/rwset_pb';
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
import { sha256 } from './private-data';
import { kvReadFields, rangeReadsInfo, type RangeReadsInfo } from './range-query-hashing';
import type { Version, WrittenKey } from './tx-simulator';

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
  collections: Map<string, CollSets>;
}

/** One private data collection's records: reads and metadata writes go only into the hashed rwset. */
interface CollSets {
  hashedReads: Map<string, Version | undefined>;
  /** `value` undefined: a delete; `purge`: Fabric 2.5's purge (a delete that also drops the key's private history). */
  pvtWrites: Map<string, { value: Uint8Array | undefined; purge: boolean }>;
  metadataWrites: Map<string, Readonly<Record<string, Uint8Array>>>;
}

/** A collection as it goes on the wire: its hashed rwset and, when it wrote anything, its private `KVRWSet`. */
interface BuiltCollection {
  readonly name: string;
  readonly hashed: Uint8Array;
  readonly pvt: Uint8Array | undefined;
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
  /**
   * Per namespace, the collections a private value was read from (Fabric's `PrivateReads`). Apart
   * from the rwset: a private range or rich query records nothing in it, yet reads values. Made on
   * the first such read: most transactions read none.
   */
  private privatelyRead: Map<string, Set<string>> | undefined;

  private sets(namespace: string): NsSets {
    let s = this.ns.get(namespace);
    if (s === undefined) {
      s = { reads: new Map(), writes: new Map(), metadataWrites: new Map(), ranges: [], collections: new Map() };
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

  private coll(namespace: string, collection: string): CollSets {
    const colls = this.sets(namespace).collections;
    let c = colls.get(collection);
    if (c === undefined) {
      c = { hashedReads: new Map(), pvtWrites: new Map(), metadataWrites: new Map() };
      colls.set(collection, c);
    }
    return c;
  }

  addHashedRead(namespace: string, collection: string, key: string, version: Version | undefined): void {
    const reads = this.coll(namespace, collection).hashedReads;
    if (!reads.has(key)) reads.set(key, version);
  }

  /**
   * Marks that private values of the collection were read: by a point read (after its
   * {@link addHashedRead}) or by a range or rich query, which adds nothing to the rwset.
   */
  addPrivateRead(namespace: string, collection: string): void {
    this.privatelyRead ??= new Map();
    let colls = this.privatelyRead.get(namespace);
    if (colls === undefined) {
      colls = new Set();
      this.privatelyRead.set(namespace, colls);
    }
    colls.add(collection);
  }

  /** `value` undefined or empty records a delete. */
  addPvtWrite(namespace: string, collection: string, key: string, value: Uint8Array | undefined): void {
    this.coll(namespace, collection).pvtWrites.set(key, { value: value === undefined || value.length === 0 ? undefined : value, purge: false });
  }

  addPvtPurge(namespace: string, collection: string, key: string): void {
    this.coll(namespace, collection).pvtWrites.set(key, { value: undefined, purge: true });
  }

  addHashedMetadataWrite(namespace: string, collection: string, key: string, metadata: Readonly<Record<string, Uint8Array>>): void {
    this.coll(namespace, collection).metadataWrites.set(key, metadata);
  }

  hasWrites(): boolean {
    for (const s of this.ns.values()) {
      if (s.writes.size > 0 || s.metadataWrites.size > 0) return true;
      for (const c of s.collections.values()) if (c.pvtWrites.size > 0 || c.metadataWrites.size > 0) return true;
    }
    return false;
  }

  /** The namespaces recorded (those of the read/write set), sorted. */
  namespaces(): string[] {
    return [...this.ns.keys()].sort(compareUtf8);
  }

  /** Every written key, once, in namespace, collection ('' first) and key order. */
  writtenKeys(): WrittenKey[] {
    const out: WrittenKey[] = [];
    const add = (namespace: string, collection: string, keys: Iterable<string>): void => {
      for (const key of [...new Set(keys)].sort(compareUtf8)) out.push({ namespace, collection, key });
    };
    for (const namespace of this.namespaces()) {
      const s = this.ns.get(namespace) as NsSets;
      add(namespace, '', [...s.writes.keys(), ...s.metadataWrites.keys()]);
      for (const collection of [...s.collections.keys()].sort(compareUtf8)) {
        const c = s.collections.get(collection) as CollSets;
        add(namespace, collection, [...c.pvtWrites.keys(), ...c.metadataWrites.keys()]);
      }
    }
    return out;
  }

  /** The collections a private value was read from, in namespace and collection order. */
  privateReads(): { namespace: string; collection: string }[] {
    const read = this.privatelyRead;
    if (read === undefined) return [];
    return [...read.keys()].sort(compareUtf8).flatMap((namespace) => [...(read.get(namespace) as Set<string>)].sort(compareUtf8).map((collection) => ({ namespace, collection })));
  }

  /**
   * `TxPvtReadWriteSet` bytes of the private writes (namespaces and collections sorted, as Fabric's
   * builder sorts them), or undefined when no collection wrote anything.
   */
  buildPvtBytes(): Uint8Array | undefined {
    const nsFields: LenField[] = [];
    for (const name of [...this.ns.keys()].sort(compareUtf8)) {
      const colls = builtCollections(this.ns.get(name) as NsSets).filter((c) => c.pvt !== undefined);
      if (colls.length === 0) continue;
      const field = lenField(
        2,
        submessage(stringField(1, name), ...colls.map((c) => lenField(2, submessage(stringField(1, c.name), lenField(2, c.pvt as Uint8Array, true)), false))),
        false,
      );
      nsFields.push(field as LenField);
    }
    return nsFields.length === 0 ? undefined : message(...nsFields);
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
        ns.setCollectionHashedRwsetList(
          builtCollections(s).map((c) => {
            const h = new CollectionHashedReadWriteSet();
            h.setCollectionName(c.name);
            h.setHashedRwset(c.hashed);
            if (c.pvt !== undefined) h.setPvtRwsetHash(sha256(c.pvt));
            return h;
          }),
        );
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
        // TxReadWriteSet{data_model = 1 (KV = 0, omitted), ns_rwset = 2: NsReadWriteSet{namespace = 1, rwset = 2,
        // collection_hashed_rwset = 3: {collection_name = 1, hashed_rwset = 2, pvt_rwset_hash = 3}}}.
        const colls = builtCollections(s).map((c) =>
          lenField(3, submessage(stringField(1, c.name), lenField(2, c.hashed, true), c.pvt === undefined ? undefined : lenField(3, sha256(c.pvt), true)), false),
        );
        return lenField(2, submessage(stringField(1, name), lenField(2, kv, true), ...colls), false);
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

/** A namespace's collections, sorted by name: each one's hashed rwset and private `KVRWSet` bytes. */
function builtCollections(s: NsSets): BuiltCollection[] {
  return [...s.collections.keys()].sort(compareUtf8).map((name) => {
    const c = s.collections.get(name) as CollSets;
    const writeKeys = [...c.pvtWrites.keys()].sort(compareUtf8);
    const metadataKeys = [...c.metadataWrites.keys()].sort(compareUtf8);
    // KVRWSet{writes = 3: KVWrite{key = 1, is_delete = 2, value = 3}, metadata_writes = 4: KVMetadataWrite{key = 1}}: a
    // private rwset holds writes, and as Fabric's the keys of metadata writes without their entries (those go with the
    // hash), so a peer holding the value can move it to the version the metadata write gives the hashed key.
    const pvt =
      writeKeys.length === 0 && metadataKeys.length === 0
        ? undefined
        : message(
            ...writeKeys.map((k) => {
              const w = c.pvtWrites.get(k) as { value: Uint8Array | undefined };
              return lenField(3, submessage(stringField(1, k), boolField(2, w.value === undefined), w.value === undefined ? undefined : lenField(3, w.value, true)), false);
            }),
            ...metadataKeys.map((k) => lenField(4, submessage(stringField(1, k)), false)),
          );
    // HashedRWSet{hashed_reads = 1: KVReadHash{key_hash = 1, version = 2}, hashed_writes = 2: KVWriteHash{key_hash = 1,
    // is_delete = 2, value_hash = 3, is_purge = 4}, metadata_writes = 3: KVMetadataWriteHash{key_hash = 1, entries = 2}}.
    const hashed = message(
      ...[...c.hashedReads.keys()].sort(compareUtf8).map((k) => {
        const v = c.hashedReads.get(k);
        return lenField(
          1,
          submessage(lenField(1, sha256(k), true), v === undefined ? undefined : lenField(2, submessage(uintField(1, v.blockNum), uintField(2, v.txNum)), false)),
          false,
        );
      }),
      ...writeKeys.map((k) => {
        const w = c.pvtWrites.get(k) as { value: Uint8Array | undefined; purge: boolean };
        return lenField(
          2,
          submessage(lenField(1, sha256(k), true), boolField(2, w.value === undefined), w.value === undefined ? undefined : lenField(3, sha256(w.value), true), boolField(4, w.purge)),
          false,
        );
      }),
      ...metadataKeys.map((k) => {
        const md = c.metadataWrites.get(k) as Record<string, Uint8Array>;
        const entries = Object.keys(md)
          .sort()
          .map((n) => lenField(2, submessage(stringField(1, n), lenField(2, md[n], true)), false));
        return lenField(3, submessage(lenField(1, sha256(k), true), ...entries), false);
      }),
    );
    return { name, hashed, pvt };
  });
}
