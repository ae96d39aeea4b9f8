import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import type { AppliedPvtCollection } from '../../../../core/ledger/private-data';
import { initSchema } from '../../../../plugins/ledger-sqlite/sqlite-schema';
import { SqlitePvtDataStore } from '../../../../plugins/ledger-sqlite/sqlite-pvt-data-store';

const collection = (txNum: number, rwset: string): AppliedPvtCollection => ({
  txNum,
  namespace: 'cc',
  collection: 'coll',
  rwset: Buffer.from(rwset),
  expiringBlock: 0,
  keyHashes: [],
});

/**
 * The private data store on a real block file, with every statement SQLite runs recorded
 * (better-sqlite3's `verbose`): a block above every stored row is neither read nor cleared of
 * rows kept from before a rollback, and a block that has rows still is.
 */
describe('SqlitePvtDataStore lookups of kept rows', () => {
  let dir: string;
  let file: string;
  let db: Database.Database;
  let statements: string[];

  const open = (): SqlitePvtDataStore => {
    db = new Database(file, { verbose: (sql) => statements.push(String(sql)) });
    initSchema(db, file, 'ch', 'blocks');
    const store = new SqlitePvtDataStore(db);
    statements = [];
    return store;
  };
  const append = (store: SqlitePvtDataStore, blockNum: number, data?: AppliedPvtCollection[]): void => db.transaction(() => store.append(blockNum, data, undefined))();
  /** Statements that read or delete one block's rows (not the expiry sweep, which every commit runs). */
  const blockLookups = (): string[] => statements.filter((s) => /WHERE block_num = /.test(s));

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-pvt-kept-'));
    file = path.join(dir, 'ch.sqlite');
    statements = [];
  });
  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs no per-block lookup for blocks above every stored row', () => {
    const store = open();
    for (let n = 0; n < 5; n++) {
      expect(store.get(n)).toEqual([]);
      append(store, n);
    }
    expect(blockLookups()).toEqual([]);
  });

  it('still finds the rows of a block that has them, and of one reconciliation stored', () => {
    const store = open();
    append(store, 0);
    append(store, 1, [collection(0, 'one')]);
    expect(store.get(1).map((c) => Buffer.from(c.rwset).toString())).toEqual(['one']);
    append(store, 2);
    db.transaction(() => store.store(2, collection(3, 'late')))();
    expect(store.get(2).map((c) => Buffer.from(c.rwset).toString())).toEqual(['late']);
    statements = [];
    expect(store.get(3)).toEqual([]);
    append(store, 3);
    expect(blockLookups()).toEqual([]);
  });

  it('after a reopen, reads and drops the rows a rollback kept until commits pass them', () => {
    const first = open();
    for (let n = 0; n < 4; n++) append(first, n, [collection(0, `b${n}`)]);
    db.close();
    // As after a rollback to height 2: blocks 2 and 3 come back; their rows are still stored.
    const store = open();
    expect(store.get(2).map((c) => Buffer.from(c.rwset).toString())).toEqual(['b2']);
    append(store, 2);
    expect(store.get(2)).toEqual([]);
    expect(store.get(3).map((c) => Buffer.from(c.rwset).toString())).toEqual(['b3']);
    append(store, 3);
    expect(blockLookups().length).toBeGreaterThan(0);
    statements = [];
    expect(store.get(4)).toEqual([]);
    append(store, 4);
    expect(blockLookups()).toEqual([]);
  });
});
