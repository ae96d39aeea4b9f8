import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import type { StateUpdate } from '../../../../core/ledger/versioned-state-store';
import { initSchema } from '../../../../plugins/ledger-sqlite/sqlite-schema';
import { SqliteStateStore } from '../../../../plugins/ledger-sqlite/sqlite-state-store';

const put = (namespace: string, key: string, blockNum: number, metadata?: Uint8Array): StateUpdate => ({
  namespace,
  key,
  value: Buffer.from(`v${blockNum}`),
  version: { blockNum, txNum: 0 },
  ...(metadata === undefined ? {} : { metadata }),
});

/**
 * `namespaceHasMetadata` (Fabric's metadataHint) on a real state file, every statement recorded
 * (better-sqlite3's `verbose`) and how each row was written seen through temporary triggers.
 */
describe('SqliteStateStore.namespaceHasMetadata', () => {
  let dir: string;
  let file: string;
  let db: Database.Database;
  let statements: string[];

  const open = (): SqliteStateStore => {
    db = new Database(file, { verbose: (sql) => statements.push(String(sql)) });
    initSchema(db, file, 'ch', 'state');
    const store = new SqliteStateStore(db, 100);
    statements = [];
    return store;
  };
  const apply = (store: SqliteStateStore, ...updates: StateUpdate[]): void => db.transaction(() => store.apply(updates))();

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-metadata-hint-'));
    file = path.join(dir, 'ch_state.sqlite');
    statements = [];
  });
  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('asks the index once per namespace, and learns from the writes it applies', () => {
    const store = open();
    apply(store, put('plain', 'a', 1));
    statements = [];
    expect(store.namespaceHasMetadata('plain')).toBe(false);
    expect(store.namespaceHasMetadata('guarded')).toBe(false);
    expect(statements).toHaveLength(2);
    expect(store.namespaceHasMetadata('plain')).toBe(false);
    expect(statements).toHaveLength(2);
    apply(store, put('guarded', 'k', 2, Buffer.from('policy')));
    expect(store.namespaceHasMetadata('guarded')).toBe(true);
    expect(store.namespaceHasMetadata('plain')).toBe(false);
    // Cleared: true until the next open, which asks the index again.
    apply(store, put('guarded', 'k', 3, new Uint8Array(0)));
    expect(store.namespaceHasMetadata('guarded')).toBe(true);
    db.close();
    expect(open().namespaceHasMetadata('guarded')).toBe(false);
  });

  it('finds metadata a file of an earlier build holds, creating the index at open', () => {
    const first = open();
    apply(first, put('guarded', 'k', 1, Buffer.from('policy')), put('plain', 'a', 1));
    db.exec('DROP INDEX state_metadata_ns');
    db.close();
    const store = open();
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'state_metadata_ns'").pluck().get()).toBe('state_metadata_ns');
    expect(store.namespaceHasMetadata('guarded')).toBe(true);
    expect(store.namespaceHasMetadata('plain')).toBe(false);
    expect(statements.filter((s) => s.includes('INDEXED BY state_metadata_ns'))).toHaveLength(2);
  });

  it('does not keep an answer given inside a transaction, which may roll back', () => {
    const first = open();
    apply(first, put('guarded', 'k', 1, Buffer.from('policy')));
    db.close();
    const store = open();
    expect(() =>
      db.transaction(() => {
        store.apply([{ namespace: 'guarded', key: 'k', value: undefined, version: { blockNum: 2, txNum: 0 } }]);
        expect(store.namespaceHasMetadata('guarded')).toBe(false);
        throw new Error('roll back');
      })(),
    ).toThrow('roll back');
    expect(store.namespaceHasMetadata('guarded')).toBe(true);
  });

  it('writes a key of a namespace known to hold no metadata in one statement, without metadata', () => {
    const store = open();
    apply(store, put('plain', 'a', 1));
    const writes: string[] = [];
    db.function('weft_test_write', (op: unknown, key: unknown) => {
      writes.push(`${String(op)} ${String(key)}`);
      return null;
    });
    db.exec(`CREATE TEMP TRIGGER seen_insert AFTER INSERT ON state BEGIN SELECT weft_test_write('insert', NEW.key); END;
             CREATE TEMP TRIGGER seen_update AFTER UPDATE ON state BEGIN SELECT weft_test_write('update', NEW.key); END;`);
    expect(store.namespaceHasMetadata('plain')).toBe(false);
    apply(store, put('plain', 'a', 2), put('plain', 'b', 2));
    expect(writes).toEqual(['insert a', 'insert b']);
    expect(db.prepare("SELECT key, value, metadata FROM state WHERE ns = 'plain' ORDER BY key").raw().all()).toEqual([
      ['a', Buffer.from('v2'), null],
      ['b', Buffer.from('v2'), null],
    ]);
  });
});
