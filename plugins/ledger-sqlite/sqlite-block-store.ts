import type Database from 'better-sqlite3';
import type { BlockStore, TxIndexEntry, TxLocation } from '../../core/ledger/block-store';
import { toBuffer } from './sqlite-bytes';
import { sqliteFailure } from './sqlite-failure';
import { blockFileHeight, SNAPSHOT_TX_NUM } from './snapshot-thread';
import { TxIdFilter } from './txid-filter';

/** Blocks by number (stored bytes as given) with a hash index, and the first-wins txid index. */
export class SqliteBlockStore implements BlockStore {
  private readonly getStmt: Database.Statement;
  private readonly byHashStmt: Database.Statement;
  private readonly txStmt: Database.Statement;
  private readonly insertBlock: Database.Statement;
  private readonly insertTx: Database.Statement;
  private blockHeight: number;
  private readonly txIds: TxIdFilter;

  constructor(private readonly db: Database.Database) {
    this.getStmt = db.prepare('SELECT bytes FROM blocks WHERE num = ?').pluck();
    this.byHashStmt = db.prepare('SELECT num FROM blocks WHERE hash = ? ORDER BY num LIMIT 1').pluck();
    this.txStmt = db.prepare('SELECT block_num, tx_num, code FROM txids WHERE txid = ?').raw();
    this.insertBlock = db.prepare('INSERT INTO blocks (num, hash, bytes) VALUES (?, ?, ?)');
    this.insertTx = db.prepare('INSERT OR IGNORE INTO txids (txid, block_num, tx_num, code) VALUES (?, ?, ?, ?)');
    this.blockHeight = blockFileHeight(db);
    const existing = db.prepare('SELECT count(*) FROM txids').pluck().get() as number;
    this.txIds = new TxIdFilter(existing, db.prepare('SELECT txid FROM txids').pluck().iterate() as Iterable<string>);
  }

  height(): number {
    return this.blockHeight;
  }

  getBlockBytes(blockNum: number): Uint8Array | undefined {
    if (!Number.isSafeInteger(blockNum) || blockNum < 0 || blockNum >= this.blockHeight) return undefined;
    try {
      return this.getStmt.get(blockNum) as Buffer | undefined;
    } catch (e) {
      throw sqliteFailure(`read of block ${blockNum}`, e, { blockNum });
    }
  }

  getBlockNumberByHash(hash: Uint8Array): number | undefined {
    if (!(hash instanceof Uint8Array)) return undefined;
    try {
      return this.byHashStmt.get(toBuffer(hash)) as number | undefined;
    } catch (e) {
      throw sqliteFailure('block lookup by hash', e);
    }
  }

  getTxLocation(txId: string): TxLocation | undefined {
    if (typeof txId !== 'string' || txId.length === 0 || !this.txIds.mightContain(txId)) return undefined;
    let r: [number, number, number] | undefined;
    try {
      r = this.txStmt.get(txId) as [number, number, number] | undefined;
    } catch (e) {
      throw sqliteFailure('txid lookup', e, { txId });
    }
    if (r === undefined) return undefined;
    return r[1] === SNAPSHOT_TX_NUM ? { blockNum: r[0], txNum: r[1], validationCode: r[2], fromSnapshot: true } : { blockNum: r[0], txNum: r[1], validationCode: r[2] };
  }

  /** Appends inside the caller's transaction; {@link afterCommit} publishes the new height. */
  append(blockNum: number, hash: Uint8Array, bytes: Uint8Array, txs: readonly TxIndexEntry[]): void {
    this.insertBlock.run(blockNum, toBuffer(hash), toBuffer(bytes));
    for (const t of txs) {
      if (t.txId === '') continue;
      this.insertTx.run(t.txId, blockNum, t.txNum, t.validationCode);
      this.txIds.add(t.txId);
    }
  }

  afterCommit(blockNum: number): void {
    this.blockHeight = blockNum + 1;
  }

  /**
   * Deletes blocks `height` and up with the txids first seen in them, inside the caller's
   * transaction; {@link afterCommit} with `height - 1` publishes the new height. The txid filter
   * keeps the deleted ids as false positives, which only cost a lookup.
   */
  truncate(height: number): void {
    this.db.prepare('DELETE FROM txids WHERE block_num >= ?').run(height);
    this.db.prepare('DELETE FROM blocks WHERE num >= ?').run(height);
  }
}
