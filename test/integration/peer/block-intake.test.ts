import * as fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { Block, Status } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { OrdererAddresses } from '@hyperledger/fabric-protos/lib/common/configuration_pb';
import type { Config } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { AtomicBroadcastClient } from '@hyperledger/fabric-protos/lib/orderer/ab_grpc_pb';
import { BatchTimeout } from '@hyperledger/fabric-protos/lib/orderer/configuration_pb';
import { loadNodeConfig } from '../../../core/node/config';
import { loadOrdererConfig } from '../../../core/orderer/orderer-config';
import { OrdererNode } from '../../../core/orderer/orderer-node';
import { parsePeerConfig } from '../../../core/peer/peer-config';
import { PeerNode } from '../../../core/peer/peer-node';
import { BlockMetadataIndex, getBlockMetadata, setBlockMetadata } from '../../../core/protocol/block';
import { signBlock } from '../../../core/protocol/block-signatures';
import { parseConfigBlock } from '../../../core/protocol/config-parse';
import type { Signer } from '../../../core/protocol/signer';
import { loadSigningIdentity } from '../../../plugins/msp-x509';
import { broadcast, configBlockOf, fetchBlock } from '../orderer/orderer-fixture';
import { configUpdate } from './config-updates';
import {
  CHANNEL,
  type Material,
  eventually,
  freePort,
  gatewayFor,
  generateMaterial,
  genesisBlock,
  joinOrderer,
  peerClient,
  tmpDir,
  writeOrdererConfig,
  writePeerConfig,
} from './network-fixture';
import { type OnePeer, channelGenesis, startOnePeer } from './one-peer';
import { type OrdererRelay, startOrdererRelay } from './orderer-relay';

/**
 * How a peer follows the ordering service (Fabric's deliver client): it moves with the orderer
 * endpoints its channel config names, and survives an orderer that restarts or is down at its start.
 */
describe('a peer pulling blocks from the ordering service', () => {
  let dir: string;
  let m: Material;
  let relay: OrdererRelay;
  let ordererConfig: string;
  let ordererPort: number;
  let orderer: OrdererNode;
  let peerConfig: string;
  let peer: PeerNode;
  let client: AtomicBroadcastClient;
  let admin: Signer;
  let current: Config;

  let height = 1;

  /** Orders the config update `mutate` makes to the current config, as the orderer org's Admin; the orderer's config block is the new current one. */
  async function updateConfig(mutate: (next: Config) => void): Promise<void> {
    const next = current.clone();
    mutate(next);
    expect((await broadcast(client, [configUpdate(CHANNEL, current, next, [admin], admin)]))[0]).toEqual({ status: Status.SUCCESS, info: '' });
    current = parseConfigBlock((await fetchBlock(client, admin, CHANNEL, height++)).serializeBinary()).config;
  }

  /** A config update that changes nothing but the batch timeout: a new block to pull. */
  const nextBlock = (timeout: string): Promise<void> =>
    updateConfig((next) => {
      const t = new BatchTimeout();
      t.setTimeout(timeout);
      next.getChannelGroup()!.getGroupsMap().get('Orderer')!.getValuesMap().get('BatchTimeout')!.setValue(t.serializeBinary());
    });

  beforeAll(async () => {
    dir = tmpDir('weft-peer-block-intake-');
    m = await generateMaterial(dir);
    const [adminPort, p0, p1, ops] = [await freePort(), await freePort(), await freePort(), await freePort()];
    ordererPort = await freePort();
    relay = await startOrdererRelay(m, `127.0.0.1:${ordererPort}`);
    // The channel starts out naming the relay as its only orderer.
    const genesis = genesisBlock(m, Number(relay.address.split(':')[1]));
    current = parseConfigBlock(genesis).config;
    ordererConfig = writeOrdererConfig(m, ordererPort, adminPort).configFile;
    orderer = new OrdererNode(loadOrdererConfig(ordererConfig));
    await orderer.start();
    expect(await joinOrderer(m, adminPort, genesis)).toBe(201);
    peerConfig = writePeerConfig(m, 0, [p0, p1], ops, { peerSection: { gateway: { peers: [] } } }).configFile;
    peer = new PeerNode(parsePeerConfig(loadNodeConfig(peerConfig)));
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
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('leaves an orderer that stopped delivering once a config block names other endpoints', async () => {
    // The relay passes block 1 (the endpoint change) and then withholds everything, stream open.
    relay.holdAfter = 1;
    await updateConfig((next) => {
      const addresses = new OrdererAddresses();
      addresses.setAddressesList([`127.0.0.1:${ordererPort}`]);
      next.getChannelGroup()!.getGroupsMap().get('Orderer')!.getGroupsMap().get('OrdererMSP')!.getValuesMap().get('Endpoints')!.setValue(addresses.serializeBinary());
    });
    await eventually(() => expect(peer.height(CHANNEL)).toBe(2));
    const relayed = relay.connections();
    await nextBlock('150ms');
    // Block 2 comes from the orderer the config now names: the relay would have held it forever.
    await eventually(() => expect(peer.height(CHANNEL)).toBe(3));
    expect(relay.connections()).toBe(relayed);
  });

  it('catches up after its orderer restarts', async () => {
    await orderer.stop();
    orderer = new OrdererNode(loadOrdererConfig(ordererConfig));
    await orderer.start();
    await nextBlock('160ms');
    await eventually(() => expect(peer.height(CHANNEL)).toBe(4));
  });

  it('catches up when its orderer was down as it started', async () => {
    await peer.stop();
    await orderer.stop();
    peer = new PeerNode(parsePeerConfig(loadNodeConfig(peerConfig)));
    await peer.start();
    // Some attempts fail against the closed port before the orderer is back.
    await new Promise((r) => setTimeout(r, 300));
    expect(peer.height(CHANNEL)).toBe(4);
    orderer = new OrdererNode(loadOrdererConfig(ordererConfig));
    await orderer.start();
    await nextBlock('170ms');
    await eventually(() => expect(peer.height(CHANNEL)).toBe(5));
  });
});

/**
 * Blocks a faulty or hostile orderer forges (Fabric's deliver client refuses each and reconnects):
 * the peer commits none of them, and takes the orderer's own block once it is sent.
 */
describe('a peer fed forged blocks', () => {
  let dir: string;
  let m: Material;
  let relay: OrdererRelay;
  let orderer: OrdererNode;
  let peer: PeerNode;
  let client: AtomicBroadcastClient;
  let peerGrpc: grpc.Client;
  let admin: Signer;
  let genesis: Uint8Array;

  beforeAll(async () => {
    dir = tmpDir('weft-peer-forged-blocks-');
    m = await generateMaterial(dir);
    const [ordererPort, adminPort, p0, p1, ops] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    relay = await startOrdererRelay(m, `127.0.0.1:${ordererPort}`);
    genesis = genesisBlock(m, Number(relay.address.split(':')[1]));
    orderer = new OrdererNode(loadOrdererConfig(writeOrdererConfig(m, ordererPort, adminPort).configFile));
    await orderer.start();
    expect(await joinOrderer(m, adminPort, genesis)).toBe(201);
    peer = new PeerNode(parsePeerConfig(loadNodeConfig(writePeerConfig(m, 0, [p0, p1], ops, { peerSection: { gateway: { peers: [] } } }).configFile)));
    await peer.start();
    client = new AtomicBroadcastClient(`127.0.0.1:${ordererPort}`, grpc.credentials.createSsl(fs.readFileSync(m.ordererOrg.tlsCaCertPath)));
    peerGrpc = peerClient(m.orgs[0], p0);
    admin = loadSigningIdentity(m.ordererOrg.users.Admin.mspDir, 'OrdererMSP');
  }, 60_000);

  afterAll(async () => {
    client?.close();
    peerGrpc?.close();
    await peer?.stop();
    await orderer?.stop();
    await relay?.close();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a wrong number, a broken hash chain, altered data and signatures outside BlockValidation', async () => {
    const impostor = loadSigningIdentity(m.orgs[0].nodes.peer0.mspDir, 'Org1MSP');
    const edit = (change: (b: Block) => void) => (bytes: Uint8Array): Uint8Array => {
      const b = Block.deserializeBinary(bytes);
      change(b);
      return b.serializeBinary();
    };
    const forgeries = [
      edit((b) => b.getHeader()!.setNumber(2)),
      edit((b) => b.getHeader()!.setPreviousHash(new Uint8Array(32))),
      edit((b) => b.getData()!.setDataList([...b.getData()!.getDataList_asU8(), new Uint8Array([10, 1, 0])])),
      edit((b) => setBlockMetadata(b, BlockMetadataIndex.SIGNATURES, new Uint8Array(0))),
      edit((b) => signBlock(b, impostor, { lastConfigIndex: 1 })),
    ];
    const sent: number[] = [];
    relay.forge = (bytes) => {
      const forge = forgeries.shift();
      if (forge === undefined) return bytes;
      sent.push(forgeries.length);
      return forge(bytes);
    };
    peer.joinChannel(genesis);
    let current = parseConfigBlock(genesis).config;
    const next = current.clone();
    const t = new BatchTimeout();
    t.setTimeout('150ms');
    next.getChannelGroup()!.getGroupsMap().get('Orderer')!.getValuesMap().get('BatchTimeout')!.setValue(t.serializeBinary());
    expect((await broadcast(client, [configUpdate(CHANNEL, current, next, [admin], admin)]))[0]!.status).toBe(Status.SUCCESS);
    await eventually(() => expect(peer.height(CHANNEL)).toBe(2));
    expect(sent).toEqual([4, 3, 2, 1, 0]);
    current = next;

    const ordered = await fetchBlock(client, admin, CHANNEL, 1);
    const gateway = gatewayFor(m.orgs[0], peerGrpc);
    try {
      const committed = Block.deserializeBinary(await gateway.getNetwork(CHANNEL).getContract('qscc').evaluateTransaction('GetBlockByNumber', CHANNEL, '1'));
      expect(Buffer.from(committed.getHeader()!.serializeBinary())).toEqual(Buffer.from(ordered.getHeader()!.serializeBinary()));
      expect(Buffer.from(getBlockMetadata(committed, BlockMetadataIndex.SIGNATURES))).toEqual(Buffer.from(getBlockMetadata(ordered, BlockMetadataIndex.SIGNATURES)));
    } finally {
      gateway.close();
    }
  });
});

/** cscc JoinChain's checks of the block it joins from (`validateConfigBlock`). */
describe('joining a channel', () => {
  let net: OnePeer;

  beforeAll(async () => {
    net = await startOnePeer('weft-peer-join-');
  }, 60_000);

  afterAll(() => net?.close());

  it('refuses a config block without an Application group, as Fabric', () => {
    const config = parseConfigBlock(channelGenesis(net, 'ordereronly', net.orgs)).config;
    config.getChannelGroup()!.getGroupsMap().del('Application');
    expect(() => net.peer.joinChannel(configBlockOf('ordereronly', config))).toThrow(/Application/);
    expect(net.peer.channelIds()).not.toContain('ordereronly');
    net.peer.joinChannel(configBlockOf('withapps', parseConfigBlock(channelGenesis(net, 'withapps', net.orgs)).config));
    expect(net.peer.channelIds()).toContain('withapps');
  });
});
