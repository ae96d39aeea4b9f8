import * as fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { ChaincodeError, WeftError } from '../../../core/errors';
import { CLI_CLIENT_KEEPALIVE, type Keepalive, clientKeepaliveOptions } from '../../../core/node/grpc-keepalive';
import { CLI_DIAL_TIMEOUT_MS } from '../../../core/node/dial-timeouts';
import { boundDial } from '../../../core/node/grpc-dial-timeout';
import { buildProposal, signProposal } from '../../../core/protocol/proposal';
import { parseProposalResponse, type ParsedProposalResponse } from '../../../core/protocol/proposal-response';
import type { Signer } from '../../../core/protocol/signer';
import type { NodeLayout, UserLayout } from '../network/network-layout';
import { checkNodeServer } from './server-revocation';
import type { NetworkSpec } from '../network/network-spec';

const MAX_MESSAGE = 100 * 1024 * 1024;

/** How the CLI dials a node: over TLS or not, and under mutual TLS with which client certificate. */
export interface NodeTransport {
  readonly tls: boolean;
  /** The TLS client certificate and key presented when the network requires mutual TLS. */
  readonly client?: { readonly certPath: string; readonly keyPath: string };
}

/** The transport for acting as `user`: under mutual TLS it presents the user's `tls/client.crt`. */
export function transportFor(spec: Pick<NetworkSpec, 'tls' | 'mutualTls'>, user: Pick<UserLayout, 'tlsCertPath' | 'tlsKeyPath'>): NodeTransport {
  return { tls: spec.tls, ...(spec.mutualTls && { client: { certPath: user.tlsCertPath, keyPath: user.tlsKeyPath } }) };
}

/**
 * gRPC channel credentials for a node of the network: TLS with the node's CA (and a client
 * certificate), or plaintext; a connection not up within Fabric's `peer.client.connTimeout` is
 * dropped, and the calls waiting on it fail UNAVAILABLE naming the node ({@link boundDial}).
 */
export function nodeCredentials(node: Pick<NodeLayout, 'id' | 'mspDir' | 'tlsRootCertPath'>, transport: NodeTransport): grpc.ChannelCredentials {
  if (!transport.tls) return boundDial(grpc.credentials.createInsecure(), node.id, CLI_DIAL_TIMEOUT_MS);
  const client = transport.client;
  const credentials = grpc.credentials.createSsl(fs.readFileSync(node.tlsRootCertPath), client && fs.readFileSync(client.keyPath), client && fs.readFileSync(client.certPath), {
    checkServerIdentity: checkNodeServer(node),
  });
  return boundDial(credentials, node.id, CLI_DIAL_TIMEOUT_MS);
}

const identity = (b: Buffer): Buffer => b;

// grpc-js ends "No connection established. Last error: …" with ". Resolution note: " even when it has no note.
const EMPTY_RESOLUTION_NOTE = /\.? Resolution note: ?(?=$|[)\]\n])/gm;

/**
 * A gRPC error's text without the empty "Resolution note: " grpc-js appends to an unreachable
 * address's error; a note with words in it stays.
 */
export function grpcErrorText(text: string): string {
  return text.replace(EMPTY_RESOLUTION_NOTE, '');
}

/**
 * Talks to one peer's Endorser service with proposals signed by a client identity: what the CLI
 * needs for system chaincodes (`_lifecycle` install/queries, `cscc`, `qscc`), which are not
 * transactions.
 */
export class PeerClient {
  private readonly client: grpc.Client;

  constructor(
    readonly node: NodeLayout,
    transport: NodeTransport,
    /** A call on a connection that died silently fails within the keepalive, not at its own (longer) deadline. */
    keepalive: Keepalive = CLI_CLIENT_KEEPALIVE,
  ) {
    this.client = new grpc.Client(node.address, nodeCredentials(node, transport), {
      ...clientKeepaliveOptions(keepalive),
      'grpc.max_receive_message_length': MAX_MESSAGE,
      'grpc.max_send_message_length': MAX_MESSAGE,
      // The certificate names the node; dialling 127.0.0.1 must not send an IP as the TLS server name.
      'grpc.ssl_target_name_override': node.id,
      'grpc.default_authority': node.id,
    });
  }

  /** Sends one signed proposal; returns the parsed response. Throws when the peer is unreachable. */
  async propose(signer: Signer, channelId: string, chaincodeName: string, args: readonly (string | Uint8Array)[], timeoutMs = 60_000): Promise<ParsedProposalResponse> {
    const built = buildProposal({
      channelId,
      chaincodeName,
      args: args.map((a) => (typeof a === 'string' ? Buffer.from(a, 'utf8') : a)),
      creator: signer.serialized,
    });
    const signed = signProposal(built.proposalBytes, signer);
    const bytes = await this.unary('/protos.Endorser/ProcessProposal', signed, timeoutMs, (err) =>
      err.code === grpc.status.UNKNOWN
        ? // The peer refused the proposal before running it (Fabric's endorser answers those with an error).
          new WeftError('PROPOSAL_REJECTED', `peer ${this.node.id} refused the proposal: ${err.details}`, { peer: this.node.id })
        : new WeftError('PEER_UNREACHABLE', `peer ${this.node.id} (${this.node.address}) did not answer: ${grpcErrorText(err.details || err.message)}`, {
            peer: this.node.id,
            suggestions: ['is the network up? check with: weft network status <dir>', `see the peer's log: ${this.node.logFile}`],
          }),
    );
    return parseProposalResponse(bytes);
  }

  /** Like {@link propose}, but a status ≥ 400 throws with the chaincode's message verbatim. */
  async call(signer: Signer, channelId: string, chaincodeName: string, args: readonly (string | Uint8Array)[]): Promise<Uint8Array> {
    const r = await this.propose(signer, channelId, chaincodeName, args);
    if (r.response.status >= 400) {
      const fn = typeof args[0] === 'string' ? args[0] : '';
      throw new ChaincodeError('PROPOSAL_FAILED', `${chaincodeName}${fn ? ` ${fn}` : ''} on ${this.node.id} failed (status ${r.response.status}): ${r.response.message}`, {
        peer: this.node.id,
        status: r.response.status,
      });
    }
    return r.response.payload;
  }

  /** Sends a `discovery.SignedRequest`; resolves with the `discovery.Response` bytes. */
  discover(signedRequest: Uint8Array, timeoutMs = 30_000): Promise<Uint8Array> {
    return this.unary('/discovery.Discovery/Discover', signedRequest, timeoutMs, (err) =>
      err.code === grpc.status.UNKNOWN
        ? new WeftError('DISCOVERY_REFUSED', `peer ${this.node.id} refused the discovery request: ${err.details}`, { peer: this.node.id })
        : new WeftError('PEER_UNREACHABLE', `peer ${this.node.id} (${this.node.address}) did not answer the discovery request: ${grpcErrorText(err.details || err.message)}`, { peer: this.node.id }),
    );
  }

  /**
   * One call of Fabric's `protos.Snapshot` service with a `SignedSnapshotRequest` (see
   * `snapshot-requests.ts`); resolves with the response bytes (`google.protobuf.Empty` for Generate
   * and Cancel, `QueryPendingSnapshotsResponse` for QueryPendings). The peer answers what it refuses
   * (not an admin, unknown channel, block below the height, duplicate) with status UNKNOWN and
   * Fabric's text, passed on verbatim.
   */
  snapshot(method: 'Generate' | 'Cancel' | 'QueryPendings', signedRequest: Uint8Array, timeoutMs = 30_000): Promise<Uint8Array> {
    return this.unary(`/protos.Snapshot/${method}`, signedRequest, timeoutMs, (err) => {
      if (err.code === grpc.status.UNKNOWN) {
        return new WeftError('SNAPSHOT_REQUEST_REFUSED', `peer ${this.node.id} refused the snapshot ${method} request: ${err.details}`, { peer: this.node.id, method });
      }
      if (err.code === grpc.status.UNIMPLEMENTED) {
        return new WeftError('SNAPSHOT_UNSUPPORTED', `peer ${this.node.id} does not serve ledger snapshots (protos.Snapshot/${method}: ${err.details || 'unimplemented'})`, {
          peer: this.node.id,
          suggestions: ['the peer runs a Weft without snapshot support: upgrade it and restart (weft network up <dir>)'],
        });
      }
      return new WeftError('PEER_UNREACHABLE', `peer ${this.node.id} (${this.node.address}) did not answer the snapshot ${method} request: ${grpcErrorText(err.details || err.message)}`, {
        peer: this.node.id,
        suggestions: ['is the network up? check with: weft network status <dir>', `see the peer's log: ${this.node.logFile}`],
      });
    });
  }

  /** One unary call with raw bytes each way; a gRPC error becomes what `failure` makes of it. */
  private unary(method: string, request: Uint8Array, timeoutMs: number, failure: (err: grpc.ServiceError) => Error): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(method, identity, identity, Buffer.from(request), new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, value) => {
        if (err) reject(failure(err));
        else resolve(value!);
      });
    });
  }

  close(): void {
    this.client.close();
  }
}

/**
 * Runs `fn` with a client of `peer` for acting as `identity` (whose TLS client certificate it
 * presents under mutual TLS), and closes the client afterwards.
 */
export async function withPeerClient<T>(
  spec: Pick<NetworkSpec, 'tls' | 'mutualTls'>,
  peer: NodeLayout,
  identity: { readonly user: Pick<UserLayout, 'tlsCertPath' | 'tlsKeyPath'> },
  fn: (client: PeerClient) => Promise<T>,
): Promise<T> {
  const client = new PeerClient(peer, transportFor(spec, identity.user));
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}
