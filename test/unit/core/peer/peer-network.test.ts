import * as nodeNet from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { FabricMSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import type { ChannelManager } from '../../../../core/peer/channel/channel-manager';
import { type LearnedPeer, PeerNetwork } from '../../../../core/peer/peer-network';
import { PeerSection, type PeerConfig } from '../../../../core/peer/peer-config';
import type { Logger } from '../../../../core/node/logger';
import { RemoteEndorser } from '../../../../core/peer/gateway/endorser-client';

/** A plaintext peer of Org1 that lists two Org2 peers, on a channel of three orgs (no anchor peers). */
function network(learned: readonly LearnedPeer[] | (() => readonly LearnedPeer[]), logger?: Logger, listed: readonly string[] = ['a:1', 'b:1']): PeerNetwork {
  const peer = PeerSection.parse({
    gateway: { peers: listed.map((address) => ({ address, mspId: 'Org2MSP' })) },
  });
  const config = { node: { msp: { id: 'Org1MSP' } }, peer } as unknown as PeerConfig;
  const org = (mspId: string) => ({ name: mspId, mspId, msp: new FabricMSPConfig(), endpoints: [], anchorPeers: [] });
  const channel = { resources: () => ({ config: { applicationOrgs: [org('Org1MSP'), org('Org2MSP'), org('Org3MSP')] } }) };
  const channels = { channel: (id: string) => (id === 'ch' ? channel : undefined) } as unknown as ChannelManager;
  return new PeerNetwork(config, () => channels, typeof learned === 'function' ? learned : () => learned, logger);
}

/** A loopback port nothing listens on: bound, then closed, so a connection to it is refused. */
async function closedPort(): Promise<number> {
  const server = nodeNet.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as nodeNet.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('PeerNetwork endorsers', () => {
  it('are the listed peers, in order, when none was learned', () => {
    const net = network([]);
    expect(net.endorsers('ch').map((p) => p.address)).toEqual(['a:1', 'b:1']);
    net.close();
  });

  it('add the learned peers, and put the highest ledger first, peers not heard from last', () => {
    const net = network([
      { endpoint: 'b:1', mspId: 'Org2MSP', ledgerHeight: 10 },
      { endpoint: 'c:1', mspId: 'Org3MSP', ledgerHeight: 12 },
      { endpoint: 'd:1', mspId: 'Org9MSP', ledgerHeight: 99 },
    ]);
    // d:1 is of no org of the channel; a:1 was not heard from.
    expect(net.endorsers('ch').map((p) => `${p.address} ${p.mspId}`)).toEqual(['c:1 Org3MSP', 'b:1 Org2MSP', 'a:1 Org2MSP']);
    expect(net.pvtPeers('ch').map((p) => p.address)).toEqual(['a:1', 'b:1', 'c:1']);
    net.close();
  });

  it('put a peer that could not be connected to last, until it can be again, learned or not', async () => {
    const [gone, other] = await Promise.all([closedPort(), closedPort()]);
    const [first, second] = [`127.0.0.1:${gone}`, `127.0.0.1:${other}`];
    for (const learned of [[], [{ endpoint: first, mspId: 'Org2MSP', ledgerHeight: 9 }]] as LearnedPeer[][]) {
      const net = network(learned, undefined, [first, second]);
      const server = new grpc.Server();
      try {
        expect(net.endorsers('ch').map((p) => p.address)).toEqual([first, second]);
        await expect(net.endorsers('ch')[0]!.processProposal(Uint8Array.of(1), Date.now() + 5_000)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
        expect(net.endorsers('ch').map((p) => p.address)).toEqual([second, first]);
        // It comes back: gRPC's reconnect (after its backoff, about a second) finds it, and its place is its own again.
        await new Promise<void>((resolve, reject) => server.bindAsync(first, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
        for (let i = 0; net.endorsers('ch')[0]!.address !== first; i++) {
          if (i > 200) throw new Error(`${first} still last 10 s after it came back`);
          await new Promise((r) => setTimeout(r, 50));
        }
      } finally {
        net.close();
        server.forceShutdown();
      }
    }
  });

  it('skip (and log once) an address gRPC cannot dial, instead of failing every request of the channel', () => {
    const warnings: unknown[] = [];
    const logger = { warn: (o: unknown) => warnings.push(o) } as unknown as Logger;
    // grpc-js throws on constructing a client for a dns: target whose authority is not an IP address.
    const net = network([{ endpoint: 'dns://x/y:7051', mspId: 'Org3MSP', ledgerHeight: 3 }], logger);
    expect(net.endorsers('ch').map((p) => p.address)).toEqual(['a:1', 'b:1']);
    expect(net.membershipPeers('ch').map((p) => p.address)).toEqual(['a:1', 'b:1']);
    expect(warnings).toEqual([expect.objectContaining({ address: 'dns://x/y:7051', mspId: 'Org3MSP' })]);
    net.close();
  });

  it('close the connections of learned peers that are no longer dialled (expired, or announcing another endpoint)', () => {
    let now = Date.now();
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => now);
    try {
      let learned: LearnedPeer[] = [{ endpoint: 'c:1', mspId: 'Org3MSP', ledgerHeight: 1 }];
      const net = network(() => learned);
      const first = net.endorsers('ch').find((p) => p.address === 'c:1') as unknown as { close(): void };
      const closed = jest.spyOn(first, 'close');
      // The peer moves: c:2 is dialled from now on, c:1 is not.
      learned = [{ endpoint: 'c:2', mspId: 'Org3MSP', ledgerHeight: 1 }];
      for (const later of [60_000, 59_000]) {
        now += later;
        expect(net.endorsers('ch').map((p) => p.address)).toEqual(['c:2', 'a:1', 'b:1']);
      }
      expect(closed).not.toHaveBeenCalled();
      now += 31_000;
      net.endorsers('ch');
      expect(closed).toHaveBeenCalledTimes(1);
      // Dialled again, it gets a new connection.
      learned = [{ endpoint: 'c:1', mspId: 'Org3MSP', ledgerHeight: 1 }];
      expect(net.endorsers('ch').find((p) => p.address === 'c:1')).not.toBe(first);
      net.close();
    } finally {
      clock.mockRestore();
    }
  });

  it('hold at most 1024 connections: a peer announcing a new endpoint with each message costs no more', () => {
    const closed = jest.spyOn(RemoteEndorser.prototype, 'close');
    try {
      let port = 0;
      const net = network(() => [{ endpoint: `c:${++port}`, mspId: 'Org3MSP', ledgerHeight: 1 }]);
      for (let i = 0; i < 1100; i++) net.endorsers('ch');
      // 1,100 endpoints and the two configured peers: the 78 dialled longest ago are closed, and the configured ones stay.
      expect(closed).toHaveBeenCalledTimes(1100 + 2 - 1024);
      expect(net.endorsers('ch').map((p) => p.address)).toEqual(['c:1101', 'a:1', 'b:1']);
      expect(closed).toHaveBeenCalledTimes(1101 + 2 - 1024);
      net.close();
    } finally {
      closed.mockRestore();
    }
  });
});
