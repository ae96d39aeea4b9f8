import * as fs from 'node:fs';
import * as path from 'node:path';
import type Database from 'better-sqlite3';
import { NodeError } from '../errors';
import { ownProcessStamp, type ProcessStamp } from './node-process';

const LOCK_FILE = 'node.lock';
const OWNER_FILE = 'node.lock.owner';
const PROBE_PATIENCE_MS = 1000;

/** Who holds a data directory, as its holder wrote it down (for the error a second process gets). */
export interface DataDirOwner {
  readonly pid: number;
  readonly holder: string;
  readonly since: string;
  /**
   * Identifies the holder beyond its pid (absent in records of older versions): the directory may
   * be shared with another container, where `pid` names a different process, or a pid may have
   * been reused since. Check it with `isSameProcess` before signalling `pid`.
   */
  readonly stamp?: ProcessStamp;
}

/**
 * An exclusive lock on a node's data directory, held from start to stop by a peer or orderer and
 * by the offline admin commands, so two processes never commit to the same ledgers. Two nodes on
 * one directory would each append the blocks they pull and write state behind the other's back.
 *
 * It is an OS file lock (SQLite's `fcntl` lock on `node.lock` in exclusive locking mode), not a
 * pid file: the kernel drops it when the process dies, even by SIGKILL, so there is never a stale
 * lock to break, and it holds across containers that share the directory. SQLite also tracks its
 * locks per file within a process, so a second in-process holder is refused as well.
 */
export class DataDirLock {
  /**
   * Every lock this process holds. A better-sqlite3 connection that is garbage-collected closes,
   * and the kernel then frees the directory: a lock is held until `release()`, not until the last
   * reference to it is dropped.
   */
  private static readonly held = new Set<DataDirLock>();

  private constructor(
    private db: Database.Database | undefined,
    private readonly ownerFile: string,
  ) {}

  /**
   * Takes the lock on `dataDir` (created if missing) for `holder`, a short description such as
   * `peer peer0.org1.example.com`. Throws `NodeError` `NODE_DATA_DIR_IN_USE`, naming the process
   * that holds it, when another holder has it.
   */
  static acquire(dataDir: string, holder: string): DataDirLock {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    // The ledgers under it hold private data collections in the clear (as the transient store,
    // which is 0600, does before commit): only the node's own user may enter.
    if ((fs.statSync(dataDir).mode & 0o077) !== 0) fs.chmodSync(dataDir, 0o700);
    // Loaded here rather than at the top: core loads the SQLite addon only for a node that starts.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Sqlite = require('better-sqlite3') as typeof Database;
    const ownerFile = path.join(dataDir, OWNER_FILE);
    // A moment's patience: `holderOf` (weft network status, up, down) takes the lock briefly.
    const db = new Sqlite(path.join(dataDir, LOCK_FILE), { timeout: PROBE_PATIENCE_MS });
    try {
      db.pragma('journal_mode = OFF');
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE; COMMIT');
    } catch (err) {
      db.close();
      if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
      const owner = readOwner(ownerFile);
      const by = owner === undefined ? 'another process' : `${owner.holder} (pid ${owner.pid}, since ${owner.since})`;
      throw new NodeError(
        'NODE_DATA_DIR_IN_USE',
        `data directory ${dataDir} is in use by ${by}; stop that process first, or give this node its own dataDir`,
        {
          dataDir,
          ...(owner === undefined ? {} : { owner }),
          suggestions: [
            owner === undefined ? 'stop the node that uses this data directory' : `stop process ${owner.pid} (${owner.holder}) first`,
            'for a network made by weft: weft network down <dir> --node <id>',
          ],
        },
        { cause: err },
      );
    }
    const owner: DataDirOwner = { pid: process.pid, holder, since: new Date().toISOString(), stamp: ownProcessStamp() };
    fs.writeFileSync(ownerFile, `${JSON.stringify(owner)}\n`);
    const lock = new DataDirLock(db, ownerFile);
    DataDirLock.held.add(lock);
    return lock;
  }

  /**
   * Who holds `dataDir` right now, without taking it: the holder's own record when the lock is
   * held, `undefined` when it is free (or the directory was never locked). A record left behind by
   * a killed holder is not believed, because the lock itself went with that process.
   */
  static holderOf(dataDir: string): DataDirOwner | undefined {
    const ownerFile = path.join(dataDir, OWNER_FILE);
    // Only a directory with a holder's record needs the lock tried: that keeps the probe, which
    // holds the lock for a moment, away from directories a node may be starting on.
    const owner = readOwner(ownerFile);
    if (owner === undefined || !fs.existsSync(path.join(dataDir, LOCK_FILE))) return undefined;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Sqlite = require('better-sqlite3') as typeof Database;
    const db = new Sqlite(path.join(dataDir, LOCK_FILE), { timeout: 0, fileMustExist: true });
    try {
      db.exec('BEGIN EXCLUSIVE; COMMIT');
      return undefined;
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
      return owner;
    } finally {
      db.close();
    }
  }

  /** Releases the lock. Idempotent. */
  release(): void {
    if (this.db === undefined) return;
    fs.rmSync(this.ownerFile, { force: true });
    this.db.close();
    this.db = undefined;
    DataDirLock.held.delete(this);
  }
}

function readOwner(file: string): DataDirOwner | undefined {
  try {
    const owner = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<DataDirOwner>;
    if (typeof owner.pid !== 'number' || typeof owner.holder !== 'string' || typeof owner.since !== 'string') return undefined;
    const s = typeof owner.stamp === 'object' && owner.stamp !== null ? (owner.stamp as Record<string, unknown>) : {};
    const stamp = Object.fromEntries(['bootId', 'startTime', 'pidNamespace'].filter((k) => typeof s[k] === 'string').map((k) => [k, s[k]])) as ProcessStamp;
    return { pid: owner.pid, holder: owner.holder, since: owner.since, ...(Object.keys(stamp).length > 0 && { stamp }) };
  } catch {
    return undefined;
  }
}
