/**
 * `rebuild` and `rollback` killed with SIGKILL at random points on a ledger with private data
 * (purges, deletes, an expiring collection, data still missing), history and declared indexes on
 * public and private data: the next open recovers a ledger whose state file, private data and
 * missing records equal the ones before (a rolled-back one once its blocks are committed again).
 */
import { runAndKillChild } from '../../support/kill-child';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Block } from '@hyperledger/fabric-protos/lib/common/common_pb';
import Database from 'better-sqlite3';
import { KvLedger } from '../../../core/ledger/kv-ledger';
import { defaultLedgerOptions } from '../../../core/ledger/ledger-options';
import type { PrivateDataPolicy } from '../../../core/ledger/private-data';
import { pvtNamespace } from '../../../core/ledger/private-data';
import { buildRwSetEnvelope, TestChain } from '../../../core/ledger/test-blocks';
import { SqliteLedgerStoreProvider } from '../../../plugins/ledger-sqlite';

const CHILD = path.join(__dirname, 'fixtures', 'maintenance-child.js');
const POLICY: PrivateDataPolicy = { blockToLive: (_ns, coll) => (coll === 'short' ? 2 : 0) };
const BLOCKS = 240;
const KILLS = 6;

function openLedger(dir: string): KvLedger {
  return new KvLedger('ch1', new SqliteLedgerStoreProvider({ rootDir: dir }).open('ch1'), defaultLedgerOptions, undefined, POLICY);
}

/** Runs the child and kills it at a random moment after it starts; resolves with whether it finished first. */
async function runAndKill(dir: string, args: readonly string[]): Promise<{ done: boolean }> {
  const out = await runAndKillChild(CHILD, [dir, ...args], 'started', () => (Math.random() < 0.25 ? 0 : Math.floor(Math.random() * 400)));
  return { done: out.includes('done') };
}

/** The state file's rows, the private data kept with each block and the missing records. */
function dump(dir: string, ledger: KvLedger): unknown {
  const db = new Database(path.join(dir, 'ch1_state.sqlite'), { readonly: true });
  const state = db.prepare('SELECT ns, key, hex(value), block_num, tx_num, hex(metadata) FROM state ORDER BY ns, key').raw().all();
  const indexes = db.prepare('SELECT ns, ddoc, name, sql_name FROM declared_indexes ORDER BY ns, name').raw().all();
  db.close();
  const served = [...Array(ledger.height()).keys()].map((n) => [...ledger.getPrivateDataByBlock(n)].map(([t, b]) => `${t}:${Buffer.from(b).toString('hex')}`));
  return { height: ledger.height(), state, indexes, served, missing: ledger.missingPvtData(1_000_000) };
}

/** A ledger of BLOCKS blocks of public and private writes; every seventh block's private data missing here. */
function build(dir: string): void {
  const ledger = openLedger(dir);
  const chain = new TestChain();
  ledger.commit(chain.block([]));
  ledger.declareIndexes('cc', [{ name: 'i.json', content: JSON.stringify({ index: { fields: ['owner'] }, ddoc: 'd', name: 'byOwner' }) }]);
  ledger.declareIndexes(pvtNamespace('cc', 'secrets'), [{ name: 'p.json', content: JSON.stringify({ index: { fields: ['size'] }, ddoc: 'p', name: 'bySize' }) }]);
  for (let n = 1; n < BLOCKS; n++) {
    const envelopes: Uint8Array[] = [];
    const pvt = new Map<number, Uint8Array>();
    for (let t = 0; t < 3; t++) {
      const txId = `b${n}t${t}`;
      const sim = ledger.newTxSimulator(txId);
      const k = `k${(n * 3 + t) % 37}`;
      sim.setState('cc', k, Buffer.from(JSON.stringify({ owner: `o${n % 5}`, n })));
      if (t === 0) sim.setPrivateData('cc', 'secrets', k, Buffer.from(JSON.stringify({ size: n })));
      if (t === 1) sim.setPrivateData('cc', 'short', k, Buffer.from(`brief${n}`));
      if (t === 2 && n % 5 === 0) sim.purgePrivateData('cc', 'secrets', `k${(n * 3 - 3) % 37}`);
      if (t === 2 && n % 5 === 1) sim.deletePrivateData('cc', 'secrets', `k${(n * 3 - 6) % 37}`);
      const rwset = sim.getTxSimulationResults();
      const data = sim.getPrivateSimulationResults();
      sim.done();
      envelopes.push(buildRwSetEnvelope({ txId, rwset, channelId: 'ch1' }));
      if (data !== undefined && n % 7 !== 0) pvt.set(t, data);
    }
    ledger.commit(chain.block(envelopes), undefined, pvt);
  }
  ledger.close();
}

describe('private data across killed rebuilds and rollbacks (SQLite ledger)', () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-maint-crash-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it(`recovers the same ledger after ${KILLS} killed rebuilds and ${KILLS} killed rollbacks`, async () => {
    build(dir);
    let ledger = openLedger(dir);
    const expected = dump(dir, ledger);
    expect(expected).toMatchObject({ height: BLOCKS, missing: expect.arrayContaining([expect.objectContaining({ blockNum: 7 })]) });
    const blocks = [...Array(BLOCKS).keys()].map((n) => (ledger.getBlockByNumber(n) as Block).serializeBinary());
    ledger.close();

    for (let i = 0; i < KILLS; i++) {
      await runAndKill(dir, ['rebuild']);
      ledger = openLedger(dir);
      expect(dump(dir, ledger)).toEqual(expected);
      ledger.close();
    }
    for (let i = 0; i < KILLS; i++) {
      const target = BLOCKS - 2 - Math.floor(Math.random() * 60);
      const { done } = await runAndKill(dir, ['rollback', String(target)]);
      ledger = openLedger(dir);
      const height = ledger.height();
      expect(done ? [target + 1] : [BLOCKS, target + 1]).toContain(height);
      // Pulled again without private data: what the ledger kept is what it commits with.
      for (let n = height; n < BLOCKS; n++) ledger.commit(Block.deserializeBinary(blocks[n]));
      expect(dump(dir, ledger)).toEqual(expected);
      ledger.close();
    }
  }, 180_000);
});
