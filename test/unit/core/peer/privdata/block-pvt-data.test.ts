import { type CollectionPvtRwSet, decodeTxPvtRwSet, encodeTxPvtRwSet, sha256 } from '../../../../../core/ledger/private-data';
import { pvtDataForBlock, wantedPvtData } from '../../../../../core/peer/privdata/block-pvt-data';
import { TransientStore } from '../../../../../core/peer/privdata/transient-store';
import type { CollectionDefinition } from '../../../../../core/peer/lifecycle/collections';
import type { ChaincodeDefinition } from '../../../../../core/peer/lifecycle/lifecycle-state';

const member = (name: string): CollectionDefinition => ({
  name,
  memberMspIds: ['OrgA', 'OrgB'],
  memberOrgsPolicy: new Uint8Array(0),
  requiredPeerCount: 0,
  maximumPeerCount: 1,
  blockToLive: 0,
  memberOnlyRead: true,
  memberOnlyWrite: false,
});
const definition = { collections: [member('ab'), member('cd')] } as unknown as ChaincodeDefinition;
const version = (collection: string, rwset: string): CollectionPvtRwSet => ({ namespace: 'cc', collection, rwset: Buffer.from(rwset) });
const written = (collection: string, rwset: string): { namespace: string; collection: string; pvtRwsetHash: Uint8Array } => ({
  namespace: 'cc',
  collection,
  pvtRwsetHash: sha256(rwset),
});
const held = (bytes: Uint8Array | undefined): string[] => decodeTxPvtRwSet(bytes ?? new Uint8Array(0)).map((c) => `${c.collection}=${Buffer.from(c.rwset).toString()}`);

describe('the private data a commit takes from the transient store', () => {
  it('keeps, of the versions held, the one each collection’s hash in the block names, and wants the collections none matches', () => {
    const transient = TransientStore.inMemory();
    transient.add('tx0', [version('ab', 'forged'), version('ab', 'genuine'), version('cd', 'forged')], 1);
    transient.persist('tx1', encodeTxPvtRwSet([version('ab', 'own')]), 1);
    const source = { transient, localMspId: 'OrgA', definition: () => definition };

    const have = pvtDataForBlock(source, ['tx0', 'tx1'], [true, true]);
    expect(held(have.get(0))).toEqual(['ab=forged', 'ab=genuine', 'cd=forged']);
    const wanted = wantedPvtData(source, [[written('ab', 'genuine'), written('cd', 'genuine')], [written('ab', 'own')]], [true, true], have);

    expect(held(have.get(0))).toEqual(['ab=genuine']);
    expect(held(have.get(1))).toEqual(['ab=own']);
    expect(wanted.map((w) => [w.txNum, w.collection])).toEqual([[0, 'cd']]);
  });

  it('drops what no version matches, so the ledger records it missing rather than keeping forged values', () => {
    const transient = TransientStore.inMemory();
    transient.add('tx0', [version('ab', 'forged')], 1);
    const source = { transient, localMspId: 'OrgA', definition: () => definition };
    const have = pvtDataForBlock(source, ['tx0'], [true]);
    expect(wantedPvtData(source, [[written('ab', 'genuine')]], [true], have)).toHaveLength(1);
    expect(have.has(0)).toBe(false);
  });
});
