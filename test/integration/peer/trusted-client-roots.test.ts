import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Config } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { buildApplicationOrgGroup } from '../../../core/protocol/config-block';
import { generateOrg, loadMspConfig, type GeneratedOrg } from '../../../plugins/msp-x509';
import { startInProcessNetwork, type InProcessNetwork } from './in-process-network';
import { ChannelAdmin, probe, tlsClientOf } from './mutual-tls-fixture';
import { signerOf } from './network-fixture';

/**
 * A peer and an orderer under mutual TLS take client TLS certificates from the CAs of the orgs in
 * their channels' configs, as Fabric's `updateTrustedRoots` does: Org3's CA is in no channel and in
 * no node's YAML, so its users are refused at the handshake; once a config block adds Org3 to the
 * channel, the same client connects to both (no restart, no YAML edit); once another removes it,
 * new connections are refused again, while one opened before stays up (its calls still meet the
 * per-request MSP checks).
 */
describe('mutual TLS: client roots follow the channel config', () => {
  let net: InProcessNetwork;
  let org3: GeneratedOrg;
  let admin: ChannelAdmin;
  const opened: grpc.Client[] = [];

  /** A new connection presenting Org3 User1's TLS certificate to a server of `serverCa`. */
  const org3Client = (port: number, serverCa: string): grpc.Client => {
    const client = tlsClientOf(org3.users.User1!, port, serverCa);
    opened.push(client);
    return client;
  };
  const peerPort = (): number => net.ports[0];
  const reach = async (): Promise<{ peer: grpc.status; orderer: grpc.status }> => ({
    peer: await probe(org3Client(peerPort(), net.m.orgs[0].tlsCaCertPath)),
    orderer: await probe(org3Client(net.ordererFiles.port, net.m.ordererOrg.tlsCaCertPath)),
  });
  /** Submits the update taking the channel from `current` to `next`, signed by both orgs' Admins, and waits for both peers to commit it. */
  const update = (current: Config, next: Config): Promise<void> => admin.update(current, next, [signerOf(net.m.orgs[0], 'Admin'), signerOf(net.m.orgs[1], 'Admin')]);
  const configAt = (number: number): Promise<Config> => admin.configAt(number);

  beforeAll(async () => {
    net = await startInProcessNetwork({ prefix: 'weft-mtls-roots-', mutualTls: true, clients: false });
    org3 = await generateOrg({ domain: 'org3.example.com', mspId: 'Org3MSP', kind: 'peer', users: ['Admin', 'User1'] }, path.join(net.dir, 'org3'));
    admin = new ChannelAdmin(net);
  }, 120_000);

  afterAll(async () => {
    for (const c of opened) c.close();
    admin?.close();
    await net?.close();
  });

  it('refuses an org in no channel, takes it once a config block adds it, refuses new connections once another removes it', async () => {
    const refused = { peer: grpc.status.UNAVAILABLE, orderer: grpc.status.UNAVAILABLE };
    const taken = { peer: grpc.status.UNIMPLEMENTED, orderer: grpc.status.UNIMPLEMENTED };
    expect(await reach()).toEqual(refused);

    const genesis = await configAt(0);
    const withOrg3 = genesis.clone();
    withOrg3
      .getChannelGroup()!
      .getGroupsMap()
      .get('Application')!
      .getGroupsMap()
      .set('Org3MSP', buildApplicationOrgGroup({ mspId: 'Org3MSP', mspConfig: loadMspConfig(org3.mspDir, 'Org3MSP'), anchorPeers: [] }));
    await update(genesis, withOrg3);
    // The orderer applied the config before writing the block the peers committed.
    expect(await reach()).toEqual(taken);

    // A connection opened while Org3 is a member, kept across its removal.
    const kept = org3Client(peerPort(), net.m.orgs[0].tlsCaCertPath);
    expect(await probe(kept)).toBe(grpc.status.UNIMPLEMENTED);

    const added = await configAt(1);
    const without = added.clone();
    without.getChannelGroup()!.getGroupsMap().get('Application')!.getGroupsMap().del('Org3MSP');
    await update(added, without);
    expect(await reach()).toEqual(refused);
    // As in Fabric, the new roots apply to handshakes: an open connection is not cut.
    expect(await probe(kept)).toBe(grpc.status.UNIMPLEMENTED);
  }, 90_000);
});
