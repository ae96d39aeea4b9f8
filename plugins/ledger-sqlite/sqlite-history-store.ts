import type Database from 'better-sqlite3';
import type { HistoryEntry, HistoryStore } from '../../core/ledger/history-store';
import { toBuffer } from './sqlite-bytes';

type Row = [blockNum: number, txNum: number, txId: string, value: Buffer | null, seconds: number, nanos: number];

/**
 * Per-key history keyed by (ns, key, block, tx). Unlike Fabric, which re-reads values from the block
 * files, the value is stored in the row: a history read is then one index scan, no block parsing.
 */
export class SqliteHistoryStore implements HistoryStore {
  private readonly getStmt: Database.Statement;
  private readonly insert: Database.Statement;
  private readonly savepointStmt: Database.Statement;

  constructor(db: Database.Database) {
    this.getStmt = db
      .prepare('SELECT block_num, tx_num, txid, value, ts_seconds, ts_nanos FROM history WHERE ns = ? AND key = ? ORDER BY block_num DESC, tx_num DESC LIMIT ?')
      .raw();
    this.insert = db.prepare('INSERT OR REPLACE INTO history (ns, key, block_num, tx_num, txid, value, ts_seconds, ts_nanos) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    this.savepointStmt = db.prepare("SELECT value FROM meta WHERE name = 'history_savepoint'").pluck();
  }

  getHistory(namespace: string, key: string, limit: number): HistoryEntry[] {
    return (this.getStmt.all(namespace, key, limit) as Row[]).map((r) => ({
      namespace,
      key,
      blockNum: r[0],
      txNum: r[1],
      txId: r[2],
      value: r[3] ?? undefined,
      timestamp: { seconds: r[4], nanos: r[5] },
    }));
  }

  savepoint(): number {
    return Number(this.savepointStmt.get());
  }

  /** Inserts inside the caller's transaction. */
  apply(entries: readonly HistoryEntry[]): void {
    for (const h of entries) {
      this.insert.run(h.namespace, h.key, h.blockNum, h.txNum, h.txId, h.value === undefined ? null : toBuffer(h.value), h.timestamp.seconds, h.timestamp.nanos);
    }
  }
}
