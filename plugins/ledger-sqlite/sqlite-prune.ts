import * as fs from 'node:fs';
import type Database from 'better-sqlite3';
import { LedgerError } from '../../core/errors';
import type { SnapshotBootstrap } from '../../core/ledger/snapshot';
import { BOOTSTRAP_META, readBootstrap, SNAPSHOT_TX_CODE, SNAPSHOT_TX_NUM, storedBootstrapOf } from './snapshot-thread';

/**
 * Inside the caller's transaction of the block file: makes it what a snapshot import at
 * `bootstrap.lastBlockNumber` would have left beside the later blocks. Returns the blocks deleted.
 * - Blocks up to the snapshot's go.
 * - Their txids stay, for duplicate detection, re-pointed as an import indexes a snapshot's txids
 *   (`SNAPSHOT_TX_NUM`), so a lookup answers "covered by the snapshot" instead of reading a block
 *   that is gone.
 * - History stays: its values are kept here, not re-read from blocks (see `SqliteHistoryStore`).
 * - Private data stays where it still holds writes: another peer's reconciliation may ask this peer
 *   for it, and purges and expiry keep working on it. A row a purge emptied is kept only so that a
 *   replay of its block knows the peer held it; with the block gone there is no replay, so it goes.
 * - The bootstrap record is written last: with it the ledger starts after the snapshot's block.
 */
export function pruneBlockFile(db: Database.Database, bootstrap: SnapshotBootstrap): number {
  const last = bootstrap.lastBlockNumber;
  const removed = db.prepare('DELETE FROM blocks WHERE num <= ?').run(last).changes;
  db.prepare('UPDATE txids SET block_num = ?, tx_num = ?, code = ? WHERE block_num <= ?').run(last, SNAPSHOT_TX_NUM, SNAPSHOT_TX_CODE, last);
  db.prepare('DELETE FROM pvt_data WHERE block_num <= ? AND length(rwset) = 0').run(last);
  writeBootstrap(db, bootstrap);
  return removed;
}

/** Refuses a prune the block file cannot take: `LEDGER_BAD_PRUNE` naming the field. */
export function checkPrunable(db: Database.Database, channelId: string, height: number, bootstrap: SnapshotBootstrap): void {
  const last = bootstrap.lastBlockNumber;
  const bad = (field: string, why: string): LedgerError =>
    new LedgerError('LEDGER_BAD_PRUNE', `channel ${channelId}: cannot prune through block ${last}: ${why}`, { channelId, field, lastBlockNumber: last, height });
  if (!Number.isSafeInteger(last) || last < 0) throw bad('lastBlockNumber', 'it must be a block number (a non-negative integer)');
  if (last >= height) throw bad('lastBlockNumber', `the ledger's newest block is ${height - 1}`);
  const current = readBootstrap(db);
  if (current !== undefined && last <= current.lastBlockNumber) throw bad('lastBlockNumber', `the ledger holds no block at or below ${current.lastBlockNumber} already`);
  for (const [field, value] of [
    ['lastBlockHash', bootstrap.lastBlockHash],
    ['previousBlockHash', bootstrap.previousBlockHash],
    ['snapshotHash', bootstrap.snapshotHash],
  ] as const) {
    if (!(value instanceof Uint8Array)) throw bad(field, `${field} must be a Uint8Array`);
  }
}

/** Bytes of a database with its WAL, as they are on disk. */
export function fileBytes(file: string): number {
  let total = 0;
  for (const f of [file, `${file}-wal`]) {
    try {
      total += fs.statSync(f).size;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  return total;
}

/**
 * Gives the pruned pages back to the file system: VACUUM rewrites the file through the WAL (a crash
 * part way leaves the pruned database as it was), and the truncating checkpoint copies it back and
 * empties the WAL.
 */
export function vacuumFile(db: Database.Database): void {
  db.exec('VACUUM');
  db.pragma('wal_checkpoint(TRUNCATE)');
}

/**
 * The online prune's first step, one statement: with the bootstrap record the ledger is pruned
 * through its block for every reader, whatever blocks at or below it are still on disk; the steps
 * after ({@link repointTxids}, {@link deleteBlockRange}) only remove what no reader asks for any more.
 */
export function writeBootstrap(db: Database.Database, bootstrap: SnapshotBootstrap): void {
  db.prepare('INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)').run(BOOTSTRAP_META, JSON.stringify(storedBootstrapOf(bootstrap)));
}

/**
 * Re-points, inside the caller's transaction, the txids at or below `last` among the `limit` after
 * `after` in txid order (the table's key: the txids have no index by block, so a walk in key order
 * reads each row once over all chunks). Returns the last txid of the window, or undefined at the end.
 */
export function repointTxids(db: Database.Database, last: number, after: string, limit: number): string | undefined {
  const window = 'SELECT txid FROM txids WHERE txid > ? ORDER BY txid LIMIT ?';
  db.prepare(`UPDATE txids SET block_num = ?, tx_num = ?, code = ? WHERE txid IN (${window}) AND block_num <= ?`).run(last, SNAPSHOT_TX_NUM, SNAPSHOT_TX_CODE, after, limit, last);
  return (db.prepare(`SELECT max(txid) FROM (${window})`).pluck().get(after, limit) as string | null) ?? undefined;
}

/** Deletes, inside the caller's transaction, blocks `from..to` and their private data rows a purge emptied (see {@link pruneBlockFile}). */
export function deleteBlockRange(db: Database.Database, from: number, to: number): number {
  db.prepare('DELETE FROM pvt_data WHERE block_num BETWEEN ? AND ? AND length(rwset) = 0').run(from, to);
  return db.prepare('DELETE FROM blocks WHERE num BETWEEN ? AND ?').run(from, to).changes;
}

/** The bootstrap's block when the file still holds blocks at or below it (a prune interrupted after its cut left them); else undefined. */
export function interruptedPruneThrough(db: Database.Database): number | undefined {
  const bootstrap = readBootstrap(db);
  if (bootstrap === undefined) return undefined;
  const first = db.prepare('SELECT min(num) FROM blocks').pluck().get() as number | null;
  return first !== null && first <= bootstrap.lastBlockNumber ? bootstrap.lastBlockNumber : undefined;
}

/** Txid rows re-pointed per transaction of the online prune. */
export const TXIDS_PER_CHUNK = 4096;

/**
 * The online prune's steps after the cut, each a unit of work the caller runs in its own
 * transaction (yielding to the event loop between two, or not at open), returning the blocks it
 * deleted. Idempotent, so a restart after a crash runs them again from the start.
 */
export function* pruneChunks(db: Database.Database, last: number, chunkBlocks: number): Generator<() => number, void, void> {
  let after: string | undefined = '';
  while (after !== undefined) {
    const from: string = after;
    yield () => {
      after = repointTxids(db, last, from, TXIDS_PER_CHUNK);
      return 0;
    };
  }
  // Read after the txids are done: the blocks go only once no txid points into them.
  const first = (db.prepare('SELECT min(num) FROM blocks').pluck().get() as number | null) ?? last + 1;
  for (let from = first; from <= last; from += chunkBlocks) {
    const to = Math.min(last, from + chunkBlocks - 1);
    yield () => deleteBlockRange(db, from, to);
  }
}
