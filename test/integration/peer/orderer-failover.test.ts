import * as fs from 'node:fs';
import * as net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { Status } from '@hyperledger/fabric-protos/lib/common/common_pb';
import type { Config } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { AtomicBroadcastClient } from '@hyperledger/fabric-protos/lib/orderer/ab_grpc_pb';
import { BatchTimeout } from '@hyperledger/fabric-protos/lib/orderer/configuration_pb';
import { loadNodeConfig } from '../../../core/node/config';
import { loadOrdererConfig } from '../../../core/orderer/orderer-config';
import { OrdererNode } from '../../../core/orderer/orderer-node';
import { parsePeerConfig } from '../../../core/peer/peer-config';
import { PeerNode } from '../../../core/peer/peer-node';
import { DEFAULT_ACLS } from '../../../core/protocol/channel-definition';
import { buildConfigBlock } from '../../../core/protocol/config-block';
import { parseConfigBlock } from '../../../core/protocol/config-parse';
import { loadMspConfig, loadSigningIdentity } from '../../../plugins/msp-x509';
import { broadcast, fetchBlock } from '../orderer/orderer-fixture';
import { configUpdate } from './config-updates';
import { CHANNEL, type Material, eventually, freePort, generateMaterial, joinOrderer, tmpDir, writeOrdererConfig, writePeerConfig } from './network-fixture';

/**
 * An orderer endpoint behind a TCP listener that, while `blackhole` is set, accepts connections and
 * never sends a byte (a firewalled or hung host: the TLS handshake never completes); otherwise it
 * passes the bytes through to the real orderer.
 */
interface Gate {
  readonly port: number;
  blackhole: boolean;
  /** Connections accepted so far. */
  accepted: number;
  close(): Promise<void>;
}

async function startGate(upstreamPort: number): Promise<Gate> {
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket): void => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  };
  const server = net.createServer((socket) => {
    gate.accepted++;
    track(socket);
    if (gate.blackhole) return;
    const upstream = net.connect(upstreamPort, '127.0.0.1');
    track(upstream);
    socket.pipe(upstream).pipe(socket);
    socket.on('close', () => upstream.destroy());
    upstream.on('close', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const gate: Gate = {
    port: (server.address() as net.AddressInfo).port,
    blackhole: true,
    accepted: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  return gate;
}

/**
 * Fabric's deliver client dials each orderer with a timeout (`peer.deliveryclient.connTimeout`, 3 s)
 * and moves on to another endpoint when the connection is not made: an orderer that never answers
 * must not hold the peer's block intake.
 */
describe('a peer whose first orderer endpoint never answers', () => {
  let dir: string;
  let m: Material;
  let gates: Gate[] = [];
  let orderer: OrdererNode | undefined;
  let peer: PeerNode | undefined;
  let client: AtomicBroadcastClient | undefined;

  beforeAll(async () => {
    dir = tmpDir('weft-peer-orderer-failover-');
    m = await generateMaterial(dir);
  }, 60_000);

  afterAll(async () => {
    client?.close();
    await peer?.stop();
    await orderer?.stop();
    for (const g of gates) await g.close();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('pulls its blocks from the next endpoint', async () => {
    const [ordererPort, adminPort, p0, p1, ops] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    gates = [await startGate(ordererPort), await startGate(ordererPort)];
    const genesis = buildConfigBlock({
      channelId: CHANNEL,
      acls: DEFAULT_ACLS,
      applicationOrgs: m.orgs.map((o) => ({ mspId: o.mspId, mspConfig: loadMspConfig(o.mspDir, o.mspId), anchorPeers: [] })),
      ordererOrgs: [
        {
          mspId: 'OrdererMSP',
          mspConfig: loadMspConfig(m.ordererOrg.mspDir, 'OrdererMSP'),
          endpoints: gates.map((g) => `127.0.0.1:${g.port}`),
        },
      ],
      batchSize: { maxMessageCount: 500, absoluteMaxBytes: 10 * 1024 * 1024, preferredMaxBytes: 2 * 1024 * 1024 },
      batchTimeout: '100ms',
      consensusType: { type: 'solo' },
    }).serializeBinary();
    orderer = new OrdererNode(loadOrdererConfig(writeOrdererConfig(m, ordererPort, adminPort).configFile));
    await orderer.start();
    expect(await joinOrderer(m, adminPort, genesis)).toBe(201);

    // Block 1, on the orderer before the peer starts: a config update changing the batch timeout.
    client = new AtomicBroadcastClient(`127.0.0.1:${ordererPort}`, grpc.credentials.createSsl(fs.readFileSync(m.ordererOrg.tlsCaCertPath)));
    const admin = loadSigningIdentity(m.ordererOrg.users.Admin.mspDir, 'OrdererMSP');
    const current: Config = parseConfigBlock(genesis).config;
    const next = current.clone();
    const timeout = new BatchTimeout();
    timeout.setTimeout('150ms');
    next.getChannelGroup()!.getGroupsMap().get('Orderer')!.getValuesMap().get('BatchTimeout')!.setValue(timeout.serializeBinary());
    expect((await broadcast(client, [configUpdate(CHANNEL, current, next, [admin], admin)]))[0]).toEqual({ status: Status.SUCCESS, info: '' });
    expect((await fetchBlock(client, admin, CHANNEL, 1)).getHeader()!.getNumber()).toBe(1);

    peer = new PeerNode(parsePeerConfig(loadNodeConfig(writePeerConfig(m, 0, [p0, p1], ops, { peerSection: { gateway: { peers: [] } } }).configFile)));
    await peer.start();
    peer.joinChannel(genesis);

    // Whichever endpoint the puller tries first stays dark; the other then lets the orderer through.
    const first = await eventually(() => {
      const tried = gates.find((g) => g.accepted > 0);
      expect(tried).toBeDefined();
      return tried!;
    });
    const second = gates.find((g) => g !== first)!;
    second.blackhole = false;

    await eventually(() => expect(peer!.height(CHANNEL)).toBe(2));
    expect(second.accepted).toBeGreaterThan(0);
    expect(first.blackhole).toBe(true);
  }, 60_000);
});
