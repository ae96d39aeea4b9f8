/**
 * Private key hashes taken from a snapshot expire at the block their collection's blockToLive says,
 * as on the peer that exported them: state (and later snapshots) stay equal.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KvLedger } from '../../../../core/ledger/kv-ledger';
import { LedgerManagerImpl } from '../../../../core/ledger/ledger-manager-impl';
import type { PrivateDataPolicy } from '../../../../core/ledger/private-data';
import { buildRwSetEnvelope, TestChain } from '../../../../core/ledger/test-blocks';
import { SqliteLedgerStoreProvider } from '../../../../plugins/ledger-sqlite';

const policy: PrivateDataPolicy = { blockToLive: (ns, coll) => (ns === 'cc' && coll === 'coll' ? 2 : 0) };

describe('ledger-sqlite: private state hashes from a snapshot', () => {
  let work: string;
  beforeEach(() => (work = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-snapexpiry-'))));
  afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

  function open(root: string): KvLedger {
    const provider = new SqliteLedgerStoreProvider({ rootDir: root });
    return new KvLedger('ch1', provider.open('ch1'), new LedgerManagerImpl(provider).options, undefined, policy);
  }

  it('expire at the block their blockToLive says, as on the exporting peer', async () => {
    const source = open(path.join(work, 'a'));
    const chain = new TestChain();
    const sim = source.newTxSimulator('t0');
    sim.setPrivateData('cc', 'coll', 'k', Buffer.from('short-lived'));
    sim.setPrivateData('cc', 'other', 'k', Buffer.from('kept'));
    const env = buildRwSetEnvelope({ txId: 't0', rwset: sim.getTxSimulationResults(), channelId: 'ch1' });
    const pvt = sim.getPrivateSimulationResults() as Uint8Array;
    sim.done();
    source.commit(chain.block([env]), undefined, new Map([[0, pvt]]));
    source.commit(chain.block([]));
    await source.exportSnapshot(path.join(work, 'snap')).done;

    const importer = new LedgerManagerImpl(new SqliteLedgerStoreProvider({ rootDir: path.join(work, 'b') }));
    (await importer.createFromSnapshot(path.join(work, 'snap'))).close();
    const imported = open(path.join(work, 'b'));
    const hashOf = (l: KvLedger, coll: string): Uint8Array | undefined => l.newQueryExecutor().getPrivateDataHash('cc', coll, 'k');
    expect(hashOf(imported, 'coll')).toEqual(hashOf(source, 'coll'));

    // Written in block 0 with blockToLive 2: gone with the commit of block 3, on both peers.
    for (const n of [2, 3]) {
      const block = chain.block([]);
      const copy = block.cloneMessage();
      source.commit(block);
      imported.commit(copy);
      expect(hashOf(imported, 'coll') === undefined).toBe(n === 3);
      expect(hashOf(source, 'coll') === undefined).toBe(n === 3);
    }
    expect(hashOf(imported, 'other')).toEqual(hashOf(source, 'other'));
    const a = await source.exportSnapshot(path.join(work, 'a-snap')).done;
    const b = await imported.exportSnapshot(path.join(work, 'b-snap')).done;
    expect(Buffer.from(b.snapshotHash).toString('hex')).toBe(Buffer.from(a.snapshotHash).toString('hex'));
    source.close();
    imported.close();
  });
});
