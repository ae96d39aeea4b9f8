import * as fs from 'node:fs';
import type * as grpc from '@grpc/grpc-js';
import type { Gateway } from '@hyperledger/fabric-gateway';
import { InstallChaincodeArgs } from '@hyperledger/fabric-protos/lib/peer/lifecycle/lifecycle_pb';
import { packageChaincode } from '../../../core/chaincode/packager';
import { RemoteEndorser } from '../../../core/peer/gateway/endorser-client';
import { tlsCertificateHash } from '../../../core/protocol/deliver-request';
import { peersInSync, startInProcessNetwork, type InProcessNetwork } from './in-process-network';
import { CHANNEL, KV_EVENTS_DIR, approve, commitDefinition, gatewayFor, peerClient, propose, signerOf, type Material } from './network-fixture';

const utf8 = new TextDecoder();

describe('peers with mutual TLS', () => {
  let net: InProcessNetwork;
  let m: Material;
  let clients: grpc.Client[];
  let gateways: Gateway[];
  let ports: [number, number];

  beforeAll(async () => {
    net = await startInProcessNetwork({ prefix: 'weft-peer-mtls-', mutualTls: true, clients: false });
    ({ m, clients, gateways, ports } = net);
  }, 120_000);

  afterAll(() => net?.close());

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
    await peersInSync(net.peers);
    await commitDefinition(admins[0], 'kv', 1);
    await peersInSync(net.peers);

    const user = peerClient(m.orgs[0], ports[0], 'User1');
    clients.push(user);
    const gw = gatewayFor(m.orgs[0], user);
    gateways.push(gw);
    const contract = gw.getNetwork(CHANNEL).getContract('kv');
    await contract.submitTransaction('Put', 'm', 'tls');
    expect(utf8.decode(await contract.evaluateTransaction('Get', 'm'))).toBe('tls');
  }, 120_000);

  it('delivers block events only to a client that names its TLS certificate, as Fabric binds Deliver under mutual TLS', async () => {
    const user = peerClient(m.orgs[0], ports[0], 'User1');
    clients.push(user);
    const firstBlock = async (gateway: Gateway): Promise<bigint> => {
      const events = await gateway.getNetwork(CHANNEL).getBlockEvents({ startBlock: 0n });
      try {
        for await (const block of events) return block.getHeader()!.getNumber() === 0 ? 0n : -1n;
        return -1n;
      } finally {
        events.close();
      }
    };
    const unbound = gatewayFor(m.orgs[0], user);
    const bound = gatewayFor(m.orgs[0], user, 'User1', tlsCertificateHash(fs.readFileSync(m.orgs[0].users.User1.tlsCertPath)));
    gateways.push(unbound, bound);
    await expect(firstBlock(unbound)).rejects.toThrow(/BAD_REQUEST|400/);
    expect(await firstBlock(bound)).toBe(0n);
  });
});
