import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { parseIndexDefinition, parseRichQuery } from '../../../../core/ledger/rich-query';
import type { StateUpdate } from '../../../../core/ledger/versioned-state-store';
import { initSchema } from '../../../../plugins/ledger-sqlite/sqlite-schema';
import { SqliteStateStore } from '../../../../plugins/ledger-sqlite/sqlite-state-store';

const put = (key: string, value: string, blockNum: number, metadata?: Uint8Array): StateUpdate => ({
  namespace: 'cc',
  key,
  value: Buffer.from(value),
  version: { blockNum, txNum: 0 },
  ...(metadata === undefined ? {} : { metadata }),
});

/**
 * The state store's writes on a real state file. How SQLite wrote each row is seen through temporary
 * triggers: an upsert of an existing key fires UPDATE, an INSERT OR REPLACE fires INSERT.
 */
describe('SqliteStateStore writes', () => {
  let dir: string;
  let db: Database.Database;
  let store: SqliteStateStore;
  let writes: string[];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-state-writes-'));
    const file = path.join(dir, 'ch_state.sqlite');
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    initSchema(db, file, 'ch', 'state');
    store = new SqliteStateStore(db, 100);
    writes = [];
    db.function('weft_test_write', (op: unknown, key: unknown) => {
      writes.push(`${String(op)} ${String(key)}`);
      return null;
    });
    db.exec(`CREATE TEMP TRIGGER seen_insert AFTER INSERT ON state BEGIN SELECT weft_test_write('insert', NEW.key); END;
             CREATE TEMP TRIGGER seen_update AFTER UPDATE ON state BEGIN SELECT weft_test_write('update', NEW.key); END;`);
  });
  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const apply = (...updates: StateUpdate[]): void => db.transaction(() => store.apply(updates))();
  const row = (key: string): unknown => db.prepare("SELECT value, block_num, metadata FROM state WHERE ns = 'cc' AND key = ?").raw().get(key);

  it('replaces a cached row in one statement, keeping the metadata the cache holds for it', () => {
    apply(put('k', 'v1', 1, Buffer.from('policy')), put('plain', 'p1', 1));
    writes = [];
    // Read as validation reads a transaction's read set: both rows are now cached.
    expect(store.get('cc', 'k')?.metadata).toEqual(Buffer.from('policy'));
    expect(store.get('cc', 'plain')?.metadata).toBeUndefined();
    apply(put('k', 'v2', 2), put('plain', 'p2', 2));
    expect(writes).toEqual(['insert k', 'insert plain']);
    expect(row('k')).toEqual([Buffer.from('v2'), 2, Buffer.from('policy')]);
    expect(row('plain')).toEqual([Buffer.from('p2'), 2, null]);
    // The write dropped the cached rows: reads see the new ones.
    expect(store.get('cc', 'k')).toMatchObject({ value: Buffer.from('v2'), version: { blockNum: 2, txNum: 0 }, metadata: Buffer.from('policy') });
  });

  it('upserts a key it has not cached, or has cached as absent, keeping the stored metadata', () => {
    apply(put('k', 'v1', 1, Buffer.from('policy')));
    expect(store.get('cc', 'new')).toBeUndefined();
    writes = [];
    apply(put('k', 'v2', 2), put('new', 'n', 2));
    expect(writes).toEqual(['update k', 'insert new']);
    expect(row('k')).toEqual([Buffer.from('v2'), 2, Buffer.from('policy')]);
    expect(row('new')).toEqual([Buffer.from('n'), 2, null]);
  });

  it('writes metadata an update sets or clears over a cached row, and keeps an empty stored one as it is', () => {
    apply(put('set', 'v', 1), put('cleared', 'v', 1, Buffer.from('policy')));
    db.prepare("INSERT INTO state (ns, key, value, block_num, tx_num, metadata) VALUES ('cc', 'empty', x'76', 1, 0, x'')").run();
    for (const key of ['set', 'cleared', 'empty']) store.get('cc', key);
    apply(put('set', 'v2', 2, Buffer.from('new policy')), put('cleared', 'v2', 2, new Uint8Array(0)), put('empty', 'v2', 2));
    expect([row('set'), row('cleared'), row('empty')]).toEqual([
      [Buffer.from('v2'), 2, Buffer.from('new policy')],
      [Buffer.from('v2'), 2, null],
      [Buffer.from('v2'), 2, Buffer.alloc(0)],
    ]);
  });

  it('keeps declared indexes and rich queries exact over replaced rows', () => {
    store.declareIndex('cc', parseIndexDefinition(JSON.stringify({ index: { fields: ['color'] }, ddoc: 'd', name: 'byColor', type: 'json' })));
    const doc = (color: string): string => JSON.stringify({ color });
    apply(put('a', doc('red'), 1), put('b', doc('blue'), 1), put('c', doc('red'), 1));
    for (const key of ['a', 'b', 'c']) store.get('cc', key);
    // Cached rows replaced: one leaves red, one turns red, one stops being a JSON object.
    apply(put('a', doc('blue'), 2), put('b', doc('red'), 2), put('c', 'not json', 2));
    expect(writes.slice(-3)).toEqual(['insert a', 'insert b', 'insert c']);
    const keys = (selector: object, extra: object = {}): string[] =>
      store.executeQuery('cc', parseRichQuery(JSON.stringify({ selector, ...extra })), { skip: 0, limit: 10 }).rows.map((r) => r.key);
    expect(keys({ color: 'red' }, { use_index: ['d', 'byColor'] })).toEqual(['b']);
    expect(keys({ color: { $gt: null } }, { sort: ['color'] })).toEqual(['a', 'b']);
    expect(keys({})).toEqual(['a', 'b', 'c']);
  });
});
