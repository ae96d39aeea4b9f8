import * as path from 'node:path';
import Database from 'better-sqlite3';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { decodeTxPvtRwSet, type KvLedger, type PrivateDataPolicy, type TxSimulator } from '../../../../core/ledger';
import { decodeKvRwSet } from '../../../../core/ledger/block-txs';
import { CC, COLL, copy, errorOf, usePvtLedgerFixture } from './pvt-ledger-fixture';

/** The keys a block's stored private data writes, by transaction. */
function storedKeys(ledger: KvLedger, blockNum: number): string[][] {
  return [...ledger.getPrivateDataByBlock(blockNum).values()].map((bytes) =>
    decodeTxPvtRwSet(bytes).flatMap((c) => decodeKvRwSet(c.namespace, c.rwset).writes.map((w) => w.key)),
  );
}

describe('reconciling private data of committed blocks (SQLite ledger)', () => {
  const f = usePvtLedgerFixture();
  const { open, simulate, read } = f;

  /** Commits the same block on a member that holds its private data and on `late`, which does not; returns the block's number. */
  function commitWithout(member: KvLedger, late: KvLedger, body: (sim: TxSimulator) => void): number {
    return commitTx(member, late, body).blockNum;
  }

  function commitTx(member: KvLedger, late: KvLedger, body: (sim: TxSimulator) => void, lateGetsData = false): { blockNum: number; pvt: Uint8Array } {
    const tx = simulate(member, body);
    const pvt = tx.pvt as Uint8Array;
    const block = f.chain.block([tx.envelope]);
    member.commit(block, undefined, new Map([[0, pvt]]));
    expect(late.commit(copy(block), undefined, lateGetsData ? new Map([[0, pvt]]) : undefined).validationCodes).toEqual([TxValidationCode.VALID]);
    return { blockNum: member.height() - 1, pvt };
  }

  it('records what a commit lacks, most recent blocks first, and pages through it', () => {
    const member = open('member');
    const late = open('late');
    const first = commitWithout(member, late, (sim) => sim.setPrivateData(CC, COLL, 'k1', Buffer.from('one')));
    const second = commitWithout(member, late, (sim) => {
      sim.setPrivateData(CC, COLL, 'k2', Buffer.from('two'));
      sim.setPrivateData(CC, 'other', 'k2', Buffer.from('two'));
    });
    const all = late.missingPvtData(10);
    expect(all.map((e) => [e.blockNum, e.txNum, e.collection])).toEqual([
      [second, 0, 'other'],
      [second, 0, COLL],
      [first, 0, COLL],
    ]);
    expect(all[2]).toMatchObject({ namespace: CC, expiringBlock: 0 });
    expect(all[2].pvtRwsetHash).toHaveLength(32);
    expect(late.missingPvtData(1, all[0])).toEqual([all[1]]);
    expect(late.missingPvtData(5, all[2])).toEqual([]);
    // The member holds everything; nothing is recorded there.
    expect(member.missingPvtData(10)).toEqual([]);
    expect(errorOf(() => late.missingPvtData(0))).toMatchObject({ code: 'LEDGER_BAD_ARGUMENT', message: expect.stringContaining('positive integer') });
  });

  it('takes late private data that hashes right: state, the stored block and the record all follow, across reopen and rebuild', () => {
    const member = open('member');
    const late = open('late');
    const blockNum = commitWithout(member, late, (sim) => sim.setPrivateData(CC, COLL, 'k', Buffer.from('secret')));
    expect(errorOf(() => read(late, 'k')).code).toBe('LEDGER_PVT_DATA_UNAVAILABLE');

    const result = late.commitPvtDataOfOldBlocks(new Map([[blockNum, member.getPrivateDataByBlock(blockNum)]]));
    expect(result.reconciled).toEqual([expect.objectContaining({ blockNum, txNum: 0, namespace: CC, collection: COLL })]);
    expect(result.ignored).toEqual([]);
    expect(read(late, 'k')).toBe('secret');
    expect(late.missingPvtData(10)).toEqual([]);
    expect(late.getPrivateDataByBlock(blockNum)).toEqual(member.getPrivateDataByBlock(blockNum));
    // The same data again is no longer missing: ignored, nothing changes.
    expect(late.commitPvtDataOfOldBlocks(new Map([[blockNum, member.getPrivateDataByBlock(blockNum)]])).ignored).toEqual([
      expect.objectContaining({ reason: 'not-missing' }),
    ]);

    f.closeAll();
    const reopened = open('late', undefined, false);
    expect(read(reopened, 'k')).toBe('secret');
    reopened.rebuild();
    expect(read(reopened, 'k')).toBe('secret');
    expect(reopened.missingPvtData(10)).toEqual([]);
  });

  it('refuses data that does not hash to the block, and blocks it does not have', () => {
    const member = open('member');
    const late = open('late');
    const blockNum = commitWithout(member, late, (sim) => sim.setPrivateData(CC, COLL, 'k', Buffer.from('real')));
    const forged = simulate(member, (sim) => sim.setPrivateData(CC, COLL, 'k', Buffer.from('forged')));
    const result = late.commitPvtDataOfOldBlocks(new Map([[blockNum, new Map([[0, forged.pvt as Uint8Array]])]]));
    expect(result).toEqual({ reconciled: [], ignored: [expect.objectContaining({ blockNum, txNum: 0, collection: COLL, reason: 'hash-mismatch' })] });
    expect(late.missingPvtData(10)).toHaveLength(1);
    expect(late.getPrivateDataByBlock(blockNum).size).toBe(0);
    expect(errorOf(() => late.commitPvtDataOfOldBlocks(new Map([[late.height(), member.getPrivateDataByBlock(blockNum)]])))).toMatchObject({
      code: 'LEDGER_BAD_ARGUMENT',
      message: expect.stringContaining('not committed'),
    });
    expect(errorOf(() => read(late, 'k')).code).toBe('LEDGER_PVT_DATA_UNAVAILABLE');
  });

  it('keeps a collection this peer was not a member of apart, and reconciles it once it is', () => {
    let joined = false;
    const policy: PrivateDataPolicy = { blockToLive: () => 0, eligible: (_ns, coll) => coll !== COLL || joined };
    const member = open('member');
    const late = open('late', policy);
    const blockNum = commitWithout(member, late, (sim) => {
      sim.setPrivateData(CC, COLL, 'k', Buffer.from('not for late yet'));
      sim.setPrivateData(CC, 'mine', 'k', Buffer.from('for late'));
    });
    const second = commitWithout(member, late, (sim) => sim.setPrivateData(CC, COLL, 'k2', Buffer.from('later')));
    expect(late.missingPvtData(10).map((e) => e.collection)).toEqual(['mine']);
    expect(late.ineligiblePvtCollections()).toEqual([{ namespace: CC, collection: COLL }]);
    const result = late.commitPvtDataOfOldBlocks(new Map([[blockNum, member.getPrivateDataByBlock(blockNum)]]));
    expect(result.reconciled.map((e) => e.collection)).toEqual(['mine']);
    expect(result.ignored).toEqual([expect.objectContaining({ collection: COLL, reason: 'not-missing' })]);
    expect(read(late, 'k', 'mine')).toBe('for late');

    // The org joins the collection: its records move, a chunk at a time, and what it wrote before is taken.
    joined = true;
    expect(late.markPvtEligible({ namespace: CC, collection: COLL }, 1)).toBe(1);
    expect(late.markPvtEligible({ namespace: CC, collection: COLL }, 1)).toBe(1);
    expect(late.markPvtEligible({ namespace: CC, collection: COLL }, 1)).toBe(0);
    expect(late.ineligiblePvtCollections()).toEqual([]);
    expect(late.missingPvtData(10).map((e) => [e.blockNum, e.collection])).toEqual([
      [second, COLL],
      [blockNum, COLL],
    ]);
    late.commitPvtDataOfOldBlocks(new Map([blockNum, second].map((n) => [n, member.getPrivateDataByBlock(n)])));
    expect([read(late, 'k'), read(late, 'k2')]).toEqual(['not for late yet', 'later']);
    expect(late.missingPvtData(10)).toEqual([]);
    expect(errorOf(() => late.markPvtEligible({ namespace: CC, collection: COLL }, 0)).code).toBe('LEDGER_BAD_ARGUMENT');
  });

  it('leaves keys written, deleted or purged since at their newer state, and out of the stored block', () => {
    const member = open('member');
    const late = open('late');
    const old = commitTx(member, late, (sim) => {
      sim.setPrivateData(CC, COLL, 'kept', Buffer.from('old-kept'));
      sim.setPrivateData(CC, COLL, 'rewritten', Buffer.from('old'));
      sim.setPrivateData(CC, COLL, 'purged', Buffer.from('gone'));
    });
    // The later transactions' data reaches `late` with their blocks.
    commitTx(member, late, (sim) => sim.setPrivateData(CC, COLL, 'rewritten', Buffer.from('new')), true);
    commitTx(member, late, (sim) => sim.purgePrivateData(CC, COLL, 'purged'), true);
    // The member's stored copy of the old block lost the purged key; the endorsed bytes still hash right.
    expect(late.commitPvtDataOfOldBlocks(new Map([[old.blockNum, new Map([[0, old.pvt]])]])).reconciled).toHaveLength(1);
    expect(read(late, 'kept')).toBe('old-kept');
    expect(read(late, 'rewritten')).toBe('new');
    expect(read(late, 'purged')).toBeUndefined();
    expect(storedKeys(late, old.blockNum)).toEqual([['kept']]);
  });

  it('expires reconciled values with their collection, and drops records whose data has expired', () => {
    const btl: PrivateDataPolicy = { blockToLive: (_ns, coll) => (coll === COLL ? 2 : 0) };
    const member = open('member', btl);
    const late = open('late', btl);
    const early = open('early', btl);
    const outsider = open('outsider', { ...btl, eligible: () => false });
    const tx = simulate(member, (sim) => sim.setPrivateData(CC, COLL, 'k', Buffer.from('short-lived')));
    const block = f.chain.block([tx.envelope]);
    member.commit(block, undefined, new Map([[0, tx.pvt as Uint8Array]]));
    for (const l of [late, early, outsider]) l.commit(copy(block));
    const blockNum = late.height() - 1;
    expect(late.missingPvtData(10)).toEqual([expect.objectContaining({ blockNum, expiringBlock: blockNum + 3 })]);
    expect(outsider.ineligiblePvtCollections()).toEqual([{ namespace: CC, collection: COLL }]);
    expect(late.commitPvtDataOfOldBlocks(new Map([[blockNum, member.getPrivateDataByBlock(blockNum)]])).reconciled).toHaveLength(1);
    expect(read(late, 'k')).toBe('short-lived');
    for (let n = 0; n < 3; n++) {
      const empty = f.chain.block([]);
      for (const l of [member, late, early, outsider]) l.commit(copy(empty));
    }
    // As on the member, the value is gone with its hash, from the state file too; `early` never got
    // it, and its record went with the data.
    for (const l of [member, late]) expect(read(l, 'k')).toBeUndefined();
    expect(f.hashOf(late, 'k')).toBeUndefined();
    f.closeAll();
    for (const name of ['member', 'late']) {
      const state = new Database(path.join(f.dir, name, 'ch1_state.sqlite'), { readonly: true });
      expect(state.prepare('SELECT count(*) FROM state WHERE ns = ?').pluck().get(`${CC}$$p${COLL}`)).toBe(0);
      state.close();
    }
    const reopened = open('early', btl, false);
    expect(reopened.missingPvtData(10)).toEqual([]);
    expect(open('outsider', btl, false).ineligiblePvtCollections()).toEqual([]);
  });
});
