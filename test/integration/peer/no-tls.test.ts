import * as fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import type { Gateway } from '@hyperledger/fabric-gateway';
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
  tmpDir,
  writeOrdererConfig,
  writePeerConfig,
  type Material,
} from './network-fixture';

const utf8 = new TextDecoder();

/**
 * What `weft network init --no-tls` builds: peers serving plaintext while the orderer, as always,
 * serves TLS. The peers must still pull blocks and broadcast over TLS, trusting the orderer org's
 * TLS roots from the channel config (no extra roots configured here).
 */
describe('a network whose peers run without TLS (the orderer keeps TLS)', () => {
  let dir: string;
  let m: Material;
  let orderer: OrdererNode;
  const peers: PeerNode[] = [];
  const clients: grpc.Client[] = [];
  const gateways: Gateway[] = [];
  let ports: [number, number];

  beforeAll(async () => {
    dir = tmpDir('weft-peer-notls-');
    m = await generateMaterial(dir);
    const [ordererPort, adminPort, p0, p1] = [await freePort(), await freePort(), await freePort(), await freePort()];
    ports = [p0, p1];
    const genesis = genesisBlock(m, ordererPort);
    orderer = new OrdererNode(loadOrdererConfig(writeOrdererConfig(m, ordererPort, adminPort).configFile));
    await orderer.start();
    expect(await joinOrderer(m, adminPort, genesis)).toBe(201);
    for (const i of [0, 1] as const) {
      const files = writePeerConfig(m, i, ports, await freePort(), { tls: false });
      const config = parsePeerConfig(loadNodeConfig(files.configFile));
      expect(config.peer.tls.enabled).toBe(false);
      expect(config.peer.ordererTlsRootCertFiles).toEqual([]);
      const peer = new PeerNode(config);
      await peer.start();
      peer.joinChannel(genesis);
      peers.push(peer);
      clients.push(new grpc.Client(`127.0.0.1:${ports[i]}`, grpc.credentials.createInsecure()));
    }
  }, 120_000);

  afterAll(async () => {
    for (const g of gateways) g.close();
    for (const c of clients) c.close();
    for (const p of peers) await p.stop();
    await orderer?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('deploys a chaincode and commits a transaction on both peers', async () => {
    const built = await packageChaincode({ projectDir: KV_EVENTS_DIR, label: 'kv_1' });
    for (const i of [0, 1] as const) expect(await install(m.orgs[i], ports[i], built.packageBytes, false)).toBe(built.packageId);
    const admins = [gatewayFor(m.orgs[0], clients[0], 'Admin'), gatewayFor(m.orgs[1], clients[1], 'Admin')];
    gateways.push(...admins);
    await Promise.all(admins.map((a) => approve(a, 'kv', 1, built.packageId)));
    await commitDefinition(admins[0], 'kv', 1);

    const user = gatewayFor(m.orgs[0], clients[0]);
    gateways.push(user);
    const contract = user.getNetwork(CHANNEL).getContract('kv');
    expect(utf8.decode(await contract.submitTransaction('Put', 'a', 'apple'))).toBe('apple');
    expect(utf8.decode(await contract.evaluateTransaction('Get', 'a'))).toBe('apple');
    await eventually(() => expect(peers[1].height(CHANNEL)).toBe(peers[0].height(CHANNEL)));
    const other = gatewayFor(m.orgs[1], clients[1]);
    gateways.push(other);
    expect(utf8.decode(await other.getNetwork(CHANNEL).getContract('kv').evaluateTransaction('Get', 'a'))).toBe('apple');
  }, 120_000);
});
