import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { LedgerManagerImpl, parseRichQuery, RwSetBuilder, type Ledger } from '../../../../core/ledger';
import { buildRwSetEnvelope, TestChain } from '../../../../core/ledger/test-blocks';
import { chooseIndex, compileRichQuery, SqliteLedgerStoreProvider } from '../../../../plugins/ledger-sqlite';
import { isBudgetError } from '../../../../plugins/ledger-sqlite/mango-sql';
import { couchCollationKeyOfJson } from '../../../../plugins/ledger-sqlite/couch-collation';
import { buildInWorker } from '../../../../plugins/ledger-sqlite/index-builder';

const OWNERS = ['bob', 'Alice', 'alice', 'carol', 'Bob', 'dave', '_system'];
const INDEX = { name: 'i.json', content: JSON.stringify({ index: { fields: ['docType', 'owner'] }, ddoc: 'd', name: 'byOwner', type: 'json' }) };

function assets(): Uint8Array {
  const b = new RwSetBuilder();
  OWNERS.forEach((owner, i) => b.addWrite('cc', `asset${i}`, Buffer.from(JSON.stringify({ docType: 'asset', owner }))));
  b.addWrite('cc', 'other', Buffer.from(JSON.stringify({ docType: 'other', owner: 'bob' })));
  return buildRwSetEnvelope({ txId: 'seed', rwset: b.build().serializeBinary(), channelId: 'ch1' });
}

describe('ledger-sqlite declared indexes', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-sqlite-ix-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const stateFile = (): string => path.join(dir, 'ch1_state.sqlite');
  const openManager = (): LedgerManagerImpl => new LedgerManagerImpl(new SqliteLedgerStoreProvider({ rootDir: dir }));
  const owners = (ledger: Ledger, selector: object, extra: object = {}): string[] =>
    [...ledger.newQueryExecutor().executeQuery('cc', JSON.stringify({ selector, ...extra }))].map((kv) => (JSON.parse(kv.value.toString()) as { owner: string }).owner);

  /** The state file opened beside the ledger, with the function its indexes are built on. */
  function rawState(readonly = true): Database.Database {
    const db = new Database(stateFile(), { readonly });
    db.function('weft_couch_key', { deterministic: true }, couchCollationKeyOfJson);
    return db;
  }

  const indexNames = (db: Database.Database): string[] => db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'ix_%'").pluck().all() as string[];

  function plan(db: Database.Database, query: string, params: unknown[]): string {
    const parsed = parseRichQuery(query);
    const { sql, params: bound } = compileRichQuery('cc', parsed, chooseIndex(parsed, [{ sqlName: indexNames(db)[0], firstField: ['docType'], paths: [['docType'], ['owner']] }]));
    expect(bound).toHaveLength(params.length);
    return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...bound, 10, 0) as { detail: string }[]).map((r) => r.detail).join('\n');
  }

  function seeded(): { manager: LedgerManagerImpl; ledger: Ledger; chain: TestChain } {
    const manager = openManager();
    const chain = new TestChain();
    const ledger = manager.create('ch1', chain.block([]));
    ledger.commit(chain.block([assets()]));
    return { manager, ledger, chain };
  }

  it('index the fields’ CouchDB collation keys, so equality, ranges on strings and sorts all use them', () => {
    const { manager, ledger } = seeded();
    const unindexed = owners(ledger, { docType: 'asset', owner: { $lt: 'c' } }, { sort: [{ docType: 'asc' }, { owner: 'asc' }] });
    ledger.declareIndexes('cc', [INDEX]);
    expect(owners(ledger, { docType: 'asset', owner: { $lt: 'c' } }, { sort: [{ docType: 'asc' }, { owner: 'asc' }] })).toEqual(unindexed);
    expect(unindexed).toEqual(['_system', 'alice', 'Alice', 'bob', 'Bob']);
    manager.close();

    const db = rawState();
    expect(indexNames(db)).toHaveLength(1);
    expect(plan(db, '{"selector":{"docType":"asset","owner":"bob"}}', ['asset', 'bob'])).toMatch(/USING INDEX ix_\w+ \(ns=\? AND <expr>=\? AND <expr>=\?\)/);
    expect(plan(db, '{"selector":{"docType":"asset","owner":{"$lt":"c"}}}', ['asset', 'c'])).toMatch(/USING INDEX ix_\w+ \(ns=\? AND <expr>=\? AND <expr><\?\)/);
    const sorted = plan(db, '{"selector":{"docType":{"$gt":null}},"sort":[{"docType":"asc"},{"owner":"asc"}]}', [null]);
    expect(sorted).toMatch(/USING INDEX ix_/);
    expect(sorted).not.toMatch(/TEMP B-TREE/);
    db.close();
    expect(chooseIndex(parseRichQuery('{"selector":{"owner":"bob"}}'), [{ sqlName: 'x', firstField: ['docType'] }])).toBeUndefined();
  });

  it('rebuild an index made before collation keys (json_extract) when the ledger opens, with its results in ICU order', () => {
    const { manager, ledger } = seeded();
    ledger.declareIndexes('cc', [INDEX]);
    manager.close();
    // Make the file what an earlier Weft wrote: the index over raw json_extract, no collation mark.
    const old = rawState(false);
    const current = indexNames(old)[0];
    old.exec(`DROP INDEX ${current}`);
    old.exec(`CREATE INDEX ix_old ON state (ns, json_extract(j, '$."docType"'), json_extract(j, '$."owner"'))`);
    old.prepare("UPDATE declared_indexes SET sql_name = 'ix_old'").run();
    old.prepare("DELETE FROM meta WHERE name = 'collation'").run();
    old.close();

    const reopened = openManager();
    expect(owners(reopened.open('ch1'), { docType: 'asset' }, { sort: [{ docType: 'asc' }, { owner: 'asc' }] })).toEqual(['_system', 'alice', 'Alice', 'bob', 'Bob', 'carol', 'dave']);
    reopened.close();
    const db = rawState();
    expect(indexNames(db)).toEqual([current]);
    expect(db.prepare('SELECT sql_name FROM declared_indexes').pluck().all()).toEqual([current]);
    expect(db.prepare("SELECT value FROM meta WHERE name = 'collation'").pluck().get()).toMatch(/^couch-key-2 ns-partial icu-root \d+\.\d+\.\d+\.\d+$/);
    expect(plan(db, '{"selector":{"docType":"asset","owner":"bob"}}', ['asset', 'bob'])).toMatch(/USING INDEX /);
    db.close();
  });

  it('hold their own namespace’s rows only, so another chaincode’s writes do not maintain them', () => {
    const { manager, ledger, chain } = seeded();
    ledger.declareIndexes('cc', [INDEX]);
    const b = new RwSetBuilder();
    for (let i = 0; i < 50; i++) b.addWrite('othercc', `doc${i}`, Buffer.from(JSON.stringify({ docType: 'asset', owner: 'bob' })));
    ledger.commit(chain.block([buildRwSetEnvelope({ txId: 'elsewhere', rwset: b.build().serializeBinary(), channelId: 'ch1' })]));
    expect(owners(ledger, { docType: 'asset', owner: 'bob' })).toEqual(['bob']);
    manager.close();
    const db = rawState();
    const [name] = indexNames(db);
    expect(db.prepare("SELECT sql FROM sqlite_master WHERE name = ?").pluck().get(name)).toMatch(/ WHERE ns = 'cc'$/);
    // `cc`'s 8 documents, not the 50 of `othercc`.
    expect(db.prepare("SELECT sum(ncell) FROM dbstat WHERE name = ? AND pagetype = 'leaf'").pluck().get(name)).toBe(OWNERS.length + 1);
    db.close();
  });

  it('build in a worker thread: the event loop turns meanwhile, and queries use the index once built', async () => {
    const { manager } = seeded();
    manager.close();
    const bulk = new Database(stateFile());
    const put = bulk.prepare('INSERT INTO state (ns, key, value, block_num, tx_num) VALUES (?, ?, ?, 1, 0)');
    bulk.transaction(() => {
      for (let i = 0; i < 100_000; i++) put.run('cc', `bulk${i}`, Buffer.from(JSON.stringify({ docType: 'bulk', owner: `owner${i % 997}` })));
    })();
    bulk.close();
    const reopened = openManager();
    const again = reopened.open('ch1');
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 5);
    try {
      await again.declareIndexesInBackground('cc', [INDEX]);
    } finally {
      clearInterval(ticker);
    }
    // Built on this thread, the index would have held the event loop for the whole build: no tick.
    expect(ticks).toBeGreaterThan(2);
    expect(owners(again, { docType: 'asset', owner: { $lt: 'c' } }, { sort: [{ docType: 'asc' }, { owner: 'asc' }] })).toEqual(['_system', 'alice', 'Alice', 'bob', 'Bob']);
    await again.declareIndexesInBackground('cc', [INDEX]);
    reopened.close();
    const db = rawState();
    expect(indexNames(db)).toHaveLength(1);
    expect(db.prepare('SELECT count(*) FROM declared_indexes').pluck().get()).toBe(1);
    expect(plan(db, '{"selector":{"docType":"asset","owner":"bob"}}', ['asset', 'bob'])).toMatch(/USING INDEX ix_/);
    db.close();
  });

  it('replace an index declared again under its name with other fields, in place or in the background', async () => {
    const { manager, ledger } = seeded();
    const byOwnerOnly = { name: 'i.json', content: JSON.stringify({ index: { fields: ['owner'] }, ddoc: 'd', name: 'byOwner', type: 'json' }) };
    ledger.declareIndexes('cc', [INDEX]);
    await ledger.declareIndexesInBackground('cc', [byOwnerOnly]);
    expect(owners(ledger, { owner: { $gt: 'b' } }, { sort: [{ owner: 'asc' }] })).toEqual(['bob', 'bob', 'Bob', 'carol', 'dave']);
    ledger.declareIndexes('cc', [INDEX]);
    expect(owners(ledger, { docType: 'asset', owner: 'bob' })).toEqual(['bob']);
    manager.close();
    const db = rawState();
    expect(indexNames(db)).toHaveLength(1);
    expect(db.prepare('SELECT definition FROM declared_indexes').pluck().all()).toEqual([JSON.stringify([{ path: ['docType'], direction: 'asc' }, { path: ['owner'], direction: 'asc' }])]);
    db.close();
  });

  it('seek an index on a path with 8 integer segments, and are left when spelling that path out would pass the SQL budget', () => {
    const { manager, ledger, chain } = seeded();
    const field = 'a.0.0.0.0.0.0.0.0';
    const b = new RwSetBuilder();
    // Eight arrays deep, the innermost holding the document's number.
    for (let i = 0; i < 10; i++) b.addWrite('cc', `deep${i}`, Buffer.from(JSON.stringify({ a: [...'01234567'].reduce<unknown>((v) => [v], i) })));
    ledger.commit(chain.block([buildRwSetEnvelope({ txId: 'deep', rwset: b.build().serializeBinary(), channelId: 'ch1' })]));
    ledger.declareIndexes('cc', [{ name: 'deep.json', content: JSON.stringify({ index: { fields: [field] }, ddoc: 'deep', name: 'deep', type: 'json' }) }]);
    const keys = (query: object): string[] => [...ledger.newQueryExecutor().executeQuery('cc', JSON.stringify(query))].map((kv) => kv.key);
    const ranged = { selector: { [field]: { $gt: 5 } }, sort: [{ [field]: 'asc' }] };
    expect(keys(ranged)).toEqual(['deep6', 'deep7', 'deep8', 'deep9']);
    // Each seek of the index spells out its 2^8 alternatives: twenty pass the budget, so the query runs without it.
    const many = { selector: { $and: Array.from({ length: 20 }, (_, i) => ({ [field]: { $gt: i - 20 } })) } };
    expect(keys(many)).toEqual(Array.from({ length: 10 }, (_, i) => `deep${i}`));
    manager.close();

    const db = rawState();
    const choice = { sqlName: indexNames(db)[0], firstField: field.split('.'), paths: [field.split('.')] };
    const parsed = parseRichQuery(JSON.stringify(ranged));
    const { sql, params } = compileRichQuery('cc', parsed, chooseIndex(parsed, [choice]));
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params, 10, 0) as { detail: string }[]).map((r) => r.detail).join('\n');
    expect(plan).toMatch(/USING INDEX ix_\w+ \(ns=\? AND <expr>>\?\)/);
    expect(plan).not.toMatch(/TEMP B-TREE/);
    let refusal: unknown;
    try {
      compileRichQuery('cc', parseRichQuery(JSON.stringify(many)), choice);
    } catch (e) {
      refusal = e;
    }
    expect(isBudgetError(refusal)).toBe(true);
    db.close();
  });

  it('report a build the worker could not do as a typed error', async () => {
    await expect(buildInWorker(path.join(dir, 'no-such-dir', 'x.sqlite'), ['CREATE TABLE t (x)'])).rejects.toMatchObject({
      code: 'LEDGER_STORE_FAILED',
      message: expect.stringContaining('building a declared index failed: '),
    });
  });

  it('rebuild every declared index when the ICU collator version the keys were stored under differs', () => {
    const { manager, ledger } = seeded();
    ledger.declareIndexes('cc', [INDEX]);
    manager.close();
    const other = rawState(false);
    const name = indexNames(other)[0];
    const stored = other.prepare("SELECT value FROM meta WHERE name = 'collation'").pluck().get() as string;
    // Another ICU's keys would sort differently; the missing index shows the open built it again.
    other.prepare("UPDATE meta SET value = 'couch-key-1 icu-root 0.0.0.0' WHERE name = 'collation'").run();
    other.exec(`DROP INDEX ${name}`);
    other.close();

    const reopened = openManager();
    reopened.open('ch1');
    reopened.close();
    const db = rawState();
    expect(indexNames(db)).toEqual([name]);
    expect(db.prepare("SELECT value FROM meta WHERE name = 'collation'").pluck().get()).toBe(stored);
    db.close();
  });
});
