import * as fs from 'node:fs';
import * as net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { Status } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { OrdererAddresses } from '@hyperledger/fabric-protos/lib/common/configuration_pb';
import type { Config } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { AtomicBroadcastClient } from '@hyperledger/fabric-protos/lib/orderer/ab_grpc_pb';
import { BatchTimeout } from '@hyperledger/fabric-protos/lib/orderer/configuration_pb';
import { loadNodeConfig } from '../../../core/node/config';
import { loadOrdererConfig } from '../../../core/orderer/orderer-config';
import { OrdererNode } from '../../../core/orderer/orderer-node';
import { parsePeerConfig } from '../../../core/peer/peer-config';
import { PeerNode } from '../../../core/peer/peer-node';
import { parseBlock } from '../../../core/protocol/block';
import { parseConfigBlock } from '../../../core/protocol/config-parse';
import type { Signer } from '../../../core/protocol/signer';
import { loadSigningIdentity } from '../../../plugins/msp-x509';
import { broadcast, configBlockOf, fetchBlock } from '../orderer/orderer-fixture';
import { configUpdate } from './config-updates';
import { CHANNEL, type Material, eventually, freePort, generateMaterial, genesisBlock, joinOrderer, tmpDir, writeOrdererConfig, writePeerConfig } from './network-fixture';
import { type OrdererRelay, startOrdererRelay } from './orderer-relay';

/** The peer's dial timeout (`peer.deliveryClient.connTimeout`), far below Fabric's 3 s default. */
const CONN_TIMEOUT_MS = 300;

/**
 * How a peer's block puller reacts to an orderer that misbehaves, as Fabric's deliverer
 * (common/deliverclient/blocksprovider): a block with an unexpected number, an old or duplicate one
 * included, fails verification; the peer disconnects and reconnects after its backoff, to the
 * next orderer. An orderer that takes the connection but never answers is given up after
 * `peer.deliveryClient.connTimeout`. The channel names two orderers: a relay to the real one, and
 * a host that accepts TCP connections and never speaks.
 */
describe('a peer reconnecting to the ordering service', () => {
  let dir: string;
  let m: Material;
  let relay: OrdererRelay;
  let silent: net.Server;
  const silentSockets = new Set<net.Socket>();
  let orderer: OrdererNode;
  let peer: PeerNode;
  let client: AtomicBroadcastClient;
  let admin: Signer;
  let current: Config;
  /** The channel's height on the orderer. */
  let height = 1;

  /** Orders a config update changing only the batch timeout: one more block for the peer to pull. */
  async function nextBlock(timeout: string): Promise<void> {
    const next = current.clone();
    const t = new BatchTimeout();
    t.setTimeout(timeout);
    next.getChannelGroup()!.getGroupsMap().get('Orderer')!.getValuesMap().get('BatchTimeout')!.setValue(t.serializeBinary());
    expect((await broadcast(client, [configUpdate(CHANNEL, current, next, [admin], admin)]))[0]).toEqual({ status: Status.SUCCESS, info: '' });
    current = parseConfigBlock((await fetchBlock(client, admin, CHANNEL, height++)).serializeBinary()).config;
  }

  beforeAll(async () => {
    dir = tmpDir('weft-peer-block-intake-reconnect-');
    m = await generateMaterial(dir);
    const [ordererPort, adminPort, p0, p1, ops] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    relay = await startOrdererRelay(m, `127.0.0.1:${ordererPort}`);
    silent = net.createServer((socket) => {
      silentSockets.add(socket);
      socket.on('close', () => silentSockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentAddress = `127.0.0.1:${(silent.address() as net.AddressInfo).port}`;

    // The orderer org names the relay, then the silent host: the puller goes through them in turn.
    current = parseConfigBlock(genesisBlock(m, Number(relay.address.split(':')[1]))).config;
    const addresses = new OrdererAddresses();
    addresses.setAddressesList([relay.address, silentAddress]);
    current.getChannelGroup()!.getGroupsMap().get('Orderer')!.getGroupsMap().get('OrdererMSP')!.getValuesMap().get('Endpoints')!.setValue(addresses.serializeBinary());
    const genesis = configBlockOf(CHANNEL, current);

    orderer = new OrdererNode(loadOrdererConfig(writeOrdererConfig(m, ordererPort, adminPort).configFile));
    await orderer.start();
    expect(await joinOrderer(m, adminPort, genesis)).toBe(201);
    const peerSection = { gateway: { peers: [] }, deliveryClient: { connTimeout: `${CONN_TIMEOUT_MS}ms`, reConnectBackoffThreshold: '2s' } };
    peer = new PeerNode(parsePeerConfig(loadNodeConfig(writePeerConfig(m, 0, [p0, p1], ops, { peerSection }).configFile)));
    await peer.start();
    peer.joinChannel(genesis);
    client = new AtomicBroadcastClient(`127.0.0.1:${ordererPort}`, grpc.credentials.createSsl(fs.readFileSync(m.ordererOrg.tlsCaCertPath)));
    admin = loadSigningIdentity(m.ordererOrg.users.Admin.mspDir, 'OrdererMSP');
  }, 60_000);

  afterAll(async () => {
    client?.close();
    await peer?.stop();
    await orderer?.stop();
    await relay?.close();
    for (const s of silentSockets) s.destroy();
    await new Promise((r) => silent?.close(r));
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('gives up on an orderer that never answers within peer.deliveryClient.connTimeout, not 3 s', async () => {
    await nextBlock('150ms');
    await eventually(() => expect(peer.height(CHANNEL)).toBe(height));
    // The puller is on the relay; once the relay hangs up it waits 100 ms, tries the silent host (for
    // connTimeout, or not at all while grpc-js backs off after its last dial there was cut at
    // connTimeout), waits 120 ms, and is back on the relay.
    const streams = relay.connections();
    const cut = Date.now();
    relay.dropStreams();
    await eventually(() => expect(relay.connections()).toBe(streams + 1));
    const away = Date.now() - cut;
    expect(silentSockets.size).toBeGreaterThan(0);
    expect(away).toBeLessThan(2_000);
    await nextBlock('160ms');
    await eventually(() => expect(peer.height(CHANNEL)).toBe(height));
  });

  it('disconnects from an orderer that sends an old block, and converges through the next one', async () => {
    await nextBlock('165ms');
    await eventually(() => expect(peer.height(CHANNEL)).toBe(height));
    const old = (await fetchBlock(client, admin, CHANNEL, height - 1)).serializeBinary();
    const next = height;
    let duplicated = false;
    // The next block arrives behind a second copy of the last one, which the peer has.
    relay.forge = (bytes) => {
      if (duplicated || parseBlock(bytes, { verifyDataHash: false }).number !== next) return bytes;
      duplicated = true;
      return [old, bytes];
    };
    const streams = relay.connections();
    await nextBlock('170ms');
    await eventually(() => expect(peer.height(CHANNEL)).toBe(next + 1));
    expect(duplicated).toBe(true);
    // Fabric's deliverer: the block fails verification, the stream is dropped and a new one opened.
    expect(relay.connections()).toBe(streams + 1);
    relay.forge = undefined;
  });
});
