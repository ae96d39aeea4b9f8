import * as fs from 'node:fs';
import type * as grpc from '@grpc/grpc-js';
import type { Gateway } from '@hyperledger/fabric-gateway';
import { InstallChaincodeArgs } from '@hyperledger/fabric-protos/lib/peer/lifecycle/lifecycle_pb';
import { packageChaincode } from '../../../core/chaincode/packager';
import { loadNodeConfig } from '../../../core/node/config';
import { loadOrdererConfig } from '../../../core/orderer/orderer-config';
import { OrdererNode } from '../../../core/orderer/orderer-node';
import { RemoteEndorser } from '../../../core/peer/gateway/endorser-client';
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
  joinOrderer,
  peerClient,
  propose,
  signerOf,
  tmpDir,
  writeOrdererConfig,
  writePeerConfig,
  type Material,
} from './network-fixture';

const utf8 = new TextDecoder();

describe('peers with mutual TLS', () => {
  let dir: string;
  let m: Material;
  let orderer: OrdererNode;
  const peers: PeerNode[] = [];
  const clients: grpc.Client[] = [];
  const gateways: Gateway[] = [];
  let ports: [number, number];

  beforeAll(async () => {
    dir = tmpDir('weft-peer-mtls-');
    m = await generateMaterial(dir);
    const [ordererPort, adminPort, p0, p1] = [await freePort(), await freePort(), await freePort(), await freePort()];
    ports = [p0, p1];
    const genesis = genesisBlock(m, ordererPort);
    orderer = new OrdererNode(loadOrdererConfig(writeOrdererConfig(m, ordererPort, adminPort).configFile));
    await orderer.start();
    expect(await joinOrderer(m, adminPort, genesis)).toBe(201);
    for (const i of [0, 1] as const) {
      const peer = new PeerNode(parsePeerConfig(loadNodeConfig(writePeerConfig(m, i, ports, await freePort(), { mutualTls: true }).configFile)));
      await peer.start();
      peer.joinChannel(genesis);
      peers.push(peer);
    }
  }, 120_000);

  afterAll(async () => {
    for (const g of gateways) g.close();
    for (const c of clients) c.close();
    for (const p of peers) await p.stop();
    await orderer?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a client without a certificate', async () => {
    const client = peerClient(m.orgs[0], ports[0]);
    clients.push(client);
    const gw = gatewayFor(m.orgs[0], client);
    gateways.push(gw);
    await expect(gw.getNetwork(CHANNEL).getContract('qscc').evaluateTransaction('GetChainInfo', CHANNEL)).rejects.toThrow();
  });

  it('serves clients with a certificate, and peers endorse for each other over mutual TLS', async () => {
    const built = await packageChaincode({ projectDir: KV_EVENTS_DIR, label: 'kv_1' });
    for (const i of [0, 1] as const) {
      const org = m.orgs[i];
      const admin = org.users.Admin;
      const endorser = new RemoteEndorser(`127.0.0.1:${ports[i]}`, org.mspId, {
        rootCerts: fs.readFileSync(org.tlsCaCertPath),
        certChain: fs.readFileSync(admin.tlsCertPath),
        privateKey: fs.readFileSync(admin.tlsKeyPath),
        serverNameOverride: 'localhost',
      });
      const args = new InstallChaincodeArgs();
      args.setChaincodeInstallPackage(built.packageBytes);
      const res = await propose(endorser, signerOf(org, 'Admin'), '', '_lifecycle', ['InstallChaincode', args.serializeBinary()]);
      endorser.close();
      expect(res.response.status).toBe(200);
    }
    for (const i of [0, 1] as const) clients.push(peerClient(m.orgs[i], ports[i], 'Admin'));
    const admins = [gatewayFor(m.orgs[0], clients[1], 'Admin'), gatewayFor(m.orgs[1], clients[2], 'Admin')];
    gateways.push(...admins);
    await approve(admins[0], 'kv', 1, built.packageId);
    await approve(admins[1], 'kv', 1, built.packageId);
    await eventually(() => commitDefinition(admins[0], 'kv', 1), 30_000);

    const user = peerClient(m.orgs[0], ports[0], 'User1');
    clients.push(user);
    const gw = gatewayFor(m.orgs[0], user);
    gateways.push(gw);
    const contract = gw.getNetwork(CHANNEL).getContract('kv');
    await contract.submitTransaction('Put', 'm', 'tls');
    expect(utf8.decode(await contract.evaluateTransaction('Get', 'm'))).toBe('tls');
  }, 120_000);
});
