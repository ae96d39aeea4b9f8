import * as fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../../node/logger';
import { ProtocolError, wireErrorText } from '../../errors';
import { clientCertificateHash } from '../../node/client-certificate';
import type { TrustedClientRoots } from '../../node/trusted-client-roots';
import { refuseRevokedTlsClients } from '../../node/tls-client-revocation';
import { ServerTlsIdentity } from '../../node/reloadable-identity';
import { type DeliverKind, type DeliverService, type DeliverSink, DeliverStatus } from '../deliver/deliver-service';
import type { Endorser } from '../endorser/endorser';
import { ProposalRejectedError } from '../endorser/proposal-checks';
import type { GatewayService } from '../gateway/gateway-service';
import type { TlsFiles } from '../peer-config';
import { SendBudget } from '../../node/grpc-send-budget';
import { DEFAULT_CONNECTION_TIMEOUT_MS, enforceConnectionTimeout } from '../../node/grpc-connection-timeout';
import { DEFAULT_SERVER_KEEPALIVE, type Keepalive, serverKeepaliveOptions } from '../../node/grpc-keepalive';
import { ConcurrencyLimit } from './concurrency-limit';
import { GrpcStatus, asServiceError } from './grpc-status';
import { serveEndorseStream } from './endorse-stream-server';
import type { PruneRequests } from '../prune/prune-service';
import { DeliverServiceDef, DiscoveryServiceDef, EndorserServiceDef, EndorserStreamDef, GatewayServiceDef, MembershipServiceDef, PrivateDataServiceDef, PruneServiceDef, SnapshotServiceDef } from './raw-service';
import { DiscoveryRequestError, type DiscoveryService } from '../discovery/discovery-service';
import type { MembershipExchange } from '../discovery/membership-exchange';
import type { PvtPushReceiver } from '../privdata/pvt-receiver';
import { OpenStreams, shutdownGrpcServer } from '../../node/grpc-shutdown';
import type { GrpcServerMetrics } from '../../node/operations/grpc-server-metrics';

/** `peer.limits.concurrency`: calls in flight per service (0 = unlimited). */
export interface ServiceConcurrency {
  readonly endorserService: number;
  readonly deliverService: number;
  readonly gatewayService: number;
}

/** The services one peer's gRPC server exposes. */
export interface PeerServices {
  readonly endorser: Endorser;
  readonly deliver: DeliverService;
  /** Undefined when `peer.gateway.enabled` is false. */
  readonly gateway: GatewayService | undefined;
  /** Private data other peers push after endorsing (`weft.peer.PrivateData`). */
  readonly privateData?: PvtPushReceiver;
  /** Undefined when `peer.discovery.enabled` is false. */
  readonly discovery?: DiscoveryService;
  /** Membership other peers exchange with this one (`weft.peer.Membership`), for discovery. */
  readonly membership?: MembershipExchange;
  /** Fabric's `protos.Snapshot`: raw request bytes in, raw response bytes out (`google.protobuf.Empty` for Generate and Cancel). */
  readonly snapshot?: SnapshotRequests;
  /** Weft's `weft.peer.Prune`: a local admin's signed request to prune a channel while the peer runs. */
  readonly prune?: PruneRequests;
}

/** The three calls of Fabric's `protos.Snapshot`; a throw is answered as Fabric's service answers a plain error (UNKNOWN). */
export interface SnapshotRequests {
  generate(signedRequest: Uint8Array): Promise<Uint8Array>;
  cancel(signedRequest: Uint8Array): Promise<Uint8Array>;
  queryPendings(signedQuery: Uint8Array): Promise<Uint8Array>;
}

type Duplex = grpc.ServerDuplexStream<Buffer, Uint8Array>;

const EMPTY = new Uint8Array(0);
const SHUTTING_DOWN: Partial<grpc.ServiceError> = { code: grpc.status.UNAVAILABLE, details: 'the peer is shutting down' };

/**
 * Server credentials from the peer's TLS files (plaintext when TLS is off). Under mutual TLS with
 * `clientRoots`, the client CAs are those it holds, updated on the live server as channels change.
 * With `identity`, the server's certificate is that one's, replaced on the live server by a
 * certificate reload.
 */
export function serverCredentials(tls: TlsFiles, clientRoots?: TrustedClientRoots, identity?: ServerTlsIdentity): grpc.ServerCredentials {
  if (!tls.enabled) return grpc.ServerCredentials.createInsecure();
  const own = identity ?? { cert: fs.readFileSync(tls.certFile as string), key: fs.readFileSync(tls.keyFile as string) };
  if (tls.clientAuthRequired && clientRoots !== undefined) {
    const provider = clientRoots.certificateProvider(own);
    return grpc.experimental.createCertificateProviderServerCredentials(provider, provider, true);
  }
  if (!tls.clientAuthRequired && identity !== undefined) {
    // The function's first argument is the identity provider (see TrustedClientRoots.certificateProvider); no CA: no client certificate asked.
    return grpc.experimental.createCertificateProviderServerCredentials(identity.provider(), null, false);
  }
  const roots = tls.rootCertFiles.length > 0 ? Buffer.concat(tls.rootCertFiles.map((f) => Buffer.concat([fs.readFileSync(f), Buffer.from('\n')]))) : null;
  const current = own instanceof ServerTlsIdentity ? own.current() : own;
  return grpc.ServerCredentials.createSsl(roots, [{ cert_chain: current.cert, private_key: current.key }], tls.clientAuthRequired);
}

/**
 * The peer's gRPC front: `protos.Endorser`, `protos.Deliver`, `gateway.Gateway` and `discovery.Discovery` (with Weft's peer-to-peer services) on one port,
 * with raw-bytes codecs so signed bytes are never re-encoded. Handlers never throw into grpc-js:
 * every failure becomes a status.
 */
export class PeerGrpcServer {
  private readonly server: grpc.Server;
  private port = 0;
  private readonly streams = new OpenStreams();
  /** What Deliver and ChaincodeEvents streams hold for clients not reading (bounded per stream, as grpc-go's write quota). */
  readonly sendBudget = new SendBudget();
  /** Deliver requests must name the client's TLS certificate (Fabric's binding under mutual TLS). */
  private mutualTls = false;

  constructor(
    private readonly services: PeerServices,
    private readonly logger: Logger,
    concurrency: ServiceConcurrency = { endorserService: 0, deliverService: 0, gatewayService: 0 },
    /** Fabric's gRPC server metrics; none (no interceptor on the call path) without an operations endpoint. */
    metrics?: GrpcServerMetrics,
    /** Fabric's `peer.connectiontimeout`: how long an accepted connection has to finish TLS and HTTP/2's preface. */
    private readonly connectionTimeoutMs = DEFAULT_CONNECTION_TIMEOUT_MS,
    /** Fabric's `peer.keepalive.interval` and `timeout`: pings that close a connection whose client vanished, and its streams. */
    keepalive: Keepalive = DEFAULT_SERVER_KEEPALIVE,
  ) {
    // Fabric counts per service; the peer-to-peer endorsement stream shares the endorser's budget.
    const refused = (l: ConcurrencyLimit): void => logger.warn({ service: l.service, limit: l.limit }, 'too many requests, exceeding concurrency limit');
    const endorserLimit = new ConcurrencyLimit('/protos.Endorser', concurrency.endorserService, refused);
    const deliverLimit = new ConcurrencyLimit('/protos.Deliver', concurrency.deliverService, refused);
    const gatewayLimit = new ConcurrencyLimit('/gateway.Gateway', concurrency.gatewayService, refused);
    this.server = new grpc.Server({
      'grpc.max_receive_message_length': 100 * 1024 * 1024,
      'grpc.max_send_message_length': 100 * 1024 * 1024,
      // grpc-js servers answer clients' pings at any rate (no minimum to set, unlike grpc-go's).
      ...serverKeepaliveOptions(keepalive),
      // Channelz bookkeeping costs CPU on every call and nothing here reads it.
      'grpc.enable_channelz': 0,
      ...(metrics !== undefined && { interceptors: [metrics.interceptor] }),
    });
    this.server.addService(EndorserServiceDef, {
      processProposal: endorserLimit.unary((call: grpc.ServerUnaryCall<Buffer, Uint8Array>, cb: grpc.sendUnaryData<Uint8Array>) => {
        // A proposal still waiting for its chaincode's sandbox leaves the queue when the client gives up.
        const wait = clientWait(call);
        services.endorser.processProposal(call.request, { rejectionsThrow: true, signal: wait.signal }).then(
          (res) => wait.answer(() => cb(null, res)),
          // grpc-go's status for a plain error, which is what Fabric's endorser returns.
          (err: unknown) => wait.answer(() => cb(err instanceof ProposalRejectedError ? { code: GrpcStatus.UNKNOWN, details: wireErrorText(err.message) } : asServiceError(err))),
        );
      }),
    });
    // A stream counts once against the limit; the proposals in flight on it are held to the limit too.
    const maxInFlight = concurrency.endorserService > 0 ? concurrency.endorserService : Infinity;
    this.server.addService(EndorserStreamDef, { processProposals: endorserLimit.stream((call: Duplex) => serveEndorseStream(call, maxInFlight, services.endorser, this.streams, logger)) });
    const privateData = services.privateData;
    if (privateData !== undefined) {
      this.server.addService(PrivateDataServiceDef, {
        push: endorserLimit.unary((call: grpc.ServerUnaryCall<Buffer, Uint8Array>, cb: grpc.sendUnaryData<Uint8Array>) => {
          try {
            privateData.receive(call.request);
            cb(null, EMPTY);
          } catch (err) {
            cb(asServiceError(err));
          }
        }),
      });
    }
    const { discovery, membership } = services;
    // Fabric answers a malformed or unauthenticated request with a plain error: grpc-go's UNKNOWN.
    const discoveryCall =
      (fn: (req: Uint8Array, clientCertHash: Uint8Array | undefined) => Uint8Array) =>
      (call: grpc.ServerUnaryCall<Buffer, Uint8Array>, cb: grpc.sendUnaryData<Uint8Array>) => {
        try {
          cb(null, fn(call.request, this.mutualTls ? clientCertificateHash(call) : undefined));
        } catch (err) {
          // A request message that does not decode is refused by grpc-go's codec before Fabric's
          // service runs (INTERNAL); what the service refuses is answered UNKNOWN with its text.
          if (err instanceof ProtocolError && err.details.path === 'signed_request') cb({ code: GrpcStatus.INTERNAL, details: wireErrorText(`grpc: error unmarshalling request: ${err.message}`) });
          else cb({ code: GrpcStatus.UNKNOWN, details: wireErrorText(err instanceof DiscoveryRequestError ? err.message : `failed parsing request: ${(err as Error).message}`) });
        }
      };
    if (discovery !== undefined) this.server.addService(DiscoveryServiceDef, { discover: discoveryCall((r, h) => discovery.discover(r, h)) });
    if (membership !== undefined) this.server.addService(MembershipServiceDef, { exchange: discoveryCall((r) => membership.answer(r)) });
    const snapshotCall =
      (fn: (req: Uint8Array) => Promise<Uint8Array>) =>
      (call: grpc.ServerUnaryCall<Buffer, Uint8Array>, cb: grpc.sendUnaryData<Uint8Array>) => {
        fn(call.request).then(
          (res) => cb(null, res),
          (err: unknown) => cb({ code: GrpcStatus.UNKNOWN, details: wireErrorText((err as Error).message) }),
        );
      };
    const snapshot = services.snapshot;
    if (snapshot !== undefined) {
      this.server.addService(SnapshotServiceDef, {
        generate: snapshotCall((r) => snapshot.generate(r)),
        cancel: snapshotCall((r) => snapshot.cancel(r)),
        queryPendings: snapshotCall((r) => snapshot.queryPendings(r)),
      });
    }
    const prune = services.prune;
    // Answered as the snapshot service answers: a refusal is UNKNOWN with its text.
    if (prune !== undefined) this.server.addService(PruneServiceDef, { prune: snapshotCall((r) => prune.prune(r)) });
    this.server.addService(DeliverServiceDef, {
      deliver: deliverLimit.stream((call: Duplex) => this.deliver(call, 'block')),
      deliverFiltered: deliverLimit.stream((call: Duplex) => this.deliver(call, 'filtered')),
      deliverWithPrivateData: deliverLimit.stream((call: Duplex) => this.deliver(call, 'private')),
    });
    const gateway = services.gateway;
    if (gateway !== undefined) {
      const unary =
        (fn: (req: Buffer, call: grpc.ServerUnaryCall<Buffer, Uint8Array>) => Promise<Uint8Array>) =>
          gatewayLimit.unary((call: grpc.ServerUnaryCall<Buffer, Uint8Array>, cb: grpc.sendUnaryData<Uint8Array>) => {
            fn(call.request, call).then(
              (res) => cb(null, res),
              (err: unknown) => cb(asServiceError(err)),
            );
          });
      // Calls that wait on something a client may walk away from: a sandbox, a commit.
      const abortable =
        (fn: (req: Buffer, signal: AbortSignal, call: grpc.ServerUnaryCall<Buffer, Uint8Array>) => Promise<Uint8Array>) =>
        (call: grpc.ServerUnaryCall<Buffer, Uint8Array>, cb: grpc.sendUnaryData<Uint8Array>) => {
          const wait = clientWait(call);
          fn(call.request, wait.signal, call).then(
            (res) => wait.answer(() => cb(null, res)),
            (err: unknown) => wait.answer(() => cb(asServiceError(err))),
          );
        };
      this.server.addService(GatewayServiceDef, {
        // A proposal still queued for a sandbox on this peer is dropped when the client stops waiting;
        // the Gateway answers before the client's deadline with what the peers it tried said.
        evaluate: gatewayLimit.unary(abortable((r, s, call) => gateway.evaluate(r, s, Number(call.getDeadline())))),
        // No endorser is asked once the client has stopped waiting (its deadline; grpc-js: a Date, or ms, or Infinity).
        endorse: gatewayLimit.unary(abortable((r, s, call) => gateway.endorse(r, Number(call.getDeadline()), s))),
        submit: unary((r) => gateway.submit(r)),
        commitStatus: gatewayLimit.unary(abortable((r, s) => gateway.commitStatus(r, s))),
        chaincodeEvents: gatewayLimit.stream((call: grpc.ServerWritableStream<Buffer, Uint8Array>) => {
          const ac = new AbortController();
          call.on('cancelled', () => ac.abort());
          call.on('close', () => ac.abort());
          this.streams.track(call, () => {
            if (ac.signal.aborted) return;
            ac.abort();
            call.emit('error', SHUTTING_DOWN);
          });
          // A client that stopped reading and then left never drains the stream: a write waits
          // for that or for the client leaving (or the peer stopping), or the stream (its block
          // listener, its buffered blocks) would be held until the peer stops.
          const write = this.sendBudget.sender(call, ac.signal);
          const send = (res: Uint8Array): Promise<void> => (ac.signal.aborted ? Promise.resolve() : write(res));
          gateway
            .chaincodeEvents(call.request, send, ac.signal)
            .then(
              () => {
                if (!ac.signal.aborted) call.end();
              },
              (err: unknown) => {
                // grpc-js turns an 'error' event on a server stream into the call's final status.
                if (!ac.signal.aborted) call.emit('error', asServiceError(err));
              },
            );
        }),
      });
    }
  }

  /**
   * Binds and starts; returns the bound port (useful with port 0). Under mutual TLS, `clientRoots`
   * (the YAML's roots plus the channels' orgs') decides which client certificates the handshake takes.
   */
  async start(address: string, tls: TlsFiles, clientRoots?: TrustedClientRoots, identity?: ServerTlsIdentity): Promise<number> {
    this.mutualTls = tls.enabled && tls.clientAuthRequired;
    this.port = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(address, serverCredentials(tls, clientRoots, identity), (err, port) => (err ? reject(err) : resolve(port)));
    });
    enforceConnectionTimeout(this.server, this.connectionTimeoutMs);
    if (this.mutualTls && clientRoots !== undefined) refuseRevokedTlsClients(this.server, clientRoots, this.logger);
    return this.port;
  }

  /**
   * Stops taking calls, lets unary calls and the proposals in flight on endorsement streams finish,
   * and ends the streams that would never end by themselves: Deliver and ChaincodeEvents with
   * UNAVAILABLE (clients reconnect elsewhere or later), endorsement streams once answered (the other
   * peer's gateway opens a new one when it next needs this peer). Without that, two peers stopping
   * together would each hold the other's endorsement stream open until the grace period.
   */
  async stop(): Promise<void> {
    await shutdownGrpcServer(this.server, this.streams);
  }

  private deliver(call: Duplex, kind: DeliverKind): void {
    let closed = false;
    let markGone: () => void = () => undefined;
    const gone = new Promise<void>((r) => (markGone = r));
    const metrics = this.services.deliver.metrics;
    metrics?.streamOpened();
    const close = (): void => {
      if (!closed) metrics?.streamClosed();
      closed = true;
      markGone();
    };
    call.on('cancelled', close);
    call.on('close', close);
    call.on('error', close);
    this.streams.track(call, () => {
      if (!closed) call.emit('error', SHUTTING_DOWN);
    });
    // Ends its waits on the events that call close() too (a stop ends the stream with an error).
    const write = this.sendBudget.sender(call);
    const sink: DeliverSink = {
      write: (res) => (closed ? Promise.resolve() : write(res)),
      closed: () => closed,
      gone,
      remoteAddress: call.getPeer(),
    };
    // One request at a time, as Fabric's deliver handler: the next is read only once this one is
    // served, so a client cannot queue requests without bound (HTTP/2 flow control holds the rest
    // back). 'end' therefore comes only with no request being served.
    const clientCertHash = this.mutualTls ? clientCertificateHash(call) : undefined;
    call.on('data', (req: Buffer) => {
      call.pause();
      this.services.deliver.serve(req, kind, sink, clientCertHash).then(
        (status) => {
          if (closed) return;
          // Fabric's deliver handler returns after any status but SUCCESS: the stream ends (OK).
          if (status === undefined || status === DeliverStatus.SUCCESS) call.resume();
          else call.end();
        },
        (err: unknown) => {
          // Fabric's deliver handler returns the error, which ends the stream with it (grpc-go's UNKNOWN).
          this.logger.warn({ err }, 'deliver request failed');
          if (!closed) call.emit('error', { code: GrpcStatus.UNKNOWN, details: wireErrorText(err instanceof Error ? err.message : String(err)) });
        },
      );
    });
    call.on('end', () => {
      if (!closed) call.end();
    });
  }
}

/**
 * Aborts its signal when the client gives up on `call` (cancels it, its deadline passes, the
 * connection drops) before it is answered. grpc-js emits 'cancelled' as every call ends, so the
 * abort (and its DOMException) is skipped once `answer` has sent the reply.
 */
function clientWait(call: grpc.ServerUnaryCall<Buffer, Uint8Array>): { readonly signal: AbortSignal; answer(reply: () => void): void } {
  const ac = new AbortController();
  let answered = false;
  call.on('cancelled', () => {
    if (!answered) ac.abort(new Error('the client cancelled the call, its deadline passed or its connection dropped'));
  });
  return {
    signal: ac.signal,
    answer: (reply) => {
      answered = true;
      reply();
    },
  };
}
