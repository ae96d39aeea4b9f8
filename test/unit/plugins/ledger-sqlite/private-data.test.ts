import * as path from 'node:path';
import Database from 'better-sqlite3';
import { TxPvtReadWriteSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/rwset_pb';
import { KVRWSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/kvrwset/kv_rwset_pb';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { type KvLedger, type PrivateDataPolicy, RwSetBuilder, sha256 } from '../../../../core/ledger';
import { buildRwSetEnvelope } from '../../../../core/ledger/test-blocks';
import { decodeTxRwSet } from '../../../../core/ledger/block-txs';
import { CC, COLL, copy, errorOf, usePvtLedgerFixture } from './pvt-ledger-fixture';

describe('private data in the SQLite ledger', () => {
  const f = usePvtLedgerFixture();
  const { open, simulate, read, hashOf } = f;

  it('commits a private value where the peer holds it, and only its hash into the block', () => {
    const member = open('member');
    const other = open('other');
    const tx = simulate(member, (sim) => sim.setPrivateData(CC, COLL, 'k1', Buffer.from('secret-value')));
    expect(tx.pvt).toBeDefined();
    expect(Buffer.from(tx.envelope).includes(Buffer.from('secret-value'))).toBe(false);
    const [ns] = decodeTxRwSet(tx.rwset);
    expect(ns.collections[0]).toMatchObject({ collection: COLL, pvtRwsetHash: expect.any(Uint8Array) });
    expect(Buffer.from(ns.collections[0].writes[0].keyHash)).toEqual(Buffer.from(sha256('k1')));
    // The private rwset is Fabric's TxPvtReadWriteSet, and the public one carries the hash of its collection's KVRWSet.
    const pvt = TxPvtReadWriteSet.deserializeBinary(tx.pvt as Uint8Array);
    const coll = pvt.getNsPvtRwsetList()[0].getCollectionPvtRwsetList()[0];
    expect(coll.getCollectionName()).toBe(COLL);
    expect(Buffer.from(sha256(coll.getRwset_asU8()))).toEqual(Buffer.from(ns.collections[0].pvtRwsetHash));

    const block = f.chain.block([tx.envelope]);
    expect(member.commit(block, undefined, new Map([[0, tx.pvt as Uint8Array]])).validationCodes).toEqual([TxValidationCode.VALID]);
    expect(other.commit(copy(block)).validationCodes).toEqual([TxValidationCode.VALID]);

    expect(read(member, 'k1')).toBe('secret-value');
    expect(Buffer.from(hashOf(member, 'k1') as Uint8Array)).toEqual(Buffer.from(sha256('secret-value')));
    // A peer without the data has the same hash, and says plainly that it lacks the value.
    expect(Buffer.from(hashOf(other, 'k1') as Uint8Array)).toEqual(Buffer.from(sha256('secret-value')));
    expect(errorOf(() => read(other, 'k1'))).toMatchObject({
      code: 'LEDGER_PVT_DATA_UNAVAILABLE',
      message: expect.stringContaining('private data matching public hash version is not available'),
    });
    expect(read(other, 'missing')).toBeUndefined();
    expect(member.getPrivateDataByBlock(1).get(0)).toEqual(tx.pvt);
    expect(other.getPrivateDataByBlock(1).size).toBe(0);
  });

  it('ignores private data whose hash is not the one the transaction was endorsed with', () => {
    const ledger = open('a');
    const tx = simulate(ledger, (sim) => sim.setPrivateData(CC, COLL, 'k1', Buffer.from('real')));
    const forged = simulate(ledger, (sim) => sim.setPrivateData(CC, COLL, 'k1', Buffer.from('forged')));
    ledger.commit(f.chain.block([tx.envelope]), undefined, new Map([[0, forged.pvt as Uint8Array]]));
    expect(errorOf(() => read(ledger, 'k1')).code).toBe('LEDGER_PVT_DATA_UNAVAILABLE');
    expect(ledger.getPrivateDataByBlock(1).size).toBe(0);
  });

  it('checks hashed reads for MVCC conflicts, within the block and against committed state', () => {
    const ledger = open('a');
    const seed = simulate(ledger, (sim) => sim.setPrivateData(CC, COLL, 'k', Buffer.from('v0')));
    ledger.commit(f.chain.block([seed.envelope]), undefined, new Map([[0, seed.pvt as Uint8Array]]));
    const bump = (v: string) =>
      simulate(ledger, (sim) => {
        expect(Buffer.from(sim.getPrivateData(CC, COLL, 'k') as Uint8Array).toString()).toBe('v0');
        sim.setPrivateData(CC, COLL, 'k', Buffer.from(v));
      });
    const a = bump('v1');
    const b = bump('v2');
    const stale = bump('v3');
    const result = ledger.commit(
      f.chain.block([a.envelope, b.envelope]),
      undefined,
      new Map([
        [0, a.pvt as Uint8Array],
        [1, b.pvt as Uint8Array],
      ]),
    );
    expect(result.validationCodes).toEqual([TxValidationCode.VALID, TxValidationCode.MVCC_READ_CONFLICT]);
    expect(read(ledger, 'k')).toBe('v1');
    expect(ledger.commit(f.chain.block([stale.envelope])).validationCodes).toEqual([TxValidationCode.MVCC_READ_CONFLICT]);
    // Only the valid transaction's private data is kept.
    expect([...ledger.getPrivateDataByBlock(2).keys()]).toEqual([0]);
  });

  it('keeps private range and rich queries out of transactions that write', () => {
    const ledger = open('a');
    const sim = ledger.newTxSimulator('q1');
    sim.setPrivateData(CC, COLL, 'k', Buffer.from('v'));
    expect(errorOf(() => sim.getPrivateDataRange(CC, COLL, '', ''))).toMatchObject({ code: 'LEDGER_PVT_QUERY_IN_WRITE_TX' });
    sim.done();
    const reader = ledger.newTxSimulator('q2');
    expect([...reader.getPrivateDataRange(CC, COLL, '', '')]).toEqual([]);
    expect(errorOf(() => reader.setState(CC, 'k', Buffer.from('v')))).toMatchObject({
      code: 'LEDGER_PVT_QUERY_IN_WRITE_TX',
      message: 'Transaction has already performed queries on pvt data. Writes are not allowed',
    });
    reader.done();
  });

  it('serves range and rich queries over the private values, and never lets a public call reach them', () => {
    const ledger = open('a');
    const tx = simulate(ledger, (sim) => {
      sim.setPrivateData(CC, COLL, 'a', Buffer.from('{"color":"red"}'));
      sim.setPrivateData(CC, COLL, 'b', Buffer.from('{"color":"blue"}'));
      sim.setState(CC, 'public', Buffer.from('x'));
    });
    ledger.commit(f.chain.block([tx.envelope]), undefined, new Map([[0, tx.pvt as Uint8Array]]));
    const q = ledger.newQueryExecutor();
    expect([...q.getPrivateDataRange(CC, COLL, '', '')].map((kv) => [kv.namespace, kv.key])).toEqual([
      [CC, 'a'],
      [CC, 'b'],
    ]);
    expect([...q.executeQueryOnPrivateData(CC, COLL, '{"selector":{"color":"blue"}}')].map((kv) => kv.key)).toEqual(['b']);
    expect([...q.getStateRange(CC, '', '')].map((kv) => kv.key)).toEqual(['public']);
    expect(errorOf(() => q.getState(`${CC}$$p${COLL}`, 'a'))).toMatchObject({ code: 'LEDGER_BAD_NAMESPACE' });
    expect(errorOf(() => q.getPrivateData(CC, 'bad name', 'a'))).toMatchObject({ code: 'LEDGER_BAD_COLLECTION' });
    q.done();
  });

  it('expires a collection’s data after blockToLive blocks, unless a later transaction rewrote it', () => {
    const policy: PrivateDataPolicy = { blockToLive: (ns, coll) => (ns === CC && coll === COLL ? 2 : 0) };
    const member = open('member', policy);
    const other = open('other', policy);
    const commitBoth = (envelopes: Uint8Array[], pvt = new Map<number, Uint8Array>()) => {
      const block = f.chain.block(envelopes);
      member.commit(block, undefined, pvt);
      other.commit(copy(block));
    };
    const w = (key: string, v: string) => simulate(member, (sim) => sim.setPrivateData(CC, COLL, key, Buffer.from(v)));
    const a = w('short', 'x');
    const b = w('renewed', 'y');
    commitBoth([a.envelope, b.envelope], new Map([[0, a.pvt as Uint8Array], [1, b.pvt as Uint8Array]])); // block 1: expires at block 4
    const renew = w('renewed', 'y2');
    commitBoth([renew.envelope], new Map([[0, renew.pvt as Uint8Array]])); // block 2: 'renewed' now expires at block 5
    commitBoth([]); // block 3
    expect(read(member, 'short')).toBe('x');
    expect(member.getPrivateDataByBlock(1).size).toBe(2);
    commitBoth([]); // block 4
    expect(read(member, 'short')).toBeUndefined();
    // Gone from the block file too: a rebuild cannot bring expired values back.
    expect(member.getPrivateDataByBlock(1).size).toBe(0);
    expect(member.getPrivateDataByBlock(2).size).toBe(1);
    const blocks = new Database(path.join(f.dir, 'member', 'ch1.sqlite'), { readonly: true });
    expect(blocks.prepare('SELECT block_num FROM pvt_keys').pluck().all()).toEqual([2]);
    blocks.close();
    expect(hashOf(member, 'short')).toBeUndefined();
    expect(hashOf(other, 'short')).toBeUndefined();
    expect(read(member, 'renewed')).toBe('y2');
    commitBoth([]); // block 5
    expect(read(member, 'renewed')).toBeUndefined();
    expect(hashOf(other, 'renewed')).toBeUndefined();
    member.rebuild();
    expect(read(member, 'renewed')).toBeUndefined();
    expect(hashOf(member, 'short')).toBeUndefined();
  });

  it('marks a block’s transaction INVALID_WRITESET when its public rwset names a derived private namespace', () => {
    const ledger = open('a');
    const b = new RwSetBuilder();
    b.addWrite(`${CC}$$p${COLL}`, 'k', Buffer.from('smuggled'));
    const envelope = buildRwSetEnvelope({ txId: 'smuggler', rwset: b.buildBytes(), channelId: 'ch1' });
    expect(ledger.commit(f.chain.block([envelope])).validationCodes).toEqual([TxValidationCode.INVALID_WRITESET]);
    expect(read(ledger, 'k')).toBeUndefined();
  });

  it('purges and deletes a key on every peer', () => {
    const ledger = open('a');
    const put = simulate(ledger, (sim) => sim.setPrivateData(CC, COLL, 'k', Buffer.from('v')));
    ledger.commit(f.chain.block([put.envelope]), undefined, new Map([[0, put.pvt as Uint8Array]]));
    const purge = simulate(ledger, (sim) => sim.purgePrivateData(CC, COLL, 'k'));
    const [ns] = decodeTxRwSet(purge.rwset);
    expect(ns.collections[0].writes[0]).toMatchObject({ isDelete: true, isPurge: true });
    ledger.commit(f.chain.block([purge.envelope]), undefined, new Map([[0, purge.pvt as Uint8Array]]));
    expect(read(ledger, 'k')).toBeUndefined();
    expect(hashOf(ledger, 'k')).toBeUndefined();
  });

  /** Each stored collection of block `blockNum`, as `<tx>:<written keys>`. */
  function storedKeys(ledger: KvLedger, blockNum: number): string[] {
    return [...ledger.getPrivateDataByBlock(blockNum)].map(([txNum, bytes]) => {
      const keys = TxPvtReadWriteSet.deserializeBinary(bytes)
        .getNsPvtRwsetList()
        .flatMap((ns) => ns.getCollectionPvtRwsetList().flatMap((c) => KVRWSet.deserializeBinary(c.getRwset_asU8()).getWritesList().map((w) => w.getKey())));
      return `${txNum}:${keys.join(',')}`;
    });
  }

  it('purges a key from the private data stored with every earlier block, and the rest survives a rebuild', () => {
    const ledger = open('a');
    const both = simulate(ledger, (sim) => {
      sim.setPrivateData(CC, COLL, 'k', Buffer.from('first'));
      sim.setPrivateData(CC, COLL, 'other', Buffer.from('stays'));
    });
    ledger.commit(f.chain.block([both.envelope]), undefined, new Map([[0, both.pvt as Uint8Array]]));
    const again = simulate(ledger, (sim) => sim.setPrivateData(CC, COLL, 'k', Buffer.from('second')));
    ledger.commit(f.chain.block([again.envelope]), undefined, new Map([[0, again.pvt as Uint8Array]]));
    expect([storedKeys(ledger, 1), storedKeys(ledger, 2)]).toEqual([['0:k,other'], ['0:k']]);

    const purge = simulate(ledger, (sim) => sim.purgePrivateData(CC, COLL, 'k'));
    ledger.commit(f.chain.block([purge.envelope]), undefined, new Map([[0, purge.pvt as Uint8Array]]));
    expect([storedKeys(ledger, 1), storedKeys(ledger, 2), storedKeys(ledger, 3)]).toEqual([['0:other'], [], []]);
    const blocks = new Database(path.join(f.dir, 'a', 'ch1.sqlite'), { readonly: true });
    expect(blocks.prepare('SELECT coll, key_hash, block_num FROM pvt_keys').raw().all()).toEqual([[COLL, Buffer.from(sha256('other')).toString('hex'), 1]]);
    blocks.close();

    // A later write of the key is not touched by the earlier purge.
    const later = simulate(ledger, (sim) => sim.setPrivateData(CC, COLL, 'k', Buffer.from('third')));
    ledger.commit(f.chain.block([later.envelope]), undefined, new Map([[0, later.pvt as Uint8Array]]));
    // The stored data no longer hashes to the blocks' pvt_rwset_hash; replay trusts its own store.
    ledger.rebuild();
    expect([read(ledger, 'k'), read(ledger, 'other'), storedKeys(ledger, 4)]).toEqual(['third', 'stays', ['0:k']]);
  });

  it('keeps key-level metadata with the hash, where every peer can read it', () => {
    const ledger = open('a');
    const put = simulate(ledger, (sim) => sim.setPrivateData(CC, COLL, 'k', Buffer.from('v')));
    ledger.commit(f.chain.block([put.envelope]), undefined, new Map([[0, put.pvt as Uint8Array]]));
    const md = simulate(ledger, (sim) => sim.setPrivateDataMetadata(CC, COLL, 'k', { VALIDATION_PARAMETER: Buffer.from('policy') }));
    // As Fabric's: the private rwset names the key (not the entries), so the held value follows the hash to its new version.
    expect(Buffer.from(md.pvt as Uint8Array).includes(Buffer.from('policy'))).toBe(false);
    ledger.commit(f.chain.block([md.envelope]), undefined, new Map([[0, md.pvt as Uint8Array]]));
    const q = ledger.newQueryExecutor();
    expect(Buffer.from(q.getPrivateDataMetadata(CC, COLL, 'k')?.VALIDATION_PARAMETER as Uint8Array).toString()).toBe('policy');
    expect(read(ledger, 'k')).toBe('v');
    q.done();
  });

  it("reports a simulation's footprint: written keys with their committed metadata, and the collections a private value was read from", () => {
    const ledger = open('a');
    const seed = simulate(ledger, (sim) => {
      sim.setPrivateData(CC, COLL, 'held', Buffer.from('v'));
      sim.setState(CC, 'guarded', Buffer.from('g'));
      sim.setStateMetadata(CC, 'guarded', { VALIDATION_PARAMETER: Buffer.from('public-policy') });
    });
    ledger.commit(f.chain.block([seed.envelope]), undefined, new Map([[0, seed.pvt as Uint8Array]]));
    const md = simulate(ledger, (sim) => sim.setPrivateDataMetadata(CC, COLL, 'held', { VALIDATION_PARAMETER: Buffer.from('private-policy') }));
    ledger.commit(f.chain.block([md.envelope]), undefined, new Map([[0, md.pvt as Uint8Array]]));

    const sim = ledger.newTxSimulator('footprint');
    expect(Buffer.from(sim.getPrivateData(CC, COLL, 'held') as Uint8Array).toString()).toBe('v');
    expect(sim.getPrivateData(CC, 'absent', 'none')).toBeUndefined();
    sim.getPrivateDataHash(CC, 'hashonly', 'held');
    sim.getState('other', 'x');
    sim.setState(CC, 'guarded', Buffer.from('g2'));
    sim.setState(CC, 'plain', Buffer.from('p'));
    sim.deletePrivateData(CC, COLL, 'held');
    sim.purgePrivateData(CC, 'absent', 'gone');
    const policy = (s: string) => ({ VALIDATION_PARAMETER: Buffer.from(s) });
    expect(sim.getSimulationFootprint()).toEqual({
      namespaces: [CC, 'other'],
      writes: [
        { namespace: CC, collection: '', key: 'guarded', metadata: policy('public-policy') },
        { namespace: CC, collection: '', key: 'plain', metadata: undefined },
        { namespace: CC, collection: 'absent', key: 'gone', metadata: undefined },
        { namespace: CC, collection: COLL, key: 'held', metadata: policy('private-policy') },
      ],
      // A read of an absent key counts (the transaction depends on it); a hash read does not.
      privateReads: [
        { namespace: CC, collection: 'absent' },
        { namespace: CC, collection: COLL },
      ],
    });
    sim.done();
  });

  it('replays private data from the block file when state is rebuilt or recovered', () => {
    const ledger = open('a', undefined);
    const tx = simulate(ledger, (sim) => sim.setPrivateData(CC, COLL, 'k', Buffer.from('kept')));
    ledger.commit(f.chain.block([tx.envelope]), undefined, new Map([[0, tx.pvt as Uint8Array]]));
    ledger.rebuild();
    expect(read(ledger, 'k')).toBe('kept');
    f.closeAll();
    // State one block behind its blocks, as a crash between the two files' commits leaves it.
    const state = new Database(path.join(f.dir, 'a', 'ch1_state.sqlite'));
    state.exec("DELETE FROM state WHERE ns LIKE 'cc$$%'; UPDATE meta SET value = 1 WHERE name = 'state_savepoint'");
    state.close();
    expect(read(open('a', undefined, false), 'k')).toBe('kept');
  });

  it('keeps a rolled-back block’s private data for the block’s commit, serving none of it meanwhile', () => {
    const ledger = open('a');
    const tx = simulate(ledger, (sim) => sim.setPrivateData(CC, COLL, 'k', Buffer.from('v')));
    const block = f.chain.block([tx.envelope]);
    const again = copy(block);
    ledger.commit(block, undefined, new Map([[0, tx.pvt as Uint8Array]]));
    ledger.commit(f.chain.block([]));
    ledger.rollback(0);
    expect(ledger.getPrivateDataByBlock(1).size).toBe(0);
    const blocks = new Database(path.join(f.dir, 'a', 'ch1.sqlite'), { readonly: true });
    const rows = (): unknown[] => blocks.prepare('SELECT block_num, tx_num, coll FROM pvt_data').raw().all();
    expect(rows()).toEqual([[1, 0, COLL]]);
    // Pulled again without private data (as Fabric's rollback keeps its pvtdata store).
    ledger.commit(again);
    expect(rows()).toEqual([[1, 0, COLL]]);
    blocks.close();
    expect([read(ledger, 'k'), ledger.missingPvtData(10)]).toEqual(['v', []]);
  });

  it('upgrades a schema version 2 ledger in place', () => {
    const ledger = open('a');
    ledger.commit(f.chain.block([]));
    f.closeAll();
    const blocks = new Database(path.join(f.dir, 'a', 'ch1.sqlite'));
    blocks.exec('DROP TABLE pvt_data; DROP TABLE pvt_keys');
    blocks.pragma('user_version = 2');
    blocks.close();
    const reopened = open('a', undefined, false);
    expect(reopened.height()).toBe(2);
    const tx = simulate(reopened, (sim) => sim.setPrivateData(CC, COLL, 'k', Buffer.from('v')));
    reopened.commit(f.chain.block([tx.envelope]), undefined, new Map([[0, tx.pvt as Uint8Array]]));
    expect(read(reopened, 'k')).toBe('v');
  });

  it('upgrades a schema version 3 ledger in place, indexing the private data it holds for purges', () => {
    const ledger = open('a');
    const put = simulate(ledger, (sim) => sim.setPrivateData(CC, COLL, 'k', Buffer.from('v')));
    ledger.commit(f.chain.block([put.envelope]), undefined, new Map([[0, put.pvt as Uint8Array]]));
    f.closeAll();
    const blocks = new Database(path.join(f.dir, 'a', 'ch1.sqlite'));
    blocks.exec('DROP TABLE pvt_keys');
    blocks.pragma('user_version = 3');
    blocks.close();
    const reopened = open('a', undefined, false);
    const purge = simulate(reopened, (sim) => sim.purgePrivateData(CC, COLL, 'k'));
    reopened.commit(f.chain.block([purge.envelope]), undefined, new Map([[0, purge.pvt as Uint8Array]]));
    expect(reopened.getPrivateDataByBlock(1).size).toBe(0);
  });
});
