import * as fs from 'node:fs';
import type * as grpc from '@grpc/grpc-js';
import { type Gateway, GatewayError } from '@hyperledger/fabric-gateway';
import { packageChaincode } from '../../../core/chaincode/packager';
import { loadNodeConfig } from '../../../core/node/config';
import { loadOrdererConfig } from '../../../core/orderer/orderer-config';
import { OrdererNode } from '../../../core/orderer/orderer-node';
import { parsePeerConfig } from '../../../core/peer/peer-config';
import { PeerNode } from '../../../core/peer/peer-node';
import {
  CHANNEL,
  KV_EVENTS_DIR,
  approve,
  commitDefinition,
  eventually,
  freePort,
  gatewayFor,
  generateMaterial,
  genesisBlock,
  install,
  joinOrderer,
  peerClient,
  tmpDir,
  writeOrdererConfig,
  writePeerConfig,
  type Material,
} from './network-fixture';

const utf8 = new TextDecoder();

describe('a 2-org Weft network in one process (orderer + two peers, TLS, MAJORITY)', () => {
  let dir: string;
  let m: Material;
  let orderer: OrdererNode;
  const peers: PeerNode[] = [];
  const clients: grpc.Client[] = [];
  const gateways: Gateway[] = [];
  let ports: [number, number];

  beforeAll(async () => {
    dir = tmpDir('weft-peer-net-');
    m = await generateMaterial(dir);
    const [ordererPort, adminPort, p0, p1] = [await freePort(), await freePort(), await freePort(), await freePort()];
    ports = [p0, p1];
    const genesis = genesisBlock(m, ordererPort);
    orderer = new OrdererNode(loadOrdererConfig(writeOrdererConfig(m, ordererPort, adminPort).configFile));
    await orderer.start();
    expect(await joinOrderer(m, adminPort, genesis)).toBe(201);
    for (const i of [0, 1] as const) {
      const files = writePeerConfig(m, i, ports, await freePort());
      const peer = new PeerNode(parsePeerConfig(loadNodeConfig(files.configFile)));
      await peer.start();
      peer.joinChannel(genesis);
      peers.push(peer);
    }
    for (const i of [0, 1] as const) clients.push(peerClient(m.orgs[i], ports[i]));
  }, 120_000);

  afterAll(async () => {
    for (const g of gateways) g.close();
    for (const c of clients) c.close();
    for (const p of peers) await p.stop();
    await orderer?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('joins both peers to the channel at height 1', () => {
    expect(peers.map((p) => p.channelIds())).toEqual([[CHANNEL], [CHANNEL]]);
    expect(peers.map((p) => p.height(CHANNEL))).toEqual([1, 1]);
  });

  it('installs, approves (each org) and commits a chaincode, then submits and evaluates through the Gateway', async () => {
    const built = await packageChaincode({ projectDir: KV_EVENTS_DIR, label: 'kv_1' });
    const ids = [await install(m.orgs[0], ports[0], built.packageBytes), await install(m.orgs[1], ports[1], built.packageBytes)];
    expect(ids).toEqual([built.packageId, built.packageId]);

    const admins = [gatewayFor(m.orgs[0], clients[0], 'Admin'), gatewayFor(m.orgs[1], clients[1], 'Admin')];
    gateways.push(...admins);
    await approve(admins[0], 'kv', 1, built.packageId);
    await approve(admins[1], 'kv', 1, built.packageId);
    await commitDefinition(admins[0], 'kv', 1);

    const user = gatewayFor(m.orgs[0], clients[0]);
    gateways.push(user);
    const contract = user.getNetwork(CHANNEL).getContract('kv');
    const result = await contract.submitTransaction('Put', 'a', 'apple');
    expect(utf8.decode(result)).toBe('apple');
    expect(utf8.decode(await contract.evaluateTransaction('Get', 'a'))).toBe('apple');

    // The other org's peer commits the same blocks.
    await eventually(() => expect(peers[1].height(CHANNEL)).toBe(peers[0].height(CHANNEL)));
    const other = gatewayFor(m.orgs[1], clients[1]);
    gateways.push(other);
    expect(utf8.decode(await other.getNetwork(CHANNEL).getContract('kv').evaluateTransaction('Get', 'a'))).toBe('apple');
  }, 120_000);

  it('returns a chaincode error message verbatim in the Gateway error details', async () => {
    const contract = gateways[2].getNetwork(CHANNEL).getContract('kv');
    const err = await contract.evaluateTransaction('Fail', 'the asset is locked').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    const details = (err as GatewayError).details;
    expect(details).toHaveLength(1);
    expect(details[0]).toMatchObject({ mspId: 'Org1MSP' });
    expect(details[0].message).toContain('the asset is locked');

    const submitErr = await contract.submitTransaction('Fail', 'no endorsement for you').catch((e: unknown) => e);
    expect(submitErr).toBeInstanceOf(GatewayError);
    expect((submitErr as GatewayError).details[0].message).toContain('no endorsement for you');
  }, 60_000);
});
