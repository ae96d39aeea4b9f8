import * as grpc from '@grpc/grpc-js';
import { connect, hash, type ConnectOptions, type Gateway } from '@hyperledger/fabric-gateway';
import { CLI_CLIENT_KEEPALIVE, type Keepalive, clientKeepaliveOptions } from '../../../core/node/grpc-keepalive';
import type { NetworkLayout, NodeLayout } from '../network/network-layout';
import type { ClientIdentity } from './client-identity';
import { nodeCredentials, transportFor } from './peer-client';

/**
 * A Fabric Gateway connection (the official `@hyperledger/fabric-gateway` client) through a peer
 * of the identity's org: what applications use, and what the CLI uses for transactions.
 */
export class GatewaySession {
  readonly gateway: Gateway;
  private readonly client: grpc.Client;

  constructor(
    layout: NetworkLayout,
    readonly identity: ClientIdentity,
    readonly peer: NodeLayout = gatewayPeerFor(layout, identity.user.mspId),
    /** Pings that fail an event stream whose connection died silently, so a watch reconnects. */
    keepalive: Keepalive = CLI_CLIENT_KEEPALIVE,
  ) {
    this.client = new grpc.Client(peer.address, nodeCredentials(peer, transportFor(layout.spec, identity.user)), {
      'grpc.ssl_target_name_override': peer.id,
      'grpc.default_authority': peer.id,
      ...clientKeepaliveOptions(keepalive),
    });
    this.gateway = connect({
      client: this.client,
      identity: { mspId: identity.user.mspId, credentials: identity.certPem },
      ...gatewaySigning(identity),
      evaluateOptions: () => ({ deadline: Date.now() + 30_000 }),
      endorseOptions: () => ({ deadline: Date.now() + 60_000 }),
      submitOptions: () => ({ deadline: Date.now() + 30_000 }),
      commitStatusOptions: () => ({ deadline: Date.now() + 120_000 }),
    });
  }

  /**
   * Resolves once the connection to the peer is up, rejects when it is not by `deadline` (ms since
   * the epoch): an event stream opened on a connection that is down fails only at its first read.
   */
  ready(deadline: number): Promise<void> {
    return new Promise((resolve, reject) => this.client.waitForReady(deadline, (err) => (err === undefined ? resolve() : reject(err))));
  }

  close(): void {
    this.gateway.close();
    this.client.close();
  }
}

/**
 * How the Gateway client signs as `identity`: through its MSP signer, which hashes the message
 * itself (SHA-256) and may sign in a PKCS#11 token, so the client hands it the message unhashed.
 */
export function gatewaySigning(identity: Pick<ClientIdentity, 'signer'>): Pick<ConnectOptions, 'signer' | 'hash'> {
  return { signer: (message) => Promise.resolve(identity.signer.sign(message)), hash: hash.none };
}

/** The first peer of the org with this MSP ID. */
export function gatewayPeerFor(layout: NetworkLayout, mspId: string): NodeLayout {
  const peer = layout.peers().find((p) => p.mspId === mspId);
  if (peer === undefined) throw new Error(`no peer for ${mspId}`);
  return peer;
}
