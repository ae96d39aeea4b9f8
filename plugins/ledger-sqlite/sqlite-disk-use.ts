import * as fs from 'node:fs';
import type { LedgerFileKind } from './sqlite-schema';

/** One open database file of a channel. */
export interface SqliteLedgerFile {
  readonly db: LedgerFileKind;
  readonly file: string;
}

/** What one part of a channel's ledger takes on disk (see {@link diskUseOf}). */
export interface SqliteDiskUse {
  readonly channelId: string;
  /**
   * `blocks` and `state`: the database files. `wal`: both databases' `-wal` and `-shm` files,
   * apart because they do not grow with the ledger: a WAL keeps its largest size (bounded by
   * `walAutocheckpointPages` and `stateWalToDatabaseRatio`) until the channel closes, and is deleted
   * then, so the database series grow steadily across restarts and this one shows what those options hold.
   */
  readonly db: LedgerFileKind | 'wal';
  readonly bytes: number;
}

/** One stat per file (6 per peer channel), no directory read: cheap enough for every scrape. */
function sizeOf(file: string): number {
  return fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0;
}

/**
 * The bytes each open channel's files take now, by channel (sorted), then its databases in the order
 * given, then `wal` (0 when the WALs are absent, so the series exists for every open channel).
 */
export function diskUseOf(open: ReadonlyMap<string, readonly SqliteLedgerFile[]>): SqliteDiskUse[] {
  const channels = [...open.entries()].filter(([, files]) => files.length > 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return channels.flatMap(([channelId, files]) => [
    ...files.map((f) => ({ channelId, db: f.db, bytes: sizeOf(f.file) })),
    { channelId, db: 'wal' as const, bytes: files.reduce((sum, f) => sum + sizeOf(`${f.file}-wal`) + sizeOf(`${f.file}-shm`), 0) },
  ]);
}
