import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Contract } from '@hyperledger/fabric-gateway';
import { InstallChaincodeArgs } from '@hyperledger/fabric-protos/lib/peer/lifecycle/lifecycle_pb';
import { packageChaincode } from '../../../core/chaincode/packager';
import { RemoteEndorser } from '../../../core/peer/gateway/endorser-client';
import { renewOrgMember } from '../../../plugins/msp-x509/crypto-material/org-authority';
import { collectionPackage } from '../../support/lifecycle-collections';
import { peersInSync, startInProcessNetwork, type InProcessNetwork } from './in-process-network';
import { CHANNEL, PRIVATE_DIR, approve, commitDefinition, gatewayFor, peerClient, propose, signerOf } from './network-fixture';

const utf8 = new TextDecoder();

/**
 * Under mutual TLS a peer pulls private data over a connection presenting its TLS certificate, in
 * a Deliver request naming that certificate's hash (the serving peer refuses any other). Org1's
 * peer endorses alone and pushes nothing (`maximumPeerCount` 0), so Org2's peer pulls each
 * transaction's private data at commit. After Org2's peer renews and reloads its TLS certificate,
 * its pulls go on working: the connection and the hash it names change together.
 */
describe('private data pull across a certificate reload of the pulling peer', () => {
  let net: InProcessNetwork;
  let org1: Contract;
  let org2: Contract;

  /** Org1 writes `key` in `shared`, endorsed on its own peer only; both peers commit it. */
  const put = async (key: string, value: string): Promise<void> => {
    const proposal = org1.newProposal('Put', { arguments: ['shared', key], transientData: { value: Buffer.from(value) }, endorsingOrganizations: ['Org1MSP'] });
    expect((await (await (await proposal.endorse()).submit()).getStatus()).successful).toBe(true);
    await peersInSync(net.peers);
  };
  const readOnOrg2 = async (key: string): Promise<string> => utf8.decode(await org2.evaluate('Get', { arguments: ['shared', key], endorsingOrganizations: ['Org2MSP'] }));

  beforeAll(async () => {
    net = await startInProcessNetwork({ prefix: 'weft-pvt-pull-reload-', mutualTls: true, clients: false, peerSection: { privateData: { reconciliationEnabled: false, pullRetryThresholdMs: 5_000 } } });
    const { m, ports } = net;
    const built = await packageChaincode({ projectDir: PRIVATE_DIR, label: 'private_1' });
    for (const i of [0, 1] as const) {
      const admin = m.orgs[i].users.Admin!;
      const tls = { rootCerts: fs.readFileSync(m.orgs[i].tlsCaCertPath), certChain: fs.readFileSync(admin.tlsCertPath), privateKey: fs.readFileSync(admin.tlsKeyPath), serverNameOverride: 'localhost' };
      const endorser = new RemoteEndorser(`127.0.0.1:${ports[i]}`, m.orgs[i].mspId, tls);
      const args = new InstallChaincodeArgs();
      args.setChaincodeInstallPackage(built.packageBytes);
      try {
        expect((await propose(endorser, signerOf(m.orgs[i], 'Admin'), '', '_lifecycle', ['InstallChaincode', args.serializeBinary()])).response.status).toBe(200);
      } finally {
        endorser.close();
      }
    }
    const clientOf = (i: 0 | 1, user: string) => {
      const client = peerClient(m.orgs[i], ports[i], user);
      net.clients.push(client);
      const gateway = gatewayFor(m.orgs[i], client, user);
      net.gateways.push(gateway);
      return gateway;
    };
    const admins = [clientOf(0, 'Admin'), clientOf(1, 'Admin')] as const;
    const collections = collectionPackage({ name: 'shared', maximumPeerCount: 0 });
    const policy = "OR('Org1MSP.peer', 'Org2MSP.peer')";
    await Promise.all(admins.map((a) => approve(a, 'private', 1, built.packageId, false, CHANNEL, collections, policy)));
    await peersInSync(net.peers);
    await commitDefinition(admins[0], 'private', 1, false, CHANNEL, collections, policy);
    await peersInSync(net.peers);
    org1 = clientOf(0, 'User1').getNetwork(CHANNEL).getContract('private');
    org2 = clientOf(1, 'User1').getNetwork(CHANNEL).getContract('private');
  }, 120_000);

  afterAll(() => net?.close());

  it('pulls with the renewed TLS certificate after a reload', async () => {
    await put('before', 'pulled-with-first-certificate');
    expect(await readOnOrg2('before')).toBe('pulled-with-first-certificate');

    // Org2's peer gets new certificates (as `weft network renew` issues them) and reloads them.
    const org = net.m.orgs[1];
    const member = org.nodes.peer0!;
    const renewed = path.join(net.dir, 'renewed-peer0.org2');
    await renewOrgMember({ orgDir: org.orgDir, domain: org.domain }, member.dir, renewed);
    fs.renameSync(member.dir, `${renewed}.old`);
    fs.renameSync(renewed, member.dir);
    expect(net.peers[1]!.reloadCertificates()).toMatchObject({ result: 'reloaded', changed: expect.arrayContaining([expect.objectContaining({ certificate: 'tls_client' })]) });

    await put('after', 'pulled-with-renewed-certificate');
    expect(await readOnOrg2('after')).toBe('pulled-with-renewed-certificate');
  }, 60_000);
});
