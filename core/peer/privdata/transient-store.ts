import * as fs from 'node:fs';
import * as path from 'node:path';
import type Database from 'better-sqlite3';
import { PeerError } from '../peer-error';

const DDL = `
CREATE TABLE IF NOT EXISTS transient (txid TEXT PRIMARY KEY, height INTEGER NOT NULL, pvt BLOB NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS transient_by_height ON transient (height);
`;

/** Statements of a persisted store. */
interface TransientFile {
  readonly db: Database.Database;
  readonly put: Database.Statement;
  readonly remove: Database.Statement;
  readonly expire: Database.Statement;
}

/**
 * Fabric's transient store: the private rwsets this peer produced as an endorser, kept by txid
 * until the transaction commits (the committer takes its own collections' data from here) or falls
 * out of retention. Opened on a file, it survives a restart between endorsing and committing, as
 * Fabric's LevelDB store does: reads come from memory, and every change is also written to the file
 * (WAL, no sync per write: a process crash loses nothing, a power cut at most the last writes).
 */
export class TransientStore {
  private readonly entries = new Map<string, { readonly pvt: Uint8Array; readonly height: number }>();

  /**
   * In memory when `file` is undefined. `maxBlockRetention` is Fabric's
   * `peer.gossip.pvtData.transientstoreMaxBlockRetention`: an entry endorsed at height h is dropped
   * once the channel's height passes h + this.
   */
  private constructor(
    private readonly file: TransientFile | undefined,
    private readonly maxBlockRetention: number,
  ) {
    if (file === undefined) return;
    for (const [txId, height, pvt] of file.db.prepare('SELECT txid, height, pvt FROM transient').raw().all() as [string, number, Buffer][]) {
      this.entries.set(txId, { pvt: new Uint8Array(pvt), height });
    }
  }

  /** A store kept only in memory. */
  static inMemory(maxBlockRetention = 20_000): TransientStore {
    return new TransientStore(undefined, maxBlockRetention);
  }

  /**
   * Opens (creating when missing) the store in `file`, owner-only: it holds private values. Throws
   * `PEER_TRANSIENT_STORE` when the file cannot be used.
   */
  static open(file: string, maxBlockRetention = 20_000): TransientStore {
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
      const put = db.prepare('INSERT OR REPLACE INTO transient (txid, height, pvt) VALUES (?, ?, ?)');
      const remove = db.prepare('DELETE FROM transient WHERE txid = ?');
      const expire = db.prepare('DELETE FROM transient WHERE height < ?');
      return new TransientStore({ db, put, remove, expire }, maxBlockRetention);
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

  /** Keeps the private rwset of an endorsement; a second endorsement of one txid keeps the newest. */
  persist(txId: string, pvt: Uint8Array, height: number): void {
    this.file?.put.run(txId, height, Buffer.from(pvt.buffer, pvt.byteOffset, pvt.byteLength));
    this.entries.set(txId, { pvt, height });
  }

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
    for (const txId of txIds) if (this.entries.delete(txId)) gone.push(txId);
    const expiring = height % 64 === 0;
    if (expiring) for (const [txId, e] of this.entries) if (e.height + this.maxBlockRetention < height) this.entries.delete(txId);
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
