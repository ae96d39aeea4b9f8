import pino from 'pino';
import { decodeTxPvtRwSet, encodeTxPvtRwSet, hashedKey, sha256 } from '../../../../../core/ledger/private-data';
import { type PvtSource, PvtPuller } from '../../../../../core/peer/privdata/pvt-puller';
import { kvRwSet } from '../../../../support/kv-rwset';

const answer = (writes: Record<string, string>): Map<number, Uint8Array> => new Map([[0, encodeTxPvtRwSet([{ namespace: 'cc', collection: 'ab', rwset: kvRwSet(writes) }])]]);

function source(address: string, mspId: string, got: Map<number, Uint8Array>): PvtSource & { calls: number } {
  return {
    address,
    mspId,
    calls: 0,
    privateDataOfBlock() {
      this.calls++;
      return Promise.resolve(got);
    },
  };
}

/**
 * A peer joined from a snapshot has no block to take a collection's hash from: it wants the values
 * whose hashes the snapshot held, and takes an answer only when they match.
 */
describe('the private data puller, for data of a block before the snapshot this peer joined from', () => {
  it('takes a collection whose values hash to the snapshot’s, not one with a forged value or without an expected key', async () => {
    const liar = source('b1', 'OrgB', answer({ k: 'forged', other: 'x' }));
    const partial = source('b2', 'OrgB', answer({ other: 'x' }));
    const honest = source('a1', 'OrgA', answer({ k: 'v', other: 'x' }));
    const have = new Map<number, Uint8Array>();
    const puller = new PvtPuller({ peers: () => [liar, partial, honest], signer: { serialized: Buffer.from('p'), sign: () => Buffer.from('s') }, tlsCertHash: undefined, pullTimeoutMs: 2000, logger: pino({ level: 'silent' }) });
    const wanted = { txNum: 0, namespace: 'cc', collection: 'ab', pvtRwsetHash: new Uint8Array(0), bootKvHashes: new Map([[hashedKey('k'), sha256('v')]]), memberMspIds: ['OrgA', 'OrgB'] };
    await puller.pull('ch', 3, [wanted], have);
    const [taken] = decodeTxPvtRwSet(have.get(0) as Uint8Array);
    expect(Buffer.from(taken!.rwset)).toEqual(Buffer.from(kvRwSet({ k: 'v', other: 'x' })));
    expect([liar.calls, partial.calls, honest.calls]).toEqual([1, 1, 1]);
  });
});
