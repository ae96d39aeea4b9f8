import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { MISSING_NAMESPACE, type KvLedger, type TxSimulator } from '../../../../core/ledger';
import type { StateUpdate } from '../../../../core/ledger/versioned-state-store';
import { CC, COLL, copy, errorOf, usePvtLedgerFixture } from './pvt-ledger-fixture';

/** The two files' writers inside a channel store, where a test makes one of them fail. */
interface StoreInternals {
  readonly pvt: { store: (...args: unknown[]) => void };
  readonly state: { apply: (updates: readonly StateUpdate[]) => void };
}

/**
 * What private data a peer holds must survive a crash in the middle of reconciliation, and a
 * rebuild or rollback must not find data missing that the peer held: the reconciler would ask
 * every other peer for it, on every cycle, for as long as the record lives.
 */
describe('private data across crashes, rebuilds and rollbacks (SQLite ledger)', () => {
  const f = usePvtLedgerFixture();
  const { open, simulate, read, hashOf } = f;

  /** Commits the block on `member` with its private data and on `late` without; returns its number. */
  function commitTx(member: KvLedger, late: KvLedger, body: (sim: TxSimulator) => void, lateGetsData = false): number {
    const tx = simulate(member, body);
    const block = f.chain.block([tx.envelope]);
    member.commit(block, undefined, new Map([[0, tx.pvt as Uint8Array]]));
    expect(late.commit(copy(block), undefined, lateGetsData ? new Map([[0, tx.pvt as Uint8Array]]) : undefined).validationCodes).toEqual([TxValidationCode.VALID]);
    return member.height() - 1;
  }

  const internals = (ledger: KvLedger): StoreInternals => (ledger as unknown as { store: StoreInternals }).store;

  const crashes: [string, (store: StoreInternals) => void][] = [
    [
      'storing the collection with its block',
      (store) => {
        store.pvt.store = () => {
          throw new Error('simulated crash: the block file is not written');
        };
      },
    ],
    [
      'removing the missing record, after the data is stored',
      (store) => {
        const apply = store.state.apply.bind(store.state);
        store.state.apply = (updates) => {
          if (updates.some((u) => u.namespace === MISSING_NAMESPACE && u.value === undefined)) throw new Error('simulated crash: the record stays');
          apply(updates);
        };
      },
    ],
  ];

  it.each(crashes)('keeps late private data recoverable when reconciliation fails at %s', (_where, crash) => {
    const member = open('member');
    const late = open('late');
    const blockNum = commitTx(member, late, (sim) => sim.setPrivateData(CC, COLL, 'k', Buffer.from('secret')));
    const data = new Map([[blockNum, member.getPrivateDataByBlock(blockNum)]]);
    crash(internals(late));
    expect(errorOf(() => late.commitPvtDataOfOldBlocks(data))).toMatchObject({ code: 'LEDGER_STORE_FAILED', message: expect.stringContaining('simulated crash') });

    // The files as a kill at that point leaves them: the record is still there to ask again.
    f.closeAll();
    const reopened = open('late', undefined, false);
    expect(reopened.missingPvtData(10).map((e) => [e.blockNum, e.collection])).toEqual([[blockNum, COLL]]);
    expect(reopened.commitPvtDataOfOldBlocks(data).reconciled).toHaveLength(1);
    expect([read(reopened, 'k'), reopened.missingPvtData(10), reopened.getPrivateDataByBlock(blockNum)]).toEqual(['secret', [], data.get(blockNum)]);
    reopened.rebuild();
    expect([read(reopened, 'k'), reopened.missingPvtData(10)]).toEqual(['secret', []]);
  });

  /** What a rebuild must leave as it was: the private values, their hashes and the missing records. */
  function privateState(ledger: KvLedger, keys: readonly string[]): unknown {
    return { values: keys.map((k) => errorOf(() => read(ledger, k)).code ?? read(ledger, k)), hashes: keys.map((k) => hashOf(ledger, k)), missing: ledger.missingPvtData(10) };
  }

  it('rebuilds and rolls back past a purge without finding the purged data missing', () => {
    const ledger = open('a');
    const put = simulate(ledger, (sim) => {
      sim.setPrivateData(CC, COLL, 'k', Buffer.from('v'));
      sim.setPrivateData(CC, COLL, 'kept', Buffer.from('w'));
    });
    ledger.commit(f.chain.block([put.envelope]), undefined, new Map([[0, put.pvt as Uint8Array]]));
    const only = simulate(ledger, (sim) => sim.setPrivateData(CC, COLL, 'alone', Buffer.from('x')));
    ledger.commit(f.chain.block([only.envelope]), undefined, new Map([[0, only.pvt as Uint8Array]]));
    // Empties block 2's collection and the purging transaction's own; block 1's keeps `kept`.
    const purge = simulate(ledger, (sim) => {
      sim.purgePrivateData(CC, COLL, 'k');
      sim.purgePrivateData(CC, COLL, 'alone');
    });
    ledger.commit(f.chain.block([purge.envelope]), undefined, new Map([[0, purge.pvt as Uint8Array]]));
    ledger.commit(f.chain.block([]));
    const keys = ['k', 'kept', 'alone'];
    const before = privateState(ledger, keys);
    expect(before).toMatchObject({ values: [undefined, 'w', undefined], missing: [] });
    // An emptied collection is kept for replay, not served.
    expect([2, 3].map((n) => ledger.getPrivateDataByBlock(n).size)).toEqual([0, 0]);

    ledger.rebuild();
    expect(privateState(ledger, keys)).toEqual(before);
    ledger.rollback(3);
    expect(privateState(ledger, keys)).toEqual(before);
    f.closeAll();
    expect(privateState(open('a', undefined, false), keys)).toEqual(before);
  });

  it('rebuilds without finding missing a reconciled collection whose every value had moved on', () => {
    const member = open('member');
    const late = open('late');
    const old = commitTx(member, late, (sim) => sim.setPrivateData(CC, COLL, 'k', Buffer.from('old')));
    commitTx(member, late, (sim) => sim.setPrivateData(CC, COLL, 'k', Buffer.from('new')), true);
    expect(late.commitPvtDataOfOldBlocks(new Map([[old, member.getPrivateDataByBlock(old)]])).reconciled).toHaveLength(1);
    const before = privateState(late, ['k']);
    expect(before).toMatchObject({ values: ['new'], missing: [] });
    expect(late.getPrivateDataByBlock(old).size).toBe(0);
    late.rebuild();
    expect(privateState(late, ['k'])).toEqual(before);
  });
});
