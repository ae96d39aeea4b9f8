import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { LedgerManagerImpl, RwSetBuilder, type Ledger } from '../../../../core/ledger';
import { buildRwSetEnvelope, TestChain } from '../../../../core/ledger/test-blocks';
import { SqliteLedgerStoreProvider } from '../../../../plugins/ledger-sqlite';
import { sqlText } from '../../../../plugins/ledger-sqlite/mango-field';

/**
 * An index file is a chaincode package's text: its ddoc and name reach the state file's SQL.
 * SQLite reads SQL text only up to a NUL, so a NUL in either cut the statement short (a raw
 * SQLITE_ERROR); with the text bound, the index is declared, recorded and used as any other.
 */
describe('ledger-sqlite declared indexes named with control characters', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-sqlite-ixtext-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const openManager = (): LedgerManagerImpl => new LedgerManagerImpl(new SqliteLedgerStoreProvider({ rootDir: dir }));

  function seeded(): { manager: LedgerManagerImpl; ledger: Ledger } {
    const manager = openManager();
    const chain = new TestChain();
    const ledger = manager.create('ch1', chain.block([]));
    const b = new RwSetBuilder();
    ['bob', 'alice', 'bob'].forEach((owner, i) => b.addWrite('cc', `asset${i}`, Buffer.from(JSON.stringify({ owner }))));
    ledger.commit(chain.block([buildRwSetEnvelope({ txId: 'seed', rwset: b.build().serializeBinary(), channelId: 'ch1' })]));
    return { manager, ledger };
  }

  /** Answers only through the named index: `allow_fallback: false` refuses a query it cannot use. */
  const keysVia = (ledger: Ledger, ddoc: string, name: string): string[] =>
    [...ledger.newQueryExecutor().executeQuery('cc', JSON.stringify({ selector: { owner: 'bob' }, use_index: [ddoc, name], allow_fallback: false }))].map((kv) => kv.key);

  const names: [string, string, string][] = [
    ['a NUL in the name', 'd', 'by\u0000Owner'],
    ['a NUL in the ddoc', 'd\u0000x', 'byOwner'],
    ['a newline, quotes and SQL in the name', 'd', "by\nOwner'); DROP TABLE state; --"],
    ['every C0 control character', '\u0001\u001f', '\u0000\u0007\t\r'],
  ];

  it.each(names)('are declared and recorded verbatim with %s, in the foreground and in a worker', async (_what, ddoc, name) => {
    const { manager, ledger } = seeded();
    const file = (n: string): { name: string; content: string } => ({ name: 'i.json', content: JSON.stringify({ index: { fields: ['owner'] }, ddoc, name: n, type: 'json' }) });
    ledger.declareIndexes('cc', [file(name)]);
    await ledger.declareIndexesInBackground('cc', [file(`${name}2`)]);
    expect(keysVia(ledger, ddoc, name)).toEqual(['asset0', 'asset2']);
    expect(keysVia(ledger, ddoc, `${name}2`)).toEqual(['asset0', 'asset2']);
    manager.close();

    const db = new Database(path.join(dir, 'ch1_state.sqlite'), { readonly: true });
    expect(db.prepare('SELECT ddoc, name FROM declared_indexes ORDER BY name').all()).toEqual([
      { ddoc, name },
      { ddoc, name: `${name}2` },
    ]);
    expect(db.prepare('SELECT count(*) FROM state').pluck().get()).toBe(3);
    db.close();
    const reopened = openManager();
    expect(keysVia(reopened.open('ch1'), ddoc, name)).toEqual(['asset0', 'asset2']);
    reopened.close();
  });

  it('refuse to inline a NUL into any SQL literal, as a typed error', () => {
    expect(sqlText("owner's")).toBe("'owner''s'");
    expect(() => sqlText('cc\u0000x')).toThrow(expect.objectContaining({ code: 'LEDGER_BAD_QUERY', message: expect.stringContaining('NUL') }));
  });
});
