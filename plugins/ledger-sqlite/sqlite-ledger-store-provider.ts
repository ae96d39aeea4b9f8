import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { LedgerError } from '../../core/errors';
import { validateChannelId } from '../../core/ledger/ledger-keys';
import type { LedgerStoreProvider } from '../../core/ledger/ledger-store-provider';
import { SqliteLedgerOptions } from './sqlite-ledger-options';
import { corruptLedgerError, initSchema } from './sqlite-schema';
import { SqliteChannelStore } from './sqlite-channel-store';

const SUFFIX = '.sqlite';
const NOT_A_DB = new Set(['SQLITE_NOTADB', 'SQLITE_CORRUPT', 'SQLITE_CANTOPEN']);

/** One SQLite file per channel under `rootDir`: `<channelId>.sqlite` (plus its WAL). */
export class SqliteLedgerStoreProvider implements LedgerStoreProvider {
  readonly options: SqliteLedgerOptions;
  private readonly open_ = new Map<string, SqliteChannelStore>();

  constructor(options: Partial<SqliteLedgerOptions> & { rootDir: string }) {
    const parsed = SqliteLedgerOptions.safeParse(options);
    if (!parsed.success) {
      throw new LedgerError('LEDGER_BAD_OPTIONS', `ledger-sqlite options: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`, {
        issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      });
    }
    this.options = parsed.data;
  }

  file(channelId: string): string {
    return path.join(this.options.rootDir, validateChannelId(channelId) + SUFFIX);
  }

  open(channelId: string): SqliteChannelStore {
    const file = this.file(channelId);
    if (this.open_.has(channelId)) {
      throw new LedgerError('LEDGER_ALREADY_OPEN', `the ledger of channel ${channelId} is already open in this process`, { channelId });
    }
    fs.mkdirSync(this.options.rootDir, { recursive: true });
    let db: Database.Database | undefined;
    try {
      db = new Database(file);
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${this.options.synchronous}`);
      db.pragma(`cache_size = -${this.options.cacheSizeMiB * 1024}`);
      db.pragma('temp_store = MEMORY');
      db.pragma(`wal_autocheckpoint = ${this.options.walAutocheckpointPages}`);
      db.pragma(`mmap_size = ${this.options.mmapSizeMiB * 1024 * 1024}`);
      initSchema(db, file, channelId);
      const store = new SqliteChannelStore(db, channelId, () => this.open_.delete(channelId));
      this.open_.set(channelId, store);
      return store;
    } catch (e) {
      db?.close();
      if (e instanceof LedgerError) throw e;
      const code = (e as { code?: string }).code;
      if (code !== undefined && NOT_A_DB.has(code)) throw corruptLedgerError(file, `${code}: ${(e as Error).message}`, e);
      throw new LedgerError('LEDGER_STORE_FAILED', `cannot open ${file}: ${(e as Error).message}`, { file, sqliteCode: code }, { cause: e });
    }
  }

  exists(channelId: string): boolean {
    return fs.existsSync(this.file(channelId));
  }

  /**
   * Deletes a channel's database (and WAL) for good, e.g. when an orderer leaves a channel. Not part
   * of {@link LedgerStoreProvider}: callers probe for it. Throws `LEDGER_ALREADY_OPEN` while open.
   */
  remove(channelId: string): void {
    const file = this.file(channelId);
    if (this.open_.has(channelId)) {
      throw new LedgerError('LEDGER_ALREADY_OPEN', `close the ledger of channel ${channelId} before removing it`, { channelId });
    }
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
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
