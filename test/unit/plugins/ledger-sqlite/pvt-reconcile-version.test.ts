import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import type { KvLedger, TxSimulator } from '../../../../core/ledger';
import { CC, COLL, copy, errorOf, usePvtLedgerFixture } from './pvt-ledger-fixture';

/**
 * Late private data goes to state as Fabric's `RemoveStaleAndCommitPvtDataOfOldBlocks` puts it: a
 * write only where the hashed key is still at that transaction's version, a delete where the hashed
 * key is gone. Taking a value because a later transaction wrote the same bytes answered reads with
 * data of a transaction this peer still lacked, which a rebuild then took away again.
 */
describe('reconciled private data and the versions of later writes (SQLite ledger)', () => {
  const f = usePvtLedgerFixture();
  const { open, simulate, read } = f;

  /** Commits one transaction on `member` with its private data, and on `late` with it only when `lateGetsData`. */
  function commitTx(member: KvLedger, late: KvLedger, body: (sim: TxSimulator) => void, lateGetsData = false): number {
    const tx = simulate(member, body);
    const block = f.chain.block([tx.envelope]);
    member.commit(block, undefined, new Map([[0, tx.pvt as Uint8Array]]));
    expect(late.commit(copy(block), undefined, lateGetsData ? new Map([[0, tx.pvt as Uint8Array]]) : undefined).validationCodes).toEqual([TxValidationCode.VALID]);
    return member.height() - 1;
  }

  /** What a chaincode on `late` sees of `key`: the value, or the error code of GetPrivateData, and the private range. */
  function seen(ledger: KvLedger, key: string): unknown {
    const q = ledger.newQueryExecutor();
    const range = [...q.getPrivateDataRange(CC, COLL, '', '')].map((kv) => [kv.key, Buffer.from(kv.value).toString()]);
    q.done();
    return { value: errorOf(() => read(ledger, key)).code ?? read(ledger, key), range, missing: ledger.missingPvtData(10).map((e) => e.blockNum) };
  }

  const reconcile = (late: KvLedger, member: KvLedger, blockNum: number): number =>
    late.commitPvtDataOfOldBlocks(new Map([[blockNum, member.getPrivateDataByBlock(blockNum)]])).reconciled.length;

  it('leaves a value rewritten later with the same bytes unavailable until the later transaction’s data arrives', () => {
    const member = open('member');
    const late = open('late');
    const first = commitTx(member, late, (sim) => sim.setPrivateData(CC, COLL, 'k', Buffer.from('v')));
    const second = commitTx(member, late, (sim) => sim.setPrivateData(CC, COLL, 'k', Buffer.from('v')));
    expect(reconcile(late, member, first)).toBe(1);

    // Fabric: the hashed key is at {2,0}, the data taken is {1,0}'s, so it is stale and not stored.
    const before = seen(late, 'k');
    expect(before).toEqual({ value: 'LEDGER_PVT_DATA_UNAVAILABLE', range: [], missing: [second] });
    // A rebuild from the blocks and the kept private data comes back to the same.
    late.rebuild();
    expect(seen(late, 'k')).toEqual(before);

    expect(reconcile(late, member, second)).toBe(1);
    expect(seen(late, 'k')).toEqual({ value: 'v', range: [['k', 'v']], missing: [] });
    late.rebuild();
    expect(seen(late, 'k')).toEqual({ value: 'v', range: [['k', 'v']], missing: [] });
    // The later write's version, so an endorsement reading it records {2,0}, as the member's does.
    const sim = late.newTxSimulator('reader');
    expect(Buffer.from(sim.getPrivateData(CC, COLL, 'k') as Uint8Array).toString()).toBe('v');
    const fromMember = member.newTxSimulator('reader2');
    fromMember.getPrivateData(CC, COLL, 'k');
    expect(sim.getTxSimulationResults()).toEqual(fromMember.getTxSimulationResults());
    sim.done();
    fromMember.done();
  });

  it('takes a late delete out of the private values held from before it', () => {
    const member = open('member');
    const late = open('late');
    commitTx(member, late, (sim) => sim.setPrivateData(CC, COLL, 'k', Buffer.from('old')), true);
    const deleted = commitTx(member, late, (sim) => sim.deletePrivateData(CC, COLL, 'k'));
    // Without the delete's data, only the hash went: the old value still lists in a range.
    expect(seen(late, 'k')).toEqual({ value: undefined, range: [['k', 'old']], missing: [deleted] });

    expect(reconcile(late, member, deleted)).toBe(1);
    const after = seen(late, 'k');
    expect(after).toEqual({ value: undefined, range: [], missing: [] });
    expect(after).toEqual(seen(member, 'k'));
    late.rebuild();
    expect(seen(late, 'k')).toEqual(after);
  });
});
