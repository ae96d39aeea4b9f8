import * as fs from 'node:fs';
import * as path from 'node:path';
import type Database from 'better-sqlite3';
import { type CollectionPvtRwSet, decodeTxPvtRwSet, encodeTxPvtRwSet } from '../../ledger/private-data';
import { bytesEqual } from '../../protocol/bytes';
import { PeerError } from '../peer-error';
import { SenderHoldings, type SenderKind } from './transient-senders';

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
/**
 * Bytes one sender may hold by default (the peer's `privateData.transientStoreMaxBytesPerSender`):
 * a quarter of the bound, so no one client or peer fills the store while others wait; far above
 * what an honest client has endorsed and not yet committed at any one time.
 */
export const DEFAULT_TRANSIENT_MAX_BYTES_PER_SENDER = DEFAULT_TRANSIENT_MAX_BYTES / 4;

/** Page cache of a channel's transient store file, KiB. */
export const TRANSIENT_CACHE_KIB = 2048;

/**
 * `pushed`: the entry holds only what other peers pushed (none of this peer's endorsements).
 * `sender`: who its bytes count toward ({@link transientSender}); '' in a file written before.
 */
const DDL = `
CREATE TABLE IF NOT EXISTS transient (txid TEXT PRIMARY KEY, height INTEGER NOT NULL, pvt BLOB NOT NULL, pushed INTEGER NOT NULL DEFAULT 0, sender TEXT NOT NULL DEFAULT '') WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS transient_by_height ON transient (height);
`;

interface Entry {
  readonly pvt: Uint8Array;
  readonly height: number;
  readonly pushed: boolean;
  readonly sender: string;
}

const kindOf = (e: Entry): SenderKind => (e.pushed ? 'pushed' : 'endorsed');
const KINDS: readonly SenderKind[] = ['endorsed', 'pushed'];

/** Where a store reports what it holds and evicts, by kind of sender (never by sender: a label per identity would be unbounded). */
export interface TransientStoreMetrics {
  /** After every change: the bytes now held of `kind`, txids included. */
  held(kind: SenderKind, bytes: number): void;
  /** `entries` of `kind` were evicted to make room (the bound, or their sender's quota). */
  evicted(kind: SenderKind, entries: number): void;
}

/** What the peer sets on each channel's store once opened (see {@link TransientStore.configure}). */
export interface TransientStoreOptions {
  /** Bytes one sender may hold of one kind; past it, its own oldest entries of that kind are evicted. Unlimited by default. */
  readonly maxBytesPerSender?: number;
  readonly metrics?: TransientStoreMetrics;
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
 * bounded by its disk only; each entry counts toward its sender (the client whose proposal this
 * peer endorsed, or the pushing peer), so that one sender flooding it evicts its own entries, not
 * everyone's.
 */
export class TransientStore {
  private readonly entries = new Map<string, Entry>();
  /** Bytes by kind and sender, each sender's entries in the order they were first written. */
  private readonly senders = new SenderHoldings();
  private maxBytesPerSender = Number.POSITIVE_INFINITY;
  private metrics: TransientStoreMetrics | undefined;

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
    const rows = file.db.prepare('SELECT txid, height, pvt, pushed, sender FROM transient ORDER BY height').raw().all() as [string, number, Buffer, number, string][];
    for (const [txId, height, pvt, pushed, sender] of rows) this.set(txId, { pvt: new Uint8Array(pvt), height, pushed: pushed === 1, sender });
  }

  /**
   * Sets the per-sender quota and where metrics go; the peer calls it once per channel opened,
   * before the channel serves anything. Reports what the store holds at once.
   */
  configure(options: TransientStoreOptions): void {
    if (options.maxBytesPerSender !== undefined) this.maxBytesPerSender = options.maxBytesPerSender;
    this.metrics = options.metrics ?? this.metrics;
    for (const kind of KINDS) this.metrics?.held(kind, this.senders.total(kind));
  }

  /** Bytes held, txids included. */
  private get bytes(): number {
    return this.senders.total('endorsed') + this.senders.total('pushed');
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
      // Reads come from memory and entries live a few blocks: the file is only written, and its hot
      // pages (the B-tree interiors) fit in 2 MiB, where SQLite's default as built here is 15.6 MiB per channel.
      db.pragma(`cache_size = -${TRANSIENT_CACHE_KIB}`);
      db.exec(DDL);
      // A store written before pushes were told apart: what it holds counts as endorsed here.
      const columns = new Set((db.pragma('table_info(transient)') as { name: string }[]).map((c) => c.name));
      if (!columns.has('pushed')) db.exec('ALTER TABLE transient ADD COLUMN pushed INTEGER NOT NULL DEFAULT 0');
      // One written before entries were attributed: what it holds counts toward no one sender ('').
      if (!columns.has('sender')) db.exec("ALTER TABLE transient ADD COLUMN sender TEXT NOT NULL DEFAULT ''");
      const put = db.prepare('INSERT OR REPLACE INTO transient (txid, height, pvt, pushed, sender) VALUES (?, ?, ?, ?, ?)');
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
   * Keeps the private rwset of this peer's own endorsement for `sender` (the proposal's creator,
   * {@link transientSender}), ahead of the versions held already (a second endorsement of one txid
   * comes first): without the block's hashes at hand, the first version is the one a commit takes.
   * The entry becomes the sender's, and retention counts from this endorsement. Past the sender's
   * quota its own oldest endorsements go. Past `maxBytes` entries holding only pushed data are
   * evicted, then endorsements, each time the oldest of the sender holding the most of that kind:
   * a client can have a peer endorse and never submit, and such a flood then evicts only its own
   * (an endorsement the store no longer holds when its block comes is pulled from the other
   * endorsers), where refusing endorsements would stop the peer. Throws `PEER_TRANSIENT_STORE_FULL`
   * only for an entry larger than the bound.
   */
  persist(txId: string, pvt: Uint8Array, height: number, sender = ''): void {
    const held = this.entries.get(txId);
    let all = pvt;
    if (held !== undefined) {
      try {
        all = encodeTxPvtRwSet(merged(decodeTxPvtRwSet(pvt), decodeTxPvtRwSet(held.pvt)));
      } catch {
        // What does not decode is no use to a commit: the endorsement replaces it.
      }
    }
    const entry = { pvt: all, height, pushed: false, sender };
    if (!this.makeRoom(txId, entry, true)) throw this.full(txId, all.byteLength);
    this.write(txId, entry);
  }

  /**
   * Adds the versions of collections the peer `sender` pushed ({@link transientSender}), behind
   * those held; a version held already, or one past {@link MAX_VERSIONS_PER_COLLECTION}, is left
   * out. Returns how many were added. A new entry is the sender's; versions added to one held
   * count toward its owner. Past the sender's quota its own oldest pushed entries go; past
   * `maxBytes`, pushed entries of the peer holding the most, oldest first (a commit pulls what it
   * then lacks), never an endorsement of this peer's, which may be the only copy in its org:
   * throws `PEER_TRANSIENT_STORE_FULL` when that is not enough.
   */
  add(txId: string, pushed: readonly CollectionPvtRwSet[], height: number, sender = ''): number {
    const held = this.entries.get(txId);
    const kept = held === undefined ? [] : decodable(held.pvt);
    const all = merged(kept, pushed);
    if (all.length === kept.length) return 0;
    const pvt = encodeTxPvtRwSet(all);
    const entry = { pvt, height: held?.height ?? height, pushed: held?.pushed ?? true, sender: held?.sender ?? sender };
    if (!this.makeRoom(txId, entry, false)) throw this.full(txId, pvt.byteLength);
    this.write(txId, entry);
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
   * Makes room for `entry` as `txId`, which it never evicts; false when it cannot fit. The
   * writer's own oldest entries of its kind go first, past its quota (not for versions pushed
   * onto an endorsement: a push evicts no endorsement). Then, while over `maxBytes`, entries
   * holding only pushed data, and (with `endorsements`) this peer's endorsements: each time the
   * oldest of the sender holding the most of that kind, the bytes being written counted toward
   * the writer. Pushed data goes first because it is a copy of what its endorser keeps.
   */
  private makeRoom(txId: string, entry: Entry, endorsements: boolean): boolean {
    const held = this.entries.get(txId);
    const kind = kindOf(entry);
    const size = sizeOf(txId, entry);
    const more = size - (held === undefined ? 0 : sizeOf(txId, held));
    const kinds: SenderKind[] = endorsements ? ['pushed', 'endorsed'] : ['pushed'];
    if (this.bytes + more > this.maxBytes) {
      // Nothing goes for an entry that would not fit even then.
      let evictable = kinds.reduce((n, k) => n + this.senders.total(k), 0);
      if (held !== undefined && kinds.includes(kindOf(held))) evictable -= sizeOf(txId, held);
      if (this.bytes - evictable + more > this.maxBytes) return false;
    }
    // What the writer's holding grows by: all of the entry, unless it held it already.
    const grows = size - (held !== undefined && kindOf(held) === kind && held.sender === entry.sender ? sizeOf(txId, held) : 0);
    const evicted: string[] = [];
    const evict = (victim: string): number => {
      const e = this.entries.get(victim) as Entry;
      this.delete(victim);
      evicted.push(victim);
      this.metrics?.evicted(kindOf(e), 1);
      return sizeOf(victim, e);
    };
    let over = kinds.includes(kind) ? this.senders.held(kind, entry.sender) + grows - this.maxBytesPerSender : 0;
    while (over > 0) {
      const victim = this.senders.oldest(kind, entry.sender, txId);
      if (victim === undefined) break;
      over -= evict(victim);
    }
    for (const k of kinds) {
      while (this.bytes + more > this.maxBytes) {
        const victim = this.senders.victim(k, txId, k === kind ? entry.sender : undefined, grows);
        if (victim === undefined) break;
        evict(victim);
      }
    }
    const file = this.file;
    if (file !== undefined && evicted.length > 0) file.db.transaction(() => evicted.forEach((t) => file.remove.run(t)))();
    return this.bytes + more <= this.maxBytes;
  }

  private write(txId: string, entry: Entry): void {
    const { pvt } = entry;
    this.file?.put.run(txId, entry.height, Buffer.from(pvt.buffer, pvt.byteOffset, pvt.byteLength), entry.pushed ? 1 : 0, entry.sender);
    this.set(txId, entry);
    this.report();
  }

  private set(txId: string, entry: Entry): void {
    const held = this.entries.get(txId);
    if (held !== undefined) {
      const kept = kindOf(held) === kindOf(entry) && held.sender === entry.sender;
      this.senders.remove(kindOf(held), held.sender, txId, sizeOf(txId, held), !kept);
    }
    this.senders.add(kindOf(entry), entry.sender, txId, sizeOf(txId, entry));
    this.entries.set(txId, entry);
  }

  private delete(txId: string): boolean {
    const e = this.entries.get(txId);
    if (e === undefined) return false;
    this.senders.remove(kindOf(e), e.sender, txId, sizeOf(txId, e), true);
    return this.entries.delete(txId);
  }

  private report(): void {
    if (this.metrics !== undefined) for (const kind of KINDS) this.metrics.held(kind, this.senders.total(kind));
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
    this.report();
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

/** What an entry counts for against the bound. */
function sizeOf(txId: string, e: Entry): number {
  return e.pvt.byteLength + txId.length;
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
