import * as fs from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Status } from '@hyperledger/fabric-protos/lib/common/common_pb';
import type { Config } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { AtomicBroadcastClient } from '@hyperledger/fabric-protos/lib/orderer/ab_grpc_pb';
import { buildApplicationOrgGroup } from '../../../core/protocol/config-block';
import { parseConfigBlock } from '../../../core/protocol/config-parse';
import { tlsCertificateHash } from '../../../core/protocol/deliver-request';
import { generateOrg, loadMspConfig, type GeneratedOrg } from '../../../plugins/msp-x509';
import { broadcast, fetchBlock } from '../orderer/orderer-fixture';
import { configUpdate } from './config-updates';
import { startInProcessNetwork, type InProcessNetwork } from './in-process-network';
import { CHANNEL, eventually, signerOf } from './network-fixture';

/** A method no node serves: a call answers UNIMPLEMENTED once the TLS handshake took the client, UNAVAILABLE when it refused it. */
function probe(client: grpc.Client): Promise<grpc.status> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      '/weft.test.Probe/Ping',
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.alloc(0),
      { deadline: Date.now() + 5_000 },
      (err) => resolve(err?.code ?? grpc.status.OK),
    );
  });
}

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
  let orderer: AtomicBroadcastClient;
  const opened: grpc.Client[] = [];

  /** A new connection (never a shared subchannel) presenting Org3 User1's TLS certificate to a server of `serverCa`. */
  const org3Client = (port: number, serverCa: string): grpc.Client => {
    const user = org3.users.User1!;
    const creds = grpc.credentials.createSsl(fs.readFileSync(serverCa), fs.readFileSync(user.tlsKeyPath), fs.readFileSync(user.tlsCertPath));
    const client = new grpc.Client(`127.0.0.1:${port}`, creds, { 'grpc.ssl_target_name_override': 'localhost', 'grpc.use_local_subchannel_pool': 1 });
    opened.push(client);
    return client;
  };
  const peerPort = (): number => net.ports[0];
  const reach = async (): Promise<{ peer: grpc.status; orderer: grpc.status }> => ({
    peer: await probe(org3Client(peerPort(), net.m.orgs[0].tlsCaCertPath)),
    orderer: await probe(org3Client(net.ordererFiles.port, net.m.ordererOrg.tlsCaCertPath)),
  });
  /** Submits the update taking the channel from `current` to `next`, signed by both orgs' Admins, and waits for both peers to commit it. */
  const update = async (current: Config, next: Config): Promise<void> => {
    const admins = [signerOf(net.m.orgs[0], 'Admin'), signerOf(net.m.orgs[1], 'Admin')];
    const height = net.peers[0]!.height(CHANNEL);
    expect((await broadcast(orderer, [configUpdate(CHANNEL, current, next, admins, admins[0]!)]))[0]!.status).toBe(Status.SUCCESS);
    await eventually(() => expect(net.peers.map((p) => p.height(CHANNEL))).toEqual([height + 1, height + 1]));
  };
  const configAt = async (number: number): Promise<Config> => {
    const signer = signerOf(net.m.orgs[0], 'Admin');
    const block = await fetchBlock(orderer, signer, CHANNEL, number, tlsCertificateHash(fs.readFileSync(net.m.orgs[0].users.Admin!.tlsCertPath)));
    return parseConfigBlock(block.serializeBinary()).config;
  };

  beforeAll(async () => {
    net = await startInProcessNetwork({ prefix: 'weft-mtls-roots-', mutualTls: true, clients: false });
    org3 = await generateOrg({ domain: 'org3.example.com', mspId: 'Org3MSP', kind: 'peer', users: ['Admin', 'User1'] }, path.join(net.dir, 'org3'));
    const admin = net.m.orgs[0].users.Admin!;
    orderer = new AtomicBroadcastClient(
      `127.0.0.1:${net.ordererFiles.port}`,
      grpc.credentials.createSsl(fs.readFileSync(net.m.ordererOrg.tlsCaCertPath), fs.readFileSync(admin.tlsKeyPath), fs.readFileSync(admin.tlsCertPath)),
      { 'grpc.ssl_target_name_override': 'localhost' },
    );
  }, 120_000);

  afterAll(async () => {
    for (const c of opened) c.close();
    orderer?.close();
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
