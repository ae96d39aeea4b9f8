import * as fs from 'node:fs';
import * as path from 'node:path';
import type Database from 'better-sqlite3';
import { type CollectionPvtRwSet, decodeTxPvtRwSet, encodeTxPvtRwSet } from '../../ledger/private-data';
import { bytesEqual } from '../../protocol/bytes';
import { PeerError } from '../peer-error';

/**
 * Versions of one collection kept for one transaction. Fabric keeps every version pushed, and the
 * commit takes the one whose hash the block carries; a bound keeps a peer that pushes forged
 * versions from growing an entry without end (past it, the commit pulls what no version matched).
 */
export const MAX_VERSIONS_PER_COLLECTION = 4;
/**
 * Bytes a channel's store holds by default. Fabric's store is bounded by its disk only; this one
 * is read from memory, so what other peers push must not grow it without end.
 */
export const DEFAULT_TRANSIENT_MAX_BYTES = 512 * 1024 * 1024;

/** `pushed`: the entry holds only what other peers pushed (none of this peer's endorsements). */
const DDL = `
CREATE TABLE IF NOT EXISTS transient (txid TEXT PRIMARY KEY, height INTEGER NOT NULL, pvt BLOB NOT NULL, pushed INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS transient_by_height ON transient (height);
`;

interface Entry {
  readonly pvt: Uint8Array;
  readonly height: number;
  readonly pushed: boolean;
}

/** Statements of a persisted store. */
interface TransientFile {
  readonly db: Database.Database;
  readonly put: Database.Statement;
  readonly remove: Database.Statement;
  readonly expire: Database.Statement;
}

/**
 * Fabric's transient store: the private rwsets this peer produced as an endorser or was pushed,
 * kept by txid until the transaction commits (the committer takes its own collections' data from
 * here) or falls out of retention. An entry is a `TxPvtReadWriteSet` that may hold several
 * versions of a collection, as Fabric's store keeps one record per endorsement: a push cannot
 * shadow the version the block will carry. Opened on a file, it survives a restart between
 * endorsing and committing, as Fabric's LevelDB store does: reads come from memory, and every
 * change is also written to the file (WAL, no sync per write: a process crash loses nothing, a
 * power cut at most the last writes). Being in memory, it is bounded in bytes, where Fabric's is
 * bounded by its disk only.
 */
export class TransientStore {
  /** In the order they were first written: the oldest pushed entries are the first evicted. */
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  /**
   * In memory when `file` is undefined. `maxBlockRetention` is Fabric's
   * `peer.gossip.pvtData.transientstoreMaxBlockRetention`: an entry endorsed at height h is dropped
   * once the channel's height passes h + this. `maxBytes` bounds what the entries hold, txids included.
   */
  private constructor(
    private readonly file: TransientFile | undefined,
    private readonly maxBlockRetention: number,
    private readonly maxBytes: number,
  ) {
    if (file === undefined) return;
    const rows = file.db.prepare('SELECT txid, height, pvt, pushed FROM transient ORDER BY height').raw().all() as [string, number, Buffer, number][];
    for (const [txId, height, pvt, pushed] of rows) this.set(txId, { pvt: new Uint8Array(pvt), height, pushed: pushed === 1 });
  }

  /** A store kept only in memory. */
  static inMemory(maxBlockRetention = 20_000, maxBytes = DEFAULT_TRANSIENT_MAX_BYTES): TransientStore {
    return new TransientStore(undefined, maxBlockRetention, maxBytes);
  }

  /**
   * Opens (creating when missing) the store in `file`, owner-only: it holds private values. Throws
   * `PEER_TRANSIENT_STORE` when the file cannot be used.
   */
  static open(file: string, maxBlockRetention = 20_000, maxBytes = DEFAULT_TRANSIENT_MAX_BYTES): TransientStore {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    // Loaded here rather than at the top: core loads the SQLite addon only for a node that starts.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Sqlite = require('better-sqlite3') as typeof Database;
    let db: Database.Database | undefined;
    try {
      db = new Sqlite(file);
      fs.chmodSync(file, 0o600);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.exec(DDL);
      // A store written before pushes were told apart: what it holds counts as endorsed here.
      if (!(db.pragma('table_info(transient)') as { name: string }[]).some((c) => c.name === 'pushed')) {
        db.exec('ALTER TABLE transient ADD COLUMN pushed INTEGER NOT NULL DEFAULT 0');
      }
      const put = db.prepare('INSERT OR REPLACE INTO transient (txid, height, pvt, pushed) VALUES (?, ?, ?, ?)');
      const remove = db.prepare('DELETE FROM transient WHERE txid = ?');
      const expire = db.prepare('DELETE FROM transient WHERE height < ?');
      return new TransientStore({ db, put, remove, expire }, maxBlockRetention, maxBytes);
    } catch (err) {
      db?.close();
      throw new PeerError(
        'PEER_TRANSIENT_STORE',
        `cannot open the transient store ${file}: ${(err as Error).message}; it holds only private data of transactions not yet committed, so a damaged file may be deleted`,
        { file },
        { cause: err },
      );
    }
  }

  /**
   * Keeps the private rwset of this peer's own endorsement, ahead of the versions held already (a
   * second endorsement of one txid comes first): without the block's hashes at hand, the first
   * version is the one a commit takes. Retention counts from this endorsement. Past `maxBytes`
   * the oldest entries holding only pushed data are evicted, then the oldest endorsements: a
   * client can have a peer endorse and never submit, and an endorsement the store no longer holds
   * when its block comes is pulled from the other endorsers, where refusing endorsements would
   * stop the peer. Throws `PEER_TRANSIENT_STORE_FULL` only for an entry larger than the bound.
   */
  persist(txId: string, pvt: Uint8Array, height: number): void {
    const held = this.entries.get(txId);
    let all = pvt;
    if (held !== undefined) {
      try {
        all = encodeTxPvtRwSet(merged(decodeTxPvtRwSet(pvt), decodeTxPvtRwSet(held.pvt)));
      } catch {
        // What does not decode is no use to a commit: the endorsement replaces it.
      }
    }
    if (!this.makeRoom(all.byteLength - (held?.pvt.byteLength ?? -txId.length), txId, true)) throw this.full(txId, all.byteLength);
    this.write(txId, { pvt: all, height, pushed: false });
  }

  /**
   * Adds the versions of collections another peer pushed, behind those held; a version held
   * already, or one past {@link MAX_VERSIONS_PER_COLLECTION}, is left out. Returns how many were
   * added. Past `maxBytes` the oldest entries holding only pushed data are evicted (a commit pulls
   * what it then lacks), never an endorsement of this peer's; throws `PEER_TRANSIENT_STORE_FULL`
   * when that is not enough.
   */
  add(txId: string, pushed: readonly CollectionPvtRwSet[], height: number): number {
    const held = this.entries.get(txId);
    const kept = held === undefined ? [] : decodable(held.pvt);
    const all = merged(kept, pushed);
    if (all.length === kept.length) return 0;
    const pvt = encodeTxPvtRwSet(all);
    if (!this.makeRoom(pvt.byteLength - (held?.pvt.byteLength ?? -txId.length), txId, false)) throw this.full(txId, pvt.byteLength);
    this.write(txId, { pvt, height: held?.height ?? height, pushed: held?.pushed ?? true });
    return all.length - kept.length;
  }

  private full(txId: string, bytes: number): PeerError {
    return new PeerError(
      'PEER_TRANSIENT_STORE_FULL',
      `the transient store holds ${this.bytes} bytes of private data of transactions not yet committed, and ${bytes} for transaction ${txId} would pass its bound of ${this.maxBytes}; it frees as they commit or pass retention`,
      { txId, bytes: this.bytes, maxBytes: this.maxBytes },
    );
  }

  /**
   * Evicts the oldest entries but `keep` until `more` bytes fit, those holding only pushed data
   * first, then (with `endorsements`) this peer's endorsements; false when they cannot.
   */
  private makeRoom(more: number, keep: string, endorsements: boolean): boolean {
    if (this.bytes + more <= this.maxBytes) return true;
    // Nothing goes for an entry that would not fit even then.
    let evictable = 0;
    for (const [txId, e] of this.entries) if ((e.pushed || endorsements) && txId !== keep) evictable += e.pvt.byteLength + txId.length;
    if (this.bytes - evictable + more > this.maxBytes) return false;
    const evicted: string[] = [];
    for (const pass of endorsements ? [true, false] : [true]) {
      for (const [txId, e] of this.entries) {
        if (this.bytes + more <= this.maxBytes) break;
        if (e.pushed !== pass || txId === keep) continue;
        this.delete(txId);
        evicted.push(txId);
      }
    }
    const file = this.file;
    if (file !== undefined && evicted.length > 0) file.db.transaction(() => evicted.forEach((txId) => file.remove.run(txId)))();
    return this.bytes + more <= this.maxBytes;
  }

  private write(txId: string, entry: Entry): void {
    const { pvt } = entry;
    this.file?.put.run(txId, entry.height, Buffer.from(pvt.buffer, pvt.byteOffset, pvt.byteLength), entry.pushed ? 1 : 0);
    this.set(txId, entry);
  }

  private set(txId: string, entry: Entry): void {
    const held = this.entries.get(txId);
    this.bytes += entry.pvt.byteLength - (held === undefined ? -txId.length : held.pvt.byteLength);
    this.entries.set(txId, entry);
  }

  private delete(txId: string): boolean {
    const e = this.entries.get(txId);
    if (e === undefined) return false;
    this.bytes -= e.pvt.byteLength + txId.length;
    return this.entries.delete(txId);
  }

  /** Every version held of the transaction's collections, in the order they are preferred. */
  get(txId: string): Uint8Array | undefined {
    return this.entries.get(txId)?.pvt;
  }

  get size(): number {
    return this.entries.size;
  }

  /** After a block commits: drops its transactions' entries and every entry past retention. */
  purge(txIds: Iterable<string>, height: number): void {
    if (this.entries.size === 0) return;
    const gone: string[] = [];
    for (const txId of txIds) if (this.delete(txId)) gone.push(txId);
    // Every 64 blocks, or every `maxBlockRetention` when that is fewer: Fabric purges every
    // retention, so an entry outlives it by no more than that much again.
    const expiring = height % 64 === 0 || height % this.maxBlockRetention === 0;
    if (expiring) for (const [txId, e] of this.entries) if (e.height + this.maxBlockRetention < height) this.delete(txId);
    const file = this.file;
    if (file === undefined || (gone.length === 0 && !expiring)) return;
    file.db.transaction(() => {
      for (const txId of gone) file.remove.run(txId);
      if (expiring) file.expire.run(height - this.maxBlockRetention);
    })();
  }

  close(): void {
    this.file?.db.close();
  }
}

/** `first`, then the versions of `then` that are new, each collection held to {@link MAX_VERSIONS_PER_COLLECTION}. */
function merged(first: readonly CollectionPvtRwSet[], then: readonly CollectionPvtRwSet[]): CollectionPvtRwSet[] {
  const out: CollectionPvtRwSet[] = [];
  for (const c of [...first, ...then]) {
    const versions = out.filter((o) => o.namespace === c.namespace && o.collection === c.collection);
    if (versions.length < MAX_VERSIONS_PER_COLLECTION && !versions.some((v) => bytesEqual(v.rwset, c.rwset))) out.push(c);
  }
  return out;
}

/** The collections of `bytes`; none when they do not decode (no commit could use them either). */
function decodable(bytes: Uint8Array): CollectionPvtRwSet[] {
  try {
    return decodeTxPvtRwSet(bytes);
  } catch {
    return [];
  }
}
