import type Database from 'better-sqlite3';
import type { HistoryEntry, HistoryPosition, HistoryStore } from '../../core/ledger/history-store';
import { toBuffer } from './sqlite-bytes';
import { sqliteFailure } from './sqlite-failure';

type Row = [blockNum: number, txNum: number, txId: string, value: Buffer | null, seconds: number, nanos: number];

/**
 * Per-key history: the (ns, key, block, tx) index plus values in block order. Unlike Fabric, which
 * re-reads values from the block files, values are kept, so a history read parses no block.
 */
export class SqliteHistoryStore implements HistoryStore {
  private readonly getStmt: Database.Statement;
  private readonly getBeforeStmt: Database.Statement;
  private readonly insert: Database.Statement;
  private readonly insertKey: Database.Statement;
  private readonly savepointStmt: Database.Statement;

  constructor(db: Database.Database) {
    const select =
      'SELECT h.block_num, h.tx_num, v.txid, v.value, v.ts_seconds, v.ts_nanos FROM history h JOIN history_values v ' +
      'ON v.block_num = h.block_num AND v.tx_num = h.tx_num AND v.ns = h.ns AND v.key = h.key WHERE h.ns = ? AND h.key = ? ';
    const order = 'ORDER BY h.block_num DESC, h.tx_num DESC LIMIT ?';
    this.getStmt = db.prepare(select + order).raw();
    // The row value keeps the primary key's range search: a later page starts where the last ended,
    // not by passing over every newer write again.
    this.getBeforeStmt = db.prepare(`${select}AND (h.block_num, h.tx_num) < (?, ?) ${order}`).raw();
    this.insertKey = db.prepare('INSERT OR REPLACE INTO history (ns, key, block_num, tx_num) VALUES (?, ?, ?, ?)');
    this.insert = db.prepare(
      'INSERT OR REPLACE INTO history_values (block_num, tx_num, ns, key, txid, value, ts_seconds, ts_nanos) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.savepointStmt = db.prepare("SELECT value FROM meta WHERE name = 'history_savepoint'").pluck();
  }

  getHistory(namespace: string, key: string, limit: number, before?: HistoryPosition): HistoryEntry[] {
    let rows: Row[];
    try {
      rows = (before === undefined ? this.getStmt.all(namespace, key, limit) : this.getBeforeStmt.all(namespace, key, before.blockNum, before.txNum, limit)) as Row[];
    } catch (e) {
      throw sqliteFailure('history read', e, { namespace, key });
    }
    return rows.map((r) => ({
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
    try {
      return Number(this.savepointStmt.get());
    } catch (e) {
      throw sqliteFailure('history savepoint read', e);
    }
  }

  /** Inserts inside the caller's transaction. */
  apply(entries: readonly HistoryEntry[]): void {
    for (const h of entries) {
      this.insertKey.run(h.namespace, h.key, h.blockNum, h.txNum);
      this.insert.run(h.blockNum, h.txNum, h.namespace, h.key, h.txId, h.value === undefined ? null : toBuffer(h.value), h.timestamp.seconds, h.timestamp.nanos);
    }
  }
}
