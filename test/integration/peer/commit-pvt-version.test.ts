/**
 * The committer hands the ledger, of the versions of a collection its transient store holds, the one
 * whose hash the block carries, also on a peer that has no puller to ask others: the ledger takes a
 * collection's first version, which a forged push may have put before the endorsed one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { decodeTxPvtRwSet } from '../../../core/ledger/private-data';
import { commitBlock, endorsedTx, openHarness, type Harness } from './channel-harness';
import { generateMaterial, tmpDir } from './network-fixture';
import { definitionWithCollections, privateTx } from './private-harness';

let dir: string;
let h: Harness;

beforeAll(async () => {
  dir = tmpDir('weft-commit-pvt-version-');
  h = openHarness(await generateMaterial(dir), path.join(dir, 'ledgers'));
  const definition = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: '_lifecycle', results: definitionWithCollections('pd', 1, [{ name: 'both' }]) });
  expect(await commitBlock(h, [definition.envelope])).toEqual([TxValidationCode.VALID]);
}, 60_000);

afterAll(() => {
  h?.channels.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : Buffer.from(b).toString());

describe('private data a block commits without a puller', () => {
  it('is the version the block’s hash names, though a forged version was pushed first', async () => {
    const channel = h.joined.channel;
    const genuine = privateTx(h, 'pd', { both: { k1: 'genuine' } });
    const forged = privateTx(h, 'pd', { both: { k1: 'forged' } });
    expect(channel.transient.add(genuine.txId, forged.collections, channel.height())).toBe(1);
    expect(channel.transient.add(genuine.txId, genuine.collections, channel.height())).toBe(1);

    expect(await commitBlock(h, [genuine.envelope])).toEqual([TxValidationCode.VALID]);
    expect(text(channel.ledger.newQueryExecutor().getPrivateData('pd', 'both', 'k1'))).toBe('genuine');
    const stored = channel.ledger.getPrivateDataByBlock(channel.height() - 1);
    expect([...stored.keys()]).toEqual([0]);
    const values = (colls: { namespace: string; collection: string; rwset: Uint8Array }[]): string[] => colls.map((c) => `${c.namespace}/${c.collection}:${Buffer.from(c.rwset).toString('hex')}`);
    expect(values(decodeTxPvtRwSet(stored.get(0)!))).toEqual(values(genuine.collections));
  });

  it('is the endorser’s own version when it is the only one held, as before', async () => {
    const channel = h.joined.channel;
    const tx = privateTx(h, 'pd', { both: { k2: 'own' } });
    channel.transient.persist(tx.txId, tx.pvt, channel.height());
    expect(await commitBlock(h, [tx.envelope])).toEqual([TxValidationCode.VALID]);
    expect(text(channel.ledger.newQueryExecutor().getPrivateData('pd', 'both', 'k2'))).toBe('own');
  });
});
