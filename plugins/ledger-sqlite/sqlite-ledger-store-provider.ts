import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { LedgerError } from '../../core/errors';
import { fsyncPath, replaceFile } from '../../core/node/durable-files';
import { NodeLogging } from '../../core/node/logger';
import { validateChannelId } from '../../core/ledger/ledger-keys';
import type { LedgerStoreProvider } from '../../core/ledger/ledger-store-provider';
import type { SnapshotMetadata } from '../../core/ledger/snapshot';
import { BackgroundWriteback, NO_WRITEBACK, type FileWriteback } from './background-writeback';
import { SqliteCacheBudget, type SqliteCacheLimit } from './sqlite-cache-budget';
import { diskUseOf, type SqliteDiskUse, type SqliteLedgerFile } from './sqlite-disk-use';
import { SqliteLedgerOptions } from './sqlite-ledger-options';
import { corruptLedgerError, initSchema, type LedgerFileKind } from './sqlite-schema';
import { SqliteChannelBlockStore } from './sqlite-channel-block-store';
import { SqliteChannelStore } from './sqlite-channel-store';
import { sqliteFailure } from './sqlite-failure';
import { importInWorker } from './sqlite-snapshot';
import { storedBootstrapOf } from './snapshot-thread';

const SUFFIX = '.sqlite';
/** Channel ids have no '_', so no channel's block file can be named like another's state file. */
const STATE_SUFFIX = '_state.sqlite';
/** Not `.sqlite`, so list() never takes a marker for a channel. */
const PAUSED_SUFFIX = '.paused';
const NOT_A_DB = new Set(['SQLITE_NOTADB', 'SQLITE_CORRUPT', 'SQLITE_CANTOPEN']);

/**
 * Two SQLite files per channel under `rootDir` (each with its WAL): `<channelId>.sqlite` holds the
 * blocks, txid index and history, `<channelId>_state.sqlite` the world state; `<channelId>.paused`
 * marks a paused channel. Separate files give
 * the state its own page cache, which block bytes and history pages would otherwise evict, and
 * spare it SQLite's end-of-transaction cache scan that random txid and history inserts trigger.
 * The page caches of all open channels share `cacheBudgetMiB` ({@link SqliteCacheBudget}).
 */
export class SqliteLedgerStoreProvider implements LedgerStoreProvider {
  readonly options: SqliteLedgerOptions;
  /** Channels with a store open in this process (either kind), with its database files; an import in progress holds its channel with none. */
  private readonly open_ = new Map<string, readonly SqliteLedgerFile[]>();
  private readonly writeback: BackgroundWriteback | undefined;
  private readonly cacheBudget: SqliteCacheBudget;

  /** `logging`: the node's, for the warning of a cache budget too small for the channels open. */
  constructor(options: Partial<SqliteLedgerOptions> & { rootDir: string }, logging?: NodeLogging) {
    const parsed = SqliteLedgerOptions.safeParse(options);
    if (!parsed.success) {
      throw new LedgerError('LEDGER_BAD_OPTIONS', `ledger-sqlite options: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`, {
        issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      });
    }
    this.options = parsed.data;
    if (this.options.writebackEveryMiB > 0 && this.options.synchronous !== 'OFF') this.writeback = new BackgroundWriteback(this.options.writebackEveryMiB);
    this.cacheBudget = new SqliteCacheBudget(this.options.cacheBudgetMiB, (logging ?? new NodeLogging('warn')).logger('kvledger'));
  }

  /** `cacheBudgetMiB` in bytes (0 = no budget), for the operations metrics. */
  get cacheBudgetBytes(): number {
    return this.options.cacheBudgetMiB * 1024 * 1024;
  }

  /**
   * The page cache limit of every open connection (`PRAGMA cache_size`, read back), by channel and
   * database (`blocks`, `state`): how `cacheBudgetMiB` is divided now. Read at each metrics scrape.
   */
  cacheLimits(): SqliteCacheLimit[] {
    return this.cacheBudget.limits();
  }

  /**
   * The bytes every open channel's ledger takes on disk (`blocks`, `state`, and `wal` for both WALs),
   * a stat of each file at every metrics scrape; a closed channel is not listed.
   */
  diskUse(): SqliteDiskUse[] {
    return diskUseOf(this.open_);
  }

  /** The channel's block file (blocks, txids, history); its presence is the channel's existence. */
  file(channelId: string): string {
    return path.join(this.options.rootDir, validateChannelId(channelId) + SUFFIX);
  }

  /** Present while the channel is paused ({@link setPaused}): its existence is the status, so it flips atomically. */
  pausedFile(channelId: string): string {
    return path.join(this.options.rootDir, validateChannelId(channelId) + PAUSED_SUFFIX);
  }

  /** The channel's state file. Deleting it (ledger closed) makes the next open rebuild the state from the blocks. */
  stateFile(channelId: string): string {
    return path.join(this.options.rootDir, validateChannelId(channelId) + STATE_SUFFIX);
  }

  open(channelId: string): SqliteChannelStore {
    const blocksFile = this.file(channelId);
    const stateFile = this.stateFile(channelId);
    this.checkNotOpen(channelId);
    fs.mkdirSync(this.options.rootDir, { recursive: true });
    this.dropOrphanState(channelId);
    const blocksDb = this.openFile(blocksFile, channelId, 'blocks', this.options.blockCacheSizeMiB);
    let stateDb: Database.Database;
    try {
      stateDb = this.openFile(stateFile, channelId, 'state', this.options.cacheSizeMiB);
    } catch (e) {
      blocksDb.close();
      throw e;
    }
    const stateWal = { minPages: this.options.walAutocheckpointPages, ratio: this.options.stateWalToDatabaseRatio };
    const writeback = this.track([blocksFile, blocksDb], [stateFile, stateDb]);
    let store: SqliteChannelStore;
    try {
      store = new SqliteChannelStore(blocksDb, stateDb, channelId, this.onClose(channelId, writeback), stateWal, this.options.stateCacheEntries, writeback);
    } catch (e) {
      stateDb.close();
      blocksDb.close();
      writeback.release();
      throw sqliteFailure(`open of channel ${channelId}`, e, { channelId });
    }
    this.open_.set(channelId, [
      { db: 'blocks', file: blocksFile },
      { db: 'state', file: stateFile },
    ]);
    this.cacheBudget.add(channelId, [
      { db: 'blocks', conn: blocksDb, wantMiB: this.options.blockCacheSizeMiB },
      { db: 'state', conn: stateDb, wantMiB: this.options.cacheSizeMiB },
    ]);
    return store;
  }

  /** The block file alone: no state file is created or opened (the orderer's ledgers). */
  openBlocks(channelId: string): SqliteChannelBlockStore {
    const blocksFile = this.file(channelId);
    this.checkNotOpen(channelId);
    fs.mkdirSync(this.options.rootDir, { recursive: true });
    const db = this.openFile(blocksFile, channelId, 'blocks', this.options.blockCacheSizeMiB);
    const writeback = this.track([blocksFile, db]);
    let store: SqliteChannelBlockStore;
    try {
      store = new SqliteChannelBlockStore(db, channelId, this.onClose(channelId, writeback), writeback);
    } catch (e) {
      db.close();
      writeback.release();
      throw sqliteFailure(`open of channel ${channelId}`, e, { channelId });
    }
    this.open_.set(channelId, [{ db: 'blocks', file: blocksFile }]);
    this.cacheBudget.add(channelId, [{ db: 'blocks', conn: db, wantMiB: this.options.blockCacheSizeMiB }]);
    return store;
  }

  private track(...files: [string, Database.Database][]): FileWriteback {
    if (this.writeback === undefined) return NO_WRITEBACK;
    return this.writeback.track(files.map(([file, db]) => ({ path: file, pageSize: db.pragma('page_size', { simple: true }) as number })));
  }

  /** Runs once the store's databases have closed; only then may the writeback close its descriptors of them. */
  private onClose(channelId: string, writeback: FileWriteback): () => void {
    return () => {
      writeback.release();
      this.open_.delete(channelId);
      this.cacheBudget.remove(channelId);
    };
  }

  private checkNotOpen(channelId: string): void {
    if (this.open_.has(channelId)) {
      throw new LedgerError('LEDGER_ALREADY_OPEN', `the ledger of channel ${channelId} is already open in this process`, { channelId });
    }
  }

  private openFile(file: string, channelId: string, kind: LedgerFileKind, cacheSizeMiB: number): Database.Database {
    let db: Database.Database | undefined;
    try {
      db = new Database(file);
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${this.options.synchronous}`);
      db.pragma(`cache_size = -${cacheSizeMiB * 1024}`);
      db.pragma('temp_store = MEMORY');
      db.pragma(`wal_autocheckpoint = ${this.options.walAutocheckpointPages}`);
      db.pragma(`mmap_size = ${this.options.mmapSizeMiB * 1024 * 1024}`);
      initSchema(db, file, channelId, kind);
      return db;
    } catch (e) {
      db?.close();
      if (e instanceof LedgerError) throw e;
      const code = (e as { code?: string }).code;
      if (code !== undefined && NOT_A_DB.has(code)) throw corruptLedgerError(file, `${code}: ${(e as Error).message}`, e);
      if (code === 'SQLITE_FULL') throw sqliteFailure(`open of ${file}`, e, { file }, file);
      throw new LedgerError('LEDGER_STORE_FAILED', `cannot open ${file}: ${(e as Error).message}`, { file, sqliteCode: code }, { cause: e });
    }
  }

  exists(channelId: string): boolean {
    return fs.existsSync(this.file(channelId));
  }

  /** Deletes a channel's databases (and WALs) for good. Throws `LEDGER_ALREADY_OPEN` while open. */
  remove(channelId: string): void {
    if (this.open_.has(channelId)) {
      throw new LedgerError('LEDGER_ALREADY_OPEN', `close the ledger of channel ${channelId} before removing it`, { channelId });
    }
    // State first: if this is interrupted, what is left is a block file, which opens and rebuilds
    // its state, never a state file without the blocks it came from.
    for (const file of [this.stateFile(channelId), this.file(channelId)]) {
      for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
    }
    // Last: until the block file is gone an interrupted remove leaves the channel paused, not
    // running; a marker outlasting it is ignored by paused() and dropped when the channel is created again.
    fs.rmSync(this.pausedFile(channelId), { force: true });
  }

  paused(channelId: string): boolean {
    return this.exists(channelId) && fs.existsSync(this.pausedFile(channelId));
  }

  setPaused(channelId: string, paused: boolean): void {
    if (!this.exists(channelId)) {
      throw new LedgerError('LEDGER_UNKNOWN_CHANNEL', `channel ${channelId} has no ledger under ${this.options.rootDir}`, { channelId });
    }
    if (this.open_.has(channelId)) {
      throw new LedgerError('LEDGER_ALREADY_OPEN', `close the ledger of channel ${channelId} before ${paused ? 'pausing' : 'resuming'} it`, { channelId });
    }
    const marker = this.pausedFile(channelId);
    if (paused) {
      // Written beside and renamed in: a reader sees no marker or a whole one.
      replaceFile(marker, `${JSON.stringify({ pausedAt: new Date().toISOString() })}\n`);
      fsyncPath(marker);
    } else {
      fs.rmSync(marker, { force: true });
    }
    // The marker's directory entry is the status: sync it so a power loss keeps the answer given.
    fsyncPath(this.options.rootDir);
  }

  /**
   * A state file without its block file is never a ledger: `remove` deletes state first, and an
   * import interrupted between its two renames leaves one. It is deleted before the channel's files
   * are created anew, so it cannot pass for the new ledger's state.
   */
  private dropOrphanState(channelId: string): void {
    if (fs.existsSync(this.file(channelId))) return;
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(this.stateFile(channelId) + suffix, { force: true });
    // A pause marker outliving an interrupted remove must not pause the channel joined anew.
    fs.rmSync(this.pausedFile(channelId), { force: true });
  }

  async importSnapshot(snapshotDir: string, metadata: SnapshotMetadata, onProgress?: (loaded: number) => void): Promise<void> {
    const channelId = metadata.channelName;
    this.checkNotOpen(channelId);
    if (this.exists(channelId)) throw new LedgerError('LEDGER_CHANNEL_EXISTS', `channel ${channelId} already has a ledger`, { channelId });
    fs.mkdirSync(this.options.rootDir, { recursive: true });
    // Held as open so that no open or second import of the channel runs while this one loads.
    this.open_.set(channelId, []);
    try {
      this.dropOrphanState(channelId);
      await importInWorker(
        { snapshotDir, files: [...metadata.fileHashes.keys()], channelId, bootstrap: storedBootstrapOf(metadata) },
        // Not a channel file (list() takes only `*.sqlite` names): a leftover of a crash is emptied by the next import.
        path.join(this.options.rootDir, `.import-${channelId}.partial`),
        { blocksFile: this.file(channelId), stateFile: this.stateFile(channelId) },
        onProgress,
      );
    } finally {
      this.open_.delete(channelId);
    }
  }

  list(): string[] {
    if (!fs.existsSync(this.options.rootDir)) return [];
    return fs
      .readdirSync(this.options.rootDir)
      .filter((f) => f.endsWith(SUFFIX))
      .map((f) => f.slice(0, -SUFFIX.length))
      .filter((id) => /^[a-z][a-z0-9.-]{0,248}$/.test(id))
      .sort();
  }
}
