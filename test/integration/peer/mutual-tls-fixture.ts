import * as fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { Status } from '@hyperledger/fabric-protos/lib/common/common_pb';
import type { Config } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { AtomicBroadcastClient } from '@hyperledger/fabric-protos/lib/orderer/ab_grpc_pb';
import { parseConfigBlock } from '../../../core/protocol/config-parse';
import { tlsCertificateHash } from '../../../core/protocol/deliver-request';
import type { Signer } from '../../../core/protocol/signer';
import type { GeneratedMember } from '../../../plugins/msp-x509';
import { broadcast, fetchBlock } from '../orderer/orderer-fixture';
import { configUpdate } from './config-updates';
import type { InProcessNetwork } from './in-process-network';
import { CHANNEL, eventually, signerOf } from './network-fixture';

/**
 * What the tests of TLS under a changing channel config share, on an {@link InProcessNetwork}
 * started with `mutualTls`: probing whether a node takes a client's TLS certificate, reading the
 * channel config and submitting config updates over the orderer as Org1's Admin.
 */

/** A method no node serves: UNIMPLEMENTED once the server took the connection, UNAVAILABLE when it refused or closed it. */
export function probe(client: grpc.Client): Promise<grpc.status> {
  return new Promise((resolve) => {
    client.makeUnaryRequest('/weft.test.Probe/Ping', (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), { deadline: Date.now() + 5_000 }, (err) => resolve(err?.code ?? grpc.status.OK));
  });
}

/** A new connection (own subchannel, never a shared one) presenting `member`'s TLS certificate to the server on `port` whose TLS CA is `serverCa`. */
export function tlsClientOf(member: GeneratedMember, port: number, serverCa: string): grpc.Client {
  const creds = grpc.credentials.createSsl(fs.readFileSync(serverCa), fs.readFileSync(member.tlsKeyPath), fs.readFileSync(member.tlsCertPath));
  return new grpc.Client(`127.0.0.1:${port}`, creds, { 'grpc.ssl_target_name_override': 'localhost', 'grpc.use_local_subchannel_pool': 1 });
}

/** Reads and updates the channel config of `net` through its orderer, as Org1's Admin (its TLS certificate too). */
export class ChannelAdmin {
  readonly orderer: AtomicBroadcastClient;

  constructor(private readonly net: InProcessNetwork) {
    const admin = net.m.orgs[0].users.Admin!;
    this.orderer = new AtomicBroadcastClient(
      `127.0.0.1:${net.ordererFiles.port}`,
      grpc.credentials.createSsl(fs.readFileSync(net.m.ordererOrg.tlsCaCertPath), fs.readFileSync(admin.tlsKeyPath), fs.readFileSync(admin.tlsCertPath)),
      { 'grpc.ssl_target_name_override': 'localhost' },
    );
  }

  /** The config of the config block at `number`. */
  async configAt(number: number): Promise<Config> {
    const org1 = this.net.m.orgs[0];
    const block = await fetchBlock(this.orderer, signerOf(org1, 'Admin'), CHANNEL, number, tlsCertificateHash(fs.readFileSync(org1.users.Admin!.tlsCertPath)));
    return parseConfigBlock(block.serializeBinary()).config;
  }

  /**
   * Submits the update from `current` to `next` signed by `signers` (the first submits) and waits
   * for the peers at `waitFor` (indexes in `net.peers`; all by default) to commit it.
   */
  async update(current: Config, next: Config, signers: readonly Signer[], waitFor: readonly number[] = this.net.peers.map((_, i) => i)): Promise<void> {
    const peers = waitFor.map((i) => this.net.peers[i]!);
    const heights = peers.map((p) => p.height(CHANNEL) + 1);
    expect((await broadcast(this.orderer, [configUpdate(CHANNEL, current, next, signers, signers[0]!)]))[0]).toMatchObject({ status: Status.SUCCESS });
    await eventually(() => expect(peers.map((p) => p.height(CHANNEL))).toEqual(heights));
  }

  close(): void {
    this.orderer.close();
  }
}
