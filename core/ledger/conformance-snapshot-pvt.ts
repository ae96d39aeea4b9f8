/**
 * Private data of a ledger created from a snapshot, in the conformance suite (jest globals): the
 * snapshot holds private hashes only, so the import records what this peer should hold as missing
 * (Fabric's `BootKVHashes`), and late data is taken only where it matches those hashes.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Fixture, makeFixture, type ProviderFactory, str, utf8 } from './conformance-fixture';
import { KvLedger } from './kv-ledger';
import type { Ledger } from './ledger';
import { LedgerManagerImpl } from './ledger-manager-impl';
import { type BlockPvtData, hashedKey, type PrivateDataPolicy } from './private-data';
import { buildRwSetEnvelope, TestChain } from './test-blocks';
import type { TxSimulator } from './tx-simulator';

/** This peer's org is a member of `mine` only; `short` lives one block. */
const policy: PrivateDataPolicy = {
  blockToLive: (_ns, coll) => (coll === 'short' ? 1 : 0),
  eligible: (_ns, coll) => coll !== 'theirs',
};

function unavailable(l: Ledger, coll: string, key: string): boolean {
  try {
    l.newQueryExecutor().getPrivateData('cc', coll, key);
    return false;
  } catch (e) {
    return (e as { code?: string }).code === 'LEDGER_PVT_DATA_UNAVAILABLE';
  }
}

export function snapshotPvtConformance(makeProvider: ProviderFactory): void {
  describe('private data of a ledger created from a snapshot', () => {
    let f: Fixture;
    let source: KvLedger;
    let chain: TestChain;
    let imported: KvLedger | undefined;
    let importDir = '';

    /** Commits one transaction (simulated on the source) with its private data, to the source. */
    function commitPvt(txId: string, body: (sim: TxSimulator) => void, also: Ledger[] = []): void {
      const sim = source.newTxSimulator(txId);
      body(sim);
      const env = buildRwSetEnvelope({ txId, rwset: sim.getTxSimulationResults(), channelId: 'ch1' });
      const pvt = sim.getPrivateSimulationResults() as Uint8Array;
      sim.done();
      const block = chain.block([env]);
      for (const l of also) l.commit(block.cloneMessage(), undefined, new Map([[0, pvt]]));
      source.commit(block, undefined, new Map([[0, pvt]]));
    }

    /** Private results of a transaction simulated and never committed: data as a peer could forge it. */
    function simulated(body: (sim: TxSimulator) => void): Uint8Array {
      const sim = source.newTxSimulator('forged');
      body(sim);
      const pvt = sim.getPrivateSimulationResults() as Uint8Array;
      sim.done();
      return pvt;
    }

    /** The snapshot at the source's last block, imported and opened with the collection policy (as the peer opens it). */
    async function importSnapshot(): Promise<KvLedger> {
      const snap = path.join(f.dir, `snap-${source.height()}`);
      await source.exportSnapshot(snap).done;
      importDir = fs.mkdtempSync(path.join(f.dir, 'imported-'));
      (await new LedgerManagerImpl(makeProvider(importDir)).createFromSnapshot(snap)).close();
      return reopen();
    }

    function reopen(): KvLedger {
      imported?.close();
      imported = new KvLedger('ch1', makeProvider(importDir).open('ch1'), f.manager.options, undefined, policy);
      return imported;
    }

    beforeEach(() => {
      f = makeFixture(makeProvider);
      f.ledger.close();
      source = new KvLedger('ch1', makeProvider(path.join(f.dir, 'source')).open('ch1'), f.manager.options, undefined, policy);
      chain = new TestChain();
      // Block 0: k1, k2 and a key of a collection of another org; k0 lives one block.
      commitPvt('t0', (s) => {
        s.setPrivateData('cc', 'mine', 'k1', utf8('v1'));
        s.setPrivateData('cc', 'mine', 'k2', utf8('v2'));
        s.setPrivateData('cc', 'theirs', 't', utf8('not ours'));
        s.setPrivateData('cc', 'short', 'k0', utf8('brief'));
      });
      // Block 1: k2 overwritten, k3 written; block 2: k3 deleted, k4 written, and k5 that lives until block 4.
      commitPvt('t1', (s) => {
        s.setPrivateData('cc', 'mine', 'k2', utf8('v2b'));
        s.setPrivateData('cc', 'mine', 'k3', utf8('v3'));
      });
      commitPvt('t2', (s) => {
        s.deletePrivateData('cc', 'mine', 'k3');
        s.setPrivateData('cc', 'mine', 'k4', utf8('v4'));
        s.setPrivateData('cc', 'short', 'k5', utf8('brief too'));
      });
    });

    afterEach(() => {
      imported?.close();
      imported = undefined;
      source.close();
      f.close();
    });

    it('records the key hashes of each transaction version it holds as missing, for collections this peer should hold, most recent first', async () => {
      const l = await importSnapshot();
      const missing = l.missingPvtData(10);
      expect(missing.map((m) => [m.blockNum, m.txNum, m.namespace, m.collection, m.expiringBlock])).toEqual([
        [2, 0, 'cc', 'mine', 0],
        [2, 0, 'cc', 'short', 4],
        [1, 0, 'cc', 'mine', 0],
        [0, 0, 'cc', 'mine', 0],
      ]);
      // The keys still at each version, with the hash of the value they hold: k2 of block 0 and k3 are not there.
      const hex = (m: (typeof missing)[number]): Record<string, string> => Object.fromEntries([...(m.bootKvHashes ?? [])].map(([k, v]) => [k, Buffer.from(v).toString('hex')]));
      const hashOf = (key: string, coll = 'mine'): string => Buffer.from(source.newQueryExecutor().getPrivateDataHash('cc', coll, key) ?? []).toString('hex');
      expect(missing.map(hex)).toEqual([
        { [hashedKey('k4')]: hashOf('k4') },
        { [hashedKey('k5')]: hashOf('k5', 'short') },
        { [hashedKey('k2')]: hashOf('k2') },
        { [hashedKey('k1')]: hashOf('k1') },
      ]);
      expect(missing.every((m) => m.pvtRwsetHash.length === 0)).toBe(true);
      // Another org's collection: kept apart until this org becomes a member. Expired data (k0): nothing.
      expect(l.ineligiblePvtCollections()).toEqual([{ namespace: 'cc', collection: 'theirs' }]);
      expect(l.markPvtEligible({ namespace: 'cc', collection: 'theirs' }, 10)).toBe(1);
      expect(l.missingPvtData(10).map((m) => [m.blockNum, m.collection])).toContainEqual([0, 'theirs']);
    });

    it('takes values that match the snapshot hashes where the key is still at that version, and refuses others', async () => {
      const l = await importSnapshot();
      // Block 3, after the snapshot: k4 written again before the reconciler gets block 2's value.
      commitPvt('t3', (s) => s.setPrivateData('cc', 'mine', 'k4', utf8('v4b')), [l]);
      // Block 2's record now expects no key of `mine`: any answer with the collection resolves it.
      expect(l.missingPvtData(1)[0]).toMatchObject({ blockNum: 2, collection: 'mine', bootKvHashes: new Map() });
      const data = (n: number): BlockPvtData => source.getPrivateDataByBlock(n);
      expect(unavailable(l, 'mine', 'k1')).toBe(true);

      // A forged value for k1: refused, the record stays, nothing is applied.
      const forged = l.commitPvtDataOfOldBlocks(new Map([[0, new Map([[0, simulated((s) => s.setPrivateData('cc', 'mine', 'k1', utf8('forged')))]])]]));
      expect(forged).toEqual({ reconciled: [], ignored: [{ blockNum: 0, txNum: 0, namespace: 'cc', collection: 'mine', reason: 'hash-mismatch' }] });
      expect(unavailable(l, 'mine', 'k1')).toBe(true);
      expect(l.missingPvtData(10)).toHaveLength(4);

      const result = l.commitPvtDataOfOldBlocks(new Map([0, 1, 2].map((n) => [n, data(n)])));
      expect(result.reconciled.map((m) => [m.blockNum, m.collection])).toEqual([
        [0, 'mine'],
        [1, 'mine'],
        [2, 'mine'],
        [2, 'short'],
      ]);
      // The other org's collection, sent along, is not this peer's to take (the expired one is gone from the source too).
      expect(result.ignored).toEqual([{ blockNum: 0, txNum: 0, namespace: 'cc', collection: 'theirs', reason: 'not-missing' }]);
      const q = l.newQueryExecutor();
      expect(str(q.getPrivateData('cc', 'mine', 'k1'))).toBe('v1');
      expect(str(q.getPrivateData('cc', 'mine', 'k2'))).toBe('v2b');
      expect(q.getPrivateData('cc', 'mine', 'k3')).toBeUndefined();
      // Written since the snapshot: block 3's value stays.
      expect(str(q.getPrivateData('cc', 'mine', 'k4'))).toBe('v4b');
      expect(unavailable(l, 'theirs', 't')).toBe(true);
      q.done();
      expect(l.missingPvtData(10)).toEqual([]);
      // What it took it keeps for its block, trimmed to the keys the snapshot held (block 0 lacks the overwritten k2).
      const kept = l.getPrivateDataByBlock(0);
      expect([...kept.keys()]).toEqual([0]);
      expect(Buffer.from(kept.get(0) ?? []).includes('v2')).toBe(false);
      expect(Buffer.from(kept.get(0) ?? []).includes('v1')).toBe(true);

      // Reopened: the values and the resolved records persist.
      const r = reopen();
      expect(str(r.newQueryExecutor().getPrivateData('cc', 'mine', 'k1'))).toBe('v1');
      expect(r.missingPvtData(10)).toEqual([]);
    });

    it('drops a record with its data when the collection’s blockToLive ends', async () => {
      const l = await importSnapshot();
      const shortLived = (): number => l.missingPvtData(10).filter((m) => m.collection === 'short').length;
      for (const expired of [false, true]) {
        const block = chain.block([]);
        l.commit(block.cloneMessage());
        source.commit(block);
        expect(shortLived()).toBe(expired ? 0 : 1);
        expect(l.newQueryExecutor().getPrivateDataHash('cc', 'short', 'k5') === undefined).toBe(expired);
      }
      expect(l.missingPvtData(10)).toHaveLength(3);
    });
  });
}
