import pino from 'pino';
import { Block } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { TxPvtReadWriteSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/rwset_pb';
import { BlockAndPrivateData, DeliverResponse } from '@hyperledger/fabric-protos/lib/peer/events_pb';
import { Status } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { decodeTxPvtRwSet, encodeTxPvtRwSet, sha256 } from '../../../../../core/ledger/private-data';
import { blockPrivateData } from '../../../../../core/peer/privdata/block-and-private-data';
import { PeerError } from '../../../../../core/peer/peer-error';
import { type PvtSource, PvtPuller, type WantedPvt } from '../../../../../core/peer/privdata/pvt-puller';

const signer = { serialized: Buffer.from('peer0.org2'), sign: () => Buffer.from('sig') };
const pvt = (...names: string[]): Uint8Array => encodeTxPvtRwSet(names.map((collection) => ({ namespace: 'cc', collection, rwset: Buffer.from(`rw-${collection}`) })));
const names = (bytes: Uint8Array | undefined): string[] => (bytes === undefined ? [] : decodeTxPvtRwSet(bytes).map((c) => c.collection));
const want = (txNum: number, collection: string, memberMspIds: string[]): WantedPvt => ({
  txNum,
  namespace: 'cc',
  collection,
  pvtRwsetHash: sha256(`rw-${collection}`),
  memberMspIds,
});

/** A source answering from a script: an Error is a failed call (not ready, unreachable), a map a delivered block. */
function source(address: string, mspId: string, answers: (Error | Map<number, Uint8Array>)[]): PvtSource & { calls: number } {
  return {
    address,
    mspId,
    calls: 0,
    privateDataOfBlock() {
      const next = answers[Math.min(this.calls++, answers.length - 1)];
      return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
    },
  };
}

const puller = (sources: PvtSource[], pullTimeoutMs = 2000): PvtPuller =>
  new PvtPuller({ peers: () => sources, signer, tlsCertHash: undefined, pullTimeoutMs, logger: pino({ level: 'silent' }) });

describe('the private data puller (Fabric’s coordinator fetch, over DeliverWithPrivateData)', () => {
  it('asks member orgs’ peers, retries one that has not committed the block, and adds what it gets to what the peer holds', async () => {
    const behind = source('b1', 'OrgB', [new Error('NOT_FOUND'), new Map([[0, pvt('ab', 'other')]])]);
    const nonMember = source('c1', 'OrgC', [new Map([[0, pvt('ab')]])]);
    const have = new Map([[0, pvt('own')]]);
    await puller([behind, nonMember]).pull('ch', 5, [want(0, 'ab', ['OrgA', 'OrgB'])], have);
    expect(names(have.get(0))).toEqual(['own', 'ab']);
    expect([behind.calls, nonMember.calls]).toEqual([2, 0]);
  });

  it('does not ask again a peer that delivered the block without the data, and gives up at the deadline', async () => {
    const without = source('b1', 'OrgB', [new Map()]);
    const down = source('b2', 'OrgB', [new Error('UNAVAILABLE')]);
    const have = new Map<number, Uint8Array>();
    await puller([without, down], 500).pull('ch', 5, [want(1, 'ab', ['OrgB'])], have);
    expect(have.size).toBe(0);
    expect(without.calls).toBe(1);
    expect(down.calls).toBeGreaterThan(1);
  });

  it('takes values only when they hash to the block’s hash, and then asks the other peers', async () => {
    const forged = encodeTxPvtRwSet([{ namespace: 'cc', collection: 'ab', rwset: Buffer.from('forged') }]);
    const liar = source('b1', 'OrgB', [new Map([[0, forged]])]);
    const honest = source('a1', 'OrgA', [new Error('NOT_FOUND'), new Map([[0, pvt('ab')]])]);
    const have = new Map<number, Uint8Array>();
    await puller([liar, honest]).pull('ch', 5, [want(0, 'ab', ['OrgA', 'OrgB'])], have);
    expect(decodeTxPvtRwSet(have.get(0) as Uint8Array).map((c) => Buffer.from(c.rwset).toString())).toEqual(['rw-ab']);
    expect([liar.calls, honest.calls]).toEqual([1, 2]);
  });

  it('does not ask again a peer that refuses (403), which no retry would change', async () => {
    const refusing = source('b1', 'OrgB', [new PeerError('PEER_DELIVER_STATUS', 'DeliverWithPrivateData answered status 403', { status: 403 })]);
    await puller([refusing]).pull('ch', 5, [want(0, 'ab', ['OrgB'])], new Map());
    expect(refusing.calls).toBe(1);
  });

  it('does not ask again a peer whose answer does not decode, as a refusal', async () => {
    let malformed: Error | undefined;
    try {
      blockPrivateData(Uint8Array.of(0x22, 0x03, 0x12, 0x05, 0x08));
    } catch (err) {
      malformed = err as Error;
    }
    expect(malformed).toMatchObject({ code: 'PROTOCOL_MALFORMED' });
    const broken = source('b1', 'OrgB', [malformed as Error]);
    // The honest peer commits the block two retries later: time for a broken peer to be asked again, were it.
    const honest = source('b2', 'OrgB', [new Error('NOT_FOUND'), new Error('NOT_FOUND'), new Map([[0, pvt('ab')]])]);
    const have = new Map<number, Uint8Array>();
    await puller([broken, honest]).pull('ch', 5, [want(0, 'ab', ['OrgB'])], have);
    expect([broken.calls, names(have.get(0))]).toEqual([1, ['ab']]);
  });

  it('reads DeliverWithPrivateData answers as google-protobuf writes them', () => {
    const bpd = new BlockAndPrivateData();
    bpd.setBlock(new Block());
    bpd.getPrivateDataMapMap().set(3, TxPvtReadWriteSet.deserializeBinary(pvt('ab')));
    const answer = new DeliverResponse();
    answer.setBlockAndPrivateData(bpd);
    expect([...(blockPrivateData(answer.serializeBinary()) ?? [])].map(([tx, bytes]) => [tx, names(bytes)])).toEqual([[3, ['ab']]]);
    const done = new DeliverResponse();
    done.setStatus(Status.SUCCESS);
    expect(blockPrivateData(done.serializeBinary())).toBeUndefined();
    const forbidden = new DeliverResponse();
    forbidden.setStatus(Status.FORBIDDEN);
    expect(() => blockPrivateData(forbidden.serializeBinary())).toThrow('DeliverWithPrivateData answered status 403');
  });
});
