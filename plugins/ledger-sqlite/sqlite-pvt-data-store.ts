import type Database from 'better-sqlite3';
import type { StoredPvtCollection } from '../../core/ledger/private-data';
import { toBuffer } from './sqlite-bytes';
import { sqliteFailure } from './sqlite-failure';

/** Each block's private data, in the block file: written, and expired, in the block's own transaction. */
export class SqlitePvtDataStore {
  private readonly insert: Database.Statement;
  private readonly byBlock: Database.Statement;
  private readonly expire: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.insert = db.prepare('INSERT INTO pvt_data (block_num, tx_num, ns, coll, rwset, expiring_block) VALUES (?, ?, ?, ?, ?, ?)');
    this.byBlock = db.prepare('SELECT tx_num, ns, coll, rwset, expiring_block FROM pvt_data WHERE block_num = ? ORDER BY tx_num, ns, coll').raw();
    this.expire = db.prepare('DELETE FROM pvt_data WHERE expiring_block > 0 AND expiring_block <= ?');
  }

  /** Inside the caller's transaction: stores the block's collections and drops those whose life ends with it. */
  append(blockNum: number, data: readonly StoredPvtCollection[] | undefined): void {
    for (const c of data ?? []) this.insert.run(blockNum, c.txNum, c.namespace, c.collection, toBuffer(c.rwset), c.expiringBlock);
    this.expire.run(blockNum);
  }

  get(blockNum: number): StoredPvtCollection[] {
    try {
      return (this.byBlock.all(blockNum) as [number, string, string, Buffer, number][]).map(([txNum, namespace, collection, rwset, expiringBlock]) => ({
        txNum,
        namespace,
        collection,
        rwset,
        expiringBlock,
      }));
    } catch (e) {
      throw sqliteFailure(`read of block ${blockNum}'s private data`, e, { blockNum });
    }
  }

  /** Inside the caller's transaction, with the blocks it belongs to. */
  truncate(height: number): void {
    this.db.prepare('DELETE FROM pvt_data WHERE block_num >= ?').run(height);
  }
}
