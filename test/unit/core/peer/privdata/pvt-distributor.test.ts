import type { Channel } from '../../../../../core/peer/channel/channel';
import type { CollectionDefinition } from '../../../../../core/peer/lifecycle/collections';
import { type PvtPeer, PvtDistributor } from '../../../../../core/peer/privdata/pvt-distributor';
import { readPvtPush } from '../../../../../core/peer/privdata/pvt-push';
import { decodeTxPvtRwSet, encodeTxPvtRwSet } from '../../../../../core/ledger/private-data';
import pino from 'pino';

const channel = { id: 'ch' } as Channel;
const signer = { serialized: Buffer.from('peer0.org1'), sign: () => Buffer.from('sig') };

function collection(name: string, memberMspIds: string[], requiredPeerCount: number, maximumPeerCount: number): CollectionDefinition {
  return { name, memberMspIds, memberOrgsPolicy: new Uint8Array(0), requiredPeerCount, maximumPeerCount, blockToLive: 0, memberOnlyRead: true, memberOnlyWrite: true };
}

/**
 * A peer that records what it is pushed, and acknowledges unless told to fail; one that is `down`
 * fails and reports itself unreachable, as gRPC does once a connection attempt failed.
 */
class RecordingPeer implements PvtPeer {
  readonly pushed: string[][] = [];
  constructor(
    readonly address: string,
    readonly mspId: string,
    private readonly fails: boolean | 'down' = false,
  ) {}
  pushPrivateData(signedPush: Uint8Array): Promise<void> {
    this.pushed.push(decodeTxPvtRwSet(readPvtPush(signedPush).push.pvt).map((c) => c.collection));
    return this.fails ? Promise.reject(new Error(`${this.address} is down`)) : Promise.resolve();
  }
  unreachable(): boolean {
    return this.fails === 'down';
  }
}

function distributor(peers: RecordingPeer[], collections: CollectionDefinition[]): PvtDistributor {
  return new PvtDistributor({
    peers: () => peers,
    collection: (_ch, cc, name) => (cc === 'cc' ? collections.find((c) => c.name === name) : undefined),
    signer,
    pushAckTimeoutMs: 1000,
    logger: pino({ level: 'silent' }),
  });
}

const pvt = (...names: string[]): Uint8Array => encodeTxPvtRwSet(names.map((collection) => ({ namespace: 'cc', collection, rwset: Buffer.from(collection) })));

describe("the private data distributor (Fabric's dissemination plan, without gossip)", () => {
  it("pushes each peer only its collections, one peer per member org first, up to the collection's maximum", async () => {
    const a1 = new RecordingPeer('a1', 'OrgA');
    const a2 = new RecordingPeer('a2', 'OrgA');
    const b1 = new RecordingPeer('b1', 'OrgB');
    const c1 = new RecordingPeer('c1', 'OrgC');
    const d = distributor([a1, a2, b1, c1], [collection('ab', ['OrgA', 'OrgB'], 0, 2), collection('conly', ['OrgC'], 0, 3), collection('none', ['OrgA'], 0, 0)]);
    await d.distribute(channel, 'tx1', pvt('ab', 'conly', 'none'), 7);
    expect([a1.pushed, a2.pushed, b1.pushed, c1.pushed]).toEqual([[['ab']], [], [['ab']], [['conly']]]);
    // The next transaction starts from another of an org's peers.
    await d.distribute(channel, 'tx2', pvt('ab'), 7);
    expect([a1.pushed.length, a2.pushed, b1.pushed.length]).toEqual([1, [['ab']], 2]);
  });

  it('signs each push with the transaction, channel and height', async () => {
    const b1 = new RecordingPeer('b1', 'OrgB');
    let seen: Uint8Array | undefined;
    b1.pushPrivateData = (bytes) => ((seen = bytes), Promise.resolve());
    await distributor([b1], [collection('ab', ['OrgB'], 0, 1)]).distribute(channel, 'tx9', pvt('ab'), 12);
    const signed = readPvtPush(seen as Uint8Array);
    expect(signed.push).toMatchObject({ channelId: 'ch', txId: 'tx9', height: 12, creator: new Uint8Array(signer.serialized) });
    expect(Buffer.from(signed.signature).toString()).toBe('sig');
  });

  it('fails with Fabric’s messages when required peers are too few or do not acknowledge; optional pushes may fail', async () => {
    const up = new RecordingPeer('up', 'OrgB');
    const down = new RecordingPeer('down', 'OrgC', true);
    await expect(distributor([up], [collection('two', ['OrgB'], 2, 2)]).distribute(channel, 'tx1', pvt('two'), 1)).rejects.toMatchObject({
      code: 'PEER_PVT_DISSEMINATION',
      message: 'failed to distribute private collection, txID tx1, channel ch: required to disseminate to at least 2 peers, but know of only 1 eligible peers',
    });
    expect(up.pushed).toEqual([]);
    await expect(distributor([up, down], [collection('bc', ['OrgB', 'OrgC'], 2, 2)]).distribute(channel, 'tx2', pvt('bc'), 1)).rejects.toThrow(
      'failed to distribute private collection, txID tx2, channel ch: Failed disseminating 1 out of 2 private dissemination plans',
    );
    await distributor([down], [collection('optional', ['OrgC'], 0, 1)]).distribute(channel, 'tx3', pvt('optional'), 1);
    expect(down.pushed).toEqual([['bc'], ['optional']]);
  });

  it('requires the acknowledgement of a reachable member peer, not of one that is down, and still pushes to the one down', async () => {
    // Another org's only peer is down: the required push goes to the other member org's peer.
    const a1 = new RecordingPeer('a1', 'OrgA', 'down');
    const b1 = new RecordingPeer('b1', 'OrgB');
    const d = distributor([a1, b1], [collection('ab', ['OrgA', 'OrgB'], 1, 2)]);
    for (const tx of ['tx1', 'tx2', 'tx3']) await d.distribute(channel, tx, pvt('ab'), 1);
    expect([a1.pushed.length, b1.pushed.length]).toEqual([3, 3]);
    // One of an org's two peers is down: every turn picks the other, where rotation alone picked the one down every other time.
    const a2 = new RecordingPeer('a2', 'OrgA', 'down');
    const a3 = new RecordingPeer('a3', 'OrgA');
    const sameOrg = distributor([a2, a3], [collection('a', ['OrgA'], 1, 1)]);
    for (const tx of ['tx4', 'tx5', 'tx6', 'tx7']) await sameOrg.distribute(channel, tx, pvt('a'), 1);
    expect([a2.pushed.length, a3.pushed.length]).toEqual([0, 4]);
    // Too few reachable: the one down is required after all, and Fabric's message says so.
    await expect(distributor([a1, b1], [collection('ab', ['OrgA', 'OrgB'], 2, 2)]).distribute(channel, 'tx8', pvt('ab'), 1)).rejects.toThrow(
      'Failed disseminating 1 out of 2 private dissemination plans',
    );
  });
});
