import { Status } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { ChannelQueryResponse } from '@hyperledger/fabric-protos/lib/peer/query_pb';
import { loadNodeConfig } from '../../../core/node/config';
import { parsePeerConfig, type PeerConfig } from '../../../core/peer/peer-config';
import { PeerLedgerAdmin } from '../../../core/peer/peer-ledger-admin';
import { PeerNode } from '../../../core/peer/peer-node';
import { type InProcessNetwork, startInProcessNetwork } from './in-process-network';
import { CHANNEL, approve, eventually, gatewayFor, propose, rawEndorser, signerOf } from './network-fixture';
import { peerDeliver } from './snapshot-support';

const OTHER = 'other';

/**
 * `weft peer pause` / `resume` on a real peer (Fabric's `peer node pause` / `resume`): a paused
 * channel's ledger stays, but the restarted peer does not open it (GetChannels omits it, proposals and
 * Deliver get what a never-joined channel gets, JoinChain is refused) and, once resumed, catches up
 * on the blocks the orderer cut meanwhile.
 */
describe('a paused channel on a running peer', () => {
  let net: InProcessNetwork;
  let config: PeerConfig;

  beforeAll(async () => {
    net = await startInProcessNetwork({ prefix: 'weft-pause-', extraChannels: [{ channelId: OTHER }] });
    config = parsePeerConfig(loadNodeConfig(net.peerFiles[0].configFile));
  }, 120_000);

  afterAll(async () => {
    await net.close();
  });

  async function restartPeer0(maintenance: (admin: PeerLedgerAdmin) => void): Promise<PeerNode> {
    await net.peers[0]!.stop();
    const admin = PeerLedgerAdmin.open(config, 'test');
    try {
      maintenance(admin);
    } finally {
      admin.close();
    }
    const peer = new PeerNode(config);
    await peer.start();
    net.peers[0] = peer;
    return peer;
  }

  const adminSigner = () => signerOf(net.m.orgs[0], 'Admin');
  async function call(channelId: string, chaincode: string, args: (string | Uint8Array)[], signer = adminSigner()) {
    const endorser = rawEndorser(net.m.orgs[0], net.ports[0]);
    try {
      return (await propose(endorser, signer, channelId, chaincode, args)).response;
    } finally {
      endorser.close();
    }
  }
  const channelsOfPeer0 = async (): Promise<string[]> =>
    ChannelQueryResponse.deserializeBinary((await call('', 'cscc', ['GetChannels'])).payload)
      .getChannelsList()
      .map((c) => c.getChannelId());
  /** What peer0 answers a member's qscc GetChainInfo on `channelId`, the channel's name masked. */
  async function chainInfoAnswer(channelId: string): Promise<{ status: number; message: string }> {
    const r = await call(channelId, 'qscc', ['GetChainInfo', channelId], signerOf(net.m.orgs[0]));
    return { status: r.status, message: r.message.split(channelId).join('<channel>') };
  }

  it('is not opened while paused, refuses a join, and catches up once resumed', async () => {
    expect(await channelsOfPeer0()).toEqual([CHANNEL, OTHER]);
    const peer = await restartPeer0((admin) => {
      admin.pause(OTHER);
      expect(admin.channelStatus()).toEqual({ active: [CHANNEL], paused: [OTHER] });
    });
    expect(peer.channelIds()).toEqual([CHANNEL]);
    expect(await channelsOfPeer0()).toEqual([CHANNEL]);

    // Answered as a channel the peer never joined.
    const unknown = await chainInfoAnswer('nosuchchannel');
    expect(unknown.status).not.toBe(200);
    expect(await chainInfoAnswer(OTHER)).toEqual(unknown);
    const reader = signerOf(net.m.orgs[0]);
    expect(await peerDeliver(net.clients[0]!, reader, OTHER, 0, 0)).toEqual({ blocks: [], status: Status.NOT_FOUND });
    expect(await peerDeliver(net.clients[0]!, reader, OTHER, 0, 0)).toEqual(await peerDeliver(net.clients[0]!, reader, 'nosuchchannel', 0, 0));

    // Joining it again must not resume it behind the operator's back.
    const join = await call('', 'cscc', ['JoinChain', net.geneses[1]!]);
    expect(join.status).toBe(500);
    expect(join.message).toMatch(/ledger \[other\] already exists with state \[INACTIVE\].*weft peer resume/);
    expect(peer.channelIds()).toEqual([CHANNEL]);

    // Org2 commits a block on the channel meanwhile; peer0 does not pull it.
    const heightBefore = net.peers[1]!.height(OTHER);
    const org2Admin = gatewayFor(net.m.orgs[1], net.clients[1]!, 'Admin');
    net.gateways.push(org2Admin);
    await approve(org2Admin, 'while-paused', 1, 'while-paused:0000', false, OTHER);
    expect(net.peers[1]!.height(OTHER)).toBe(heightBefore + 1);

    const resumed = await restartPeer0((admin) => {
      expect(admin.pause(OTHER)).toBe(false);
      expect(admin.resume(OTHER)).toBe(true);
      expect(admin.channelStatus()).toEqual({ active: [CHANNEL, OTHER], paused: [] });
    });
    expect(await channelsOfPeer0()).toEqual([CHANNEL, OTHER]);
    await eventually(() => expect(resumed.height(OTHER)).toBe(heightBefore + 1), 30_000);
    expect((await chainInfoAnswer(OTHER)).status).toBe(200);
  }, 180_000);
});
