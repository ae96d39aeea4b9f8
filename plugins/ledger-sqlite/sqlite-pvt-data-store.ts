import type Database from 'better-sqlite3';
import type { AppliedPvtCollection, StoredPvtCollection } from '../../core/ledger/private-data';
import { type PvtPurge, withoutPvtKey } from '../../core/ledger/pvt-purge';
import { toBuffer } from './sqlite-bytes';
import { sqliteFailure } from './sqlite-failure';

/** The rwset of a collection whose every write a purge took (see `BlockCommit.pvtPurges`). */
const EMPTIED = Buffer.alloc(0);

/**
 * Each block's private data, in the block file: written, purged and expired in a block's own
 * transaction. `pvt_keys` indexes the rows by the hashes of the keys they write, so a purge finds
 * the few rows holding its key instead of reading the collection's whole history. A rollback
 * leaves the rows of the blocks it deletes, for their commit to take again.
 */
export class SqlitePvtDataStore {
  private readonly insert: Database.Statement;
  private readonly replace: Database.Statement;
  private readonly insertKey: Database.Statement;
  private readonly byBlock: Database.Statement;
  private readonly expireKeys: Database.Statement;
  private readonly expire: Database.Statement;
  private readonly rowsWithKey: Database.Statement;
  private readonly rowRwset: Database.Statement;
  private readonly updateRow: Database.Statement;
  private readonly deleteRowKeys: Database.Statement;
  private readonly deleteKey: Database.Statement;
  private readonly dropKeptKeys: Database.Statement;
  private readonly dropKept: Database.Statement;
  /**
   * No row has a block number at or above this one (a write rolled back may leave it higher than
   * needed). Rows at or above the height are only those a rollback kept: once commits are past
   * them, a commit neither looks for nor drops kept rows, and the ledger's read of what was kept for
   * the block it commits costs no query.
   */
  private end: number;

  constructor(db: Database.Database) {
    this.insert = db.prepare('INSERT INTO pvt_data (block_num, tx_num, ns, coll, rwset, expiring_block) VALUES (?, ?, ?, ?, ?, ?)');
    this.replace = db.prepare('INSERT OR REPLACE INTO pvt_data (block_num, tx_num, ns, coll, rwset, expiring_block) VALUES (?, ?, ?, ?, ?, ?)');
    this.insertKey = db.prepare('INSERT OR IGNORE INTO pvt_keys (ns, coll, key_hash, block_num, tx_num) VALUES (?, ?, ?, ?, ?)');
    this.byBlock = db.prepare('SELECT tx_num, ns, coll, rwset, expiring_block FROM pvt_data WHERE block_num = ? ORDER BY tx_num, ns, coll').raw();
    this.expireKeys = db.prepare(
      'DELETE FROM pvt_keys WHERE (block_num, tx_num, ns, coll) IN (SELECT block_num, tx_num, ns, coll FROM pvt_data WHERE expiring_block > 0 AND expiring_block <= ?)',
    );
    this.expire = db.prepare('DELETE FROM pvt_data WHERE expiring_block > 0 AND expiring_block <= ?');
    this.rowsWithKey = db
      .prepare('SELECT block_num, tx_num FROM pvt_keys WHERE ns = ? AND coll = ? AND key_hash = ? AND (block_num < ? OR (block_num = ? AND tx_num <= ?))')
      .raw();
    this.rowRwset = db.prepare('SELECT rwset FROM pvt_data WHERE block_num = ? AND tx_num = ? AND ns = ? AND coll = ?').pluck();
    this.updateRow = db.prepare('UPDATE pvt_data SET rwset = ? WHERE block_num = ? AND tx_num = ? AND ns = ? AND coll = ?');
    this.deleteRowKeys = db.prepare('DELETE FROM pvt_keys WHERE block_num = ? AND tx_num = ? AND ns = ? AND coll = ?');
    this.deleteKey = db.prepare('DELETE FROM pvt_keys WHERE ns = ? AND coll = ? AND key_hash = ? AND block_num = ? AND tx_num = ?');
    this.dropKeptKeys = db.prepare('DELETE FROM pvt_keys WHERE block_num = ?');
    this.dropKept = db.prepare('DELETE FROM pvt_data WHERE block_num = ?');
    // The primary key starts with block_num: one descent.
    const highest = db.prepare('SELECT MAX(block_num) FROM pvt_data').pluck().get() as number | null;
    this.end = highest === null ? 0 : highest + 1;
  }

  /**
   * Inside the caller's transaction: stores the block's collections, takes purged keys out of every
   * stored collection up to their purging transaction (this block's included), and drops the
   * collections whose life ends with this block.
   */
  append(blockNum: number, data: readonly AppliedPvtCollection[] | undefined, purges: readonly PvtPurge[] | undefined): void {
    // Rows kept from before a rollback: the commit took what it could use of them into `data`.
    if (blockNum < this.end) {
      this.dropKeptKeys.run(blockNum);
      this.dropKept.run(blockNum);
    }
    if (data !== undefined && data.length > 0) this.end = Math.max(this.end, blockNum + 1);
    for (const c of data ?? []) {
      this.insert.run(blockNum, c.txNum, c.namespace, c.collection, toBuffer(c.rwset), c.expiringBlock);
      for (const h of c.keyHashes) this.insertKey.run(c.namespace, c.collection, h, blockNum, c.txNum);
    }
    for (const p of purges ?? []) this.purge(p);
    this.expireKeys.run(blockNum);
    this.expire.run(blockNum);
  }

  /** Inside the caller's transaction: keeps a collection with an already committed block (reconciliation), in place of any stored for the same transaction. */
  store(blockNum: number, c: AppliedPvtCollection): void {
    this.end = Math.max(this.end, blockNum + 1);
    this.deleteRowKeys.run(blockNum, c.txNum, c.namespace, c.collection);
    this.replace.run(blockNum, c.txNum, c.namespace, c.collection, toBuffer(c.rwset), c.expiringBlock);
    for (const h of c.keyHashes) this.insertKey.run(c.namespace, c.collection, h, blockNum, c.txNum);
  }

  private purge(p: PvtPurge): void {
    const rows = this.rowsWithKey.all(p.namespace, p.collection, p.keyHash, p.blockNum, p.blockNum, p.txNum) as [number, number][];
    for (const [blockNum, txNum] of rows) {
      const rwset = this.rowRwset.get(blockNum, txNum, p.namespace, p.collection) as Buffer | undefined;
      const rest = rwset === undefined ? undefined : withoutPvtKey(rwset, p.keyHash);
      if (rest === undefined) {
        // Kept, emptied, until it expires: a replay (rebuild, rollback) then treats the collection
        // as held, not as missing data to ask other peers for.
        this.updateRow.run(EMPTIED, blockNum, txNum, p.namespace, p.collection);
        this.deleteRowKeys.run(blockNum, txNum, p.namespace, p.collection);
      } else {
        this.updateRow.run(toBuffer(rest), blockNum, txNum, p.namespace, p.collection);
        this.deleteKey.run(p.namespace, p.collection, p.keyHash, blockNum, txNum);
      }
    }
  }

  get(blockNum: number): StoredPvtCollection[] {
    if (blockNum >= this.end) return [];
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
}
