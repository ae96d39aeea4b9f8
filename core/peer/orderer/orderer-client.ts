import * as grpc from '@grpc/grpc-js';
import { refuseRevokedServer, type TlsRevocations } from '../../node/tls-revocation';
import { tlsCertificateHash } from '../../protocol/deliver-request';
import { NODE_CLIENT_KEEPALIVE, clientKeepaliveOptions } from '../../node/grpc-keepalive';
import { boundDial } from '../../node/grpc-dial-timeout';
import { DEFAULT_DELIVERY_TIMINGS } from './delivery-timings';
import { AtomicBroadcastDef } from '../grpc/raw-service';
import { DialledTlsConnections } from '../dialled-tls-connections';

/** TLS settings for dialling a node (orderer or peer). */
export interface ClientTls {
  /** PEM roots the server certificate must chain to; undefined = plaintext. */
  readonly rootCerts?: Buffer;
  /** Client certificate and key (mutual TLS). */
  readonly certChain?: Buffer;
  readonly privateKey?: Buffer;
  /** TLS server name to expect, when the address is an IP that the certificate does not name. */
  readonly serverNameOverride?: string;
  /**
   * The TLS certificates the channel configs revoke, read at each handshake (so a reconnection
   * after a config block adds a CRL sees it): a server presenting one is refused, and
   * `onRevoked` told why.
   */
  readonly revocations?: () => TlsRevocations;
  readonly onRevoked?: (reason: string) => void;
}

/**
 * Channel credentials and options for grpc-js to dial the node at `dial.address` with
 * {@link ClientTls}: each connection must be up within `dial.timeoutMs` ({@link boundDial}); TLS
 * connections are recorded in `connections` when given.
 */
export function clientCredentials(
  tls: ClientTls,
  dial: { readonly address: string; readonly timeoutMs: number },
  connections?: DialledTlsConnections,
): { credentials: grpc.ChannelCredentials; options: grpc.ChannelOptions } {
  const options: grpc.ChannelOptions = {
    'grpc.max_receive_message_length': 100 * 1024 * 1024,
    'grpc.max_send_message_length': 100 * 1024 * 1024,
    ...clientKeepaliveOptions(NODE_CLIENT_KEEPALIVE),
    'grpc.enable_channelz': 0,
    // grpc-js backs off up to 120 s between attempts to reach a node that was down: a peer would
    // then find a restarted orderer (or peer) minutes late. The puller's own retry bound instead.
    'grpc.max_reconnect_backoff_ms': 5_000,
  };
  if (tls.rootCerts === undefined) return { credentials: boundDial(grpc.credentials.createInsecure(), dial.address, dial.timeoutMs), options };
  if (tls.serverNameOverride !== undefined) options['grpc.ssl_target_name_override'] = tls.serverNameOverride;
  const { revocations, onRevoked } = tls;
  // grpc-js applies the name override to the host it passes.
  const verify: grpc.VerifyOptions = revocations === undefined ? {} : { checkServerIdentity: refuseRevokedServer(revocations, onRevoked) };
  const credentials = grpc.credentials.createSsl(tls.rootCerts, tls.privateKey ?? null, tls.certChain ?? null, verify);
  return { credentials: boundDial(connections === undefined ? credentials : connections.credentials(credentials), dial.address, dial.timeoutMs), options };
}

type RawDuplex = grpc.ClientDuplexStream<Uint8Array, Buffer>;

interface AtomicBroadcastClient extends grpc.Client {
  broadcast(): RawDuplex;
  deliver(): RawDuplex;
}

const AtomicBroadcastClientCtor = grpc.makeGenericClientConstructor(AtomicBroadcastDef, 'AtomicBroadcast') as unknown as new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options: grpc.ChannelOptions,
) => AtomicBroadcastClient;

/**
 * A connection to one orderer's `orderer.AtomicBroadcast` service (raw bytes in and out), with the
 * client certificate it was made with: every handshake it makes, reconnections included, presents
 * that one, so {@link tlsCertHash} is the TLS binding of any stream on it.
 */
export class OrdererClient {
  private readonly client: AtomicBroadcastClient;
  /** SHA-256 of the client certificate this connection presents (Fabric's Deliver TLS binding); undefined without one. */
  readonly tlsCertHash: Uint8Array | undefined;
  private retiredListeners: Set<() => void> | undefined = new Set();
  /** Its TLS connection, with the orderer's certificate as its handshake saw it. */
  readonly connections = new DialledTlsConnections();

  constructor(
    readonly address: string,
    tls: ClientTls,
    /** How long a connection may take to come up (Fabric's `peer.deliveryclient.connTimeout`, `peer.client.connTimeout`: 3s). */
    dialTimeoutMs = DEFAULT_DELIVERY_TIMINGS.connTimeoutMs,
  ) {
    const { credentials, options } = clientCredentials(tls, { address, timeoutMs: dialTimeoutMs }, this.connections);
    this.client = new AtomicBroadcastClientCtor(address, credentials, options);
    this.tlsCertHash = tls.certChain === undefined ? undefined : tlsCertificateHash(tls.certChain);
  }

  /**
   * Calls `listener` once this connection is replaced by one with another client certificate (a
   * certificate reload), at once if it was already: a long stream on it should move to the new one
   * before this certificate expires. Returns the unsubscribe.
   */
  onRetired(listener: () => void): () => void {
    const listeners = this.retiredListeners;
    if (listeners === undefined) {
      listener();
      return () => undefined;
    }
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  /** Tells the streams on it to move (see {@link onRetired}); the connection stays open for the calls under way until {@link close}. */
  retire(): void {
    const listeners = this.retiredListeners;
    this.retiredListeners = undefined;
    for (const listener of listeners ?? []) listener();
  }

  broadcast(): RawDuplex {
    return this.client.broadcast();
  }

  deliver(): RawDuplex {
    return this.client.deliver();
  }

  /**
   * Resolves true once the connection is up (TCP, TLS and the server's HTTP/2 settings), false when
   * the attempt fails or `timeoutMs` passes first. grpc-js has no connect timeout of its own: a
   * stream opened on an address that never answers (a firewalled host, a server that accepts and
   * never speaks) waits for the dial timeout this client was made with ({@link boundDial}). Fabric dials with a timeout and fails at once on a refused connection (`WithBlock`,
   * `FailOnNonTempDialError`). An attempt that failed lately answers false at once: grpc-js waits
   * its backoff before dialling again.
   */
  ready(timeoutMs: number): Promise<boolean> {
    const channel = this.client.getChannel();
    const deadline = Date.now() + timeoutMs;
    return new Promise((resolve) => {
      const check = (): void => {
        const state = channel.getConnectivityState(true);
        if (state === grpc.connectivityState.READY) return resolve(true);
        if (state === grpc.connectivityState.TRANSIENT_FAILURE || state === grpc.connectivityState.SHUTDOWN) return resolve(false);
        channel.watchConnectivityState(state, deadline, (err) => (err === undefined ? check() : resolve(false)));
      };
      check();
    });
  }

  close(): void {
    this.client.close();
  }

  /**
   * Closes the connection now, failing the streams on it UNAVAILABLE (a Deliver stream, the
   * broadcasts under way), which {@link close} lets finish: its orderer's TLS certificate was
   * revoked. A block puller's stream ends in error and it dials anew, under the check.
   */
  cut(): void {
    this.client.close();
    this.connections.cut();
  }
}
