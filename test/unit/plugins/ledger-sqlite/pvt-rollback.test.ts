import type { Block } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import type { BlockPvtData, KvLedger, PrivateDataPolicy, TxSimulator } from '../../../../core/ledger';
import { TestChain } from '../../../../core/ledger/test-blocks';
import { CC, COLL, copy, errorOf, usePvtLedgerFixture } from './pvt-ledger-fixture';

/** A block as the ordering service hands it out again after a rollback, with the private data gossip had for it. */
interface Sent {
  readonly block: Block;
  readonly pvt: BlockPvtData | undefined;
}

/**
 * A rollback deletes blocks, and the peer pulls them again. Their private data stays with the
 * ledger, as Fabric's rollback leaves its pvtdata store (this peer may be the only one that held
 * it), and their commit takes it back. What expired in a deleted block is gone (blockToLive is a
 * retention limit): the rolled-back state records it as missing, for the reconciler.
 */
describe('private data across a rollback (SQLite ledger)', () => {
  const f = usePvtLedgerFixture();
  const { open, simulate, read, hashOf } = f;
  /** Lives 2 blocks: written in block b, dropped by the commit of block b + 3. */
  const BTL2: PrivateDataPolicy = { blockToLive: () => 2 };

  function commit(ledger: KvLedger, sent: Sent[], body?: (sim: TxSimulator) => void, withData = true): Sent {
    const tx = body === undefined ? undefined : simulate(ledger, body);
    const block = f.chain.block(tx === undefined ? [] : [tx.envelope]);
    const pvt = tx?.pvt === undefined ? undefined : new Map([[0, tx.pvt]]);
    const out = { block: copy(block), pvt };
    expect(ledger.commit(block, undefined, withData ? pvt : undefined).validationCodes).toEqual(tx === undefined ? [] : [TxValidationCode.VALID]);
    sent.push(out);
    return out;
  }

  /** Everything a chaincode or another peer can see of the keys' private data. */
  function privateView(ledger: KvLedger, keys: readonly string[]): unknown {
    return {
      height: ledger.height(),
      values: keys.map((k) => errorOf(() => read(ledger, k)).code ?? read(ledger, k)),
      hashes: keys.map((k) => hashOf(ledger, k)),
      missing: ledger.missingPvtData(10),
      served: [...Array(ledger.height()).keys()].map((n) => [...ledger.getPrivateDataByBlock(n)]),
    };
  }

  /** Commits `sent[from..]` again, as pulled from the ordering service: private data only where `gossip` says. */
  function pullAgain(ledger: KvLedger, sent: readonly Sent[], from: number, gossip: boolean): void {
    for (const s of sent.slice(from - 1)) ledger.commit(copy(s.block), undefined, gossip ? s.pvt : undefined);
  }

  it('keeps the deleted blocks’ private data, purges included, and their commit takes it back without gossip', () => {
    const ledger = open('a');
    const sent: Sent[] = [];
    commit(ledger, sent, (sim) => sim.setPrivateData(CC, COLL, 'early', Buffer.from('e'))); // 1
    commit(ledger, sent, (sim) => sim.setPrivateData(CC, COLL, 'late', Buffer.from('l'))); // 2
    commit(ledger, sent, (sim) => {
      sim.setPrivateData(CC, COLL, 'purged', Buffer.from('p'));
      sim.setPrivateData(CC, COLL, 'gone', Buffer.from('g'));
    }); // 3
    commit(ledger, sent, (sim) => sim.purgePrivateData(CC, COLL, 'purged')); // 4
    commit(ledger, sent, (sim) => sim.deletePrivateData(CC, COLL, 'gone')); // 5
    commit(ledger, sent); // 6
    const keys = ['early', 'late', 'purged', 'gone'];
    const before = privateView(ledger, keys);
    expect(before).toMatchObject({ values: ['e', 'l', undefined, undefined], missing: [] });

    ledger.rollback(1);
    expect(privateView(ledger, keys)).toMatchObject({ height: 2, values: ['e', undefined, undefined, undefined], missing: [] });
    // The kept data is on disk, not in memory.
    f.closeAll();
    const reopened = open('a', undefined, false);
    pullAgain(reopened, sent, 2, false);
    expect(privateView(reopened, keys)).toEqual(before);
    reopened.rebuild();
    expect(privateView(reopened, keys)).toEqual(before);
  });

  it('prefers the emptied row a later purge left to what gossip brings, so a purged value does not come back', () => {
    const ledger = open('a');
    const sent: Sent[] = [];
    commit(ledger, sent); // 1
    commit(ledger, sent, (sim) => sim.setPrivateData(CC, COLL, 'k', Buffer.from('v'))); // 2
    commit(ledger, sent, (sim) => sim.purgePrivateData(CC, COLL, 'k')); // 3
    const before = privateView(ledger, ['k']);
    ledger.rollback(1);
    // Block 2 again: the row kept for it is the purged one, which wins over what gossip brings.
    ledger.commit(copy(sent[1].block), undefined, sent[1].pvt);
    expect(privateView(ledger, ['k'])).toMatchObject({ values: ['LEDGER_PVT_DATA_UNAVAILABLE'], missing: [], served: [[], [], []] });
    ledger.commit(copy(sent[2].block), undefined, sent[2].pvt);
    expect(privateView(ledger, ['k'])).toEqual(before);
  });

  it('does not take kept data into a different block of the same number', () => {
    const ledger = open('a');
    const sent: Sent[] = [];
    commit(ledger, sent); // 1
    commit(ledger, sent, (sim) => sim.setPrivateData(CC, COLL, 'k', Buffer.from('mine'))); // 2
    ledger.rollback(1);
    // The ordering service's block 2 writes another value of k: what was kept is not its data.
    const tx = simulate(ledger, (sim) => sim.setPrivateData(CC, COLL, 'k', Buffer.from('theirs')));
    const other = TestChain.after(sent[0].block).block([tx.envelope]);
    expect(ledger.commit(other, undefined, undefined).pvtMissing).toEqual([{ txNum: 0, namespace: CC, collection: COLL }]);
    expect(privateView(ledger, ['k'])).toMatchObject({ values: ['LEDGER_PVT_DATA_UNAVAILABLE'], missing: [{ blockNum: 2, txNum: 0, collection: COLL }], served: [[], [], []] });
    expect(ledger.commitPvtDataOfOldBlocks(new Map([[2, new Map([[0, tx.pvt as Uint8Array]])]])).reconciled).toHaveLength(1);
    expect(read(ledger, 'k')).toBe('theirs');
  });

  it('records what expired in a deleted block as missing, which a peer not yet past that block can give back', () => {
    const member = open('member', BTL2);
    const peer = open('peer', BTL2);
    const sent: Sent[] = [];
    const both = (body?: (sim: TxSimulator) => void): void => {
      const s = commit(member, sent, body);
      peer.commit(copy(s.block), undefined, s.pvt);
    };
    both((sim) => sim.setPrivateData(CC, COLL, 'k', Buffer.from('v'))); // 1: dropped by block 4's commit
    both(); // 2
    const at3 = privateView(peer, ['k']);
    both(); // 3
    both(); // 4
    both(); // 5
    const before = privateView(peer, ['k']);
    expect(before).toMatchObject({ values: [undefined], missing: [] });

    peer.rollback(2);
    // Consistent at height 3: the hash is back, the value is not, and the record says so.
    const rolledBack = privateView(peer, ['k']);
    expect(rolledBack).toEqual({ ...(at3 as object), values: ['LEDGER_PVT_DATA_UNAVAILABLE'], missing: [expect.objectContaining({ blockNum: 1, txNum: 0, expiringBlock: 4 })], served: [[], [], []] });

    // The member, not yet past block 3, still holds it.
    const memberAt3 = open('member-at-3', BTL2);
    for (const s of sent.slice(0, 2)) memberAt3.commit(copy(s.block), undefined, s.pvt);
    expect(peer.commitPvtDataOfOldBlocks(new Map([[1, memberAt3.getPrivateDataByBlock(1)]])).reconciled).toHaveLength(1);
    expect(privateView(peer, ['k'])).toEqual(at3);

    pullAgain(peer, sent, 3, false);
    expect(privateView(peer, ['k'])).toEqual(before);
  });
});
