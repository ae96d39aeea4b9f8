import * as grpc from '@grpc/grpc-js';
import type { GrpcServerMetrics } from '../node/operations/grpc-server-metrics';
import { Status } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { AtomicBroadcastService } from '@hyperledger/fabric-protos/lib/orderer/ab_grpc_pb';
import type { Logger } from 'pino';
import type { BroadcastHandler, BroadcastResult } from './broadcast-handler';
import type { StatusCode } from './broadcast-status';
import type { DeliverHandler } from './deliver-handler';
import { OpenStreams, shutdownGrpcServer } from '../node/grpc-shutdown';
import { clientCertificateHash } from '../node/client-certificate';
import type { TrustedClientRoots } from '../node/trusted-client-roots';
import { refuseRevokedTlsClients } from '../node/tls-client-revocation';
import type { ServerTlsIdentity } from '../node/reloadable-identity';
import { ReadGate } from '../node/read-gate';
import { SendBudget } from '../node/grpc-send-budget';
import { DEFAULT_CONNECTION_TIMEOUT_MS, enforceConnectionTimeout } from '../node/grpc-connection-timeout';
import { type Keepalive, serverKeepaliveOptions } from '../node/grpc-keepalive';

/** TLS material of a gRPC listener (PEM bytes). */
export interface ServerTls {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** CAs that client certificates must chain to; required when `clientAuthRequired`. */
  readonly clientRootCAs: readonly Buffer[];
  readonly clientAuthRequired: boolean;
  /**
   * Under `clientAuthRequired`: the client CAs the handshake takes, `clientRootCAs` plus the
   * channels' orgs', updated on the live server (`clientRootCAs` is then not read here).
   */
  readonly clientRoots?: TrustedClientRoots;
  /** The listener's own certificate and key as a certificate reload replaces them (`cert`/`key` are then only the first). */
  readonly identity?: ServerTlsIdentity;
}

export interface GrpcServerOptions {
  readonly address: string;
  readonly tls: ServerTls;
  readonly maxRecvMessageBytes: number;
  readonly maxSendMessageBytes: number;
  /** Broadcast envelopes in flight per stream before the stream is paused (pipelining depth). */
  readonly maxInFlightPerStream: number;
  /** Fabric's gRPC server metrics; none (no interceptor on the call path) without an operations endpoint. */
  readonly metrics?: GrpcServerMetrics;
  /** Fabric's `General.ConnectionTimeout`: how long an accepted connection has to finish TLS and HTTP/2's preface (default 5 s). */
  readonly connectionTimeoutMs?: number;
  /** Fabric's `General.Keepalive.ServerInterval` and `ServerTimeout`: pings that close a connection whose client vanished, and its streams. */
  readonly keepalive?: Keepalive;
}

// Requests stay raw bytes so the exact signed bytes reach the handlers and garbage is answered with
// BAD_REQUEST instead of failing the stream in the deserializer. Responses are encoded by hand
// (two fields), so stored blocks go out without a decode/re-encode.
const rawBytes = (b: Buffer): Buffer => b;

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** `orderer.BroadcastResponse{status = 1, info = 2}`. */
export function encodeBroadcastResponse(r: BroadcastResult): Buffer {
  const info = Buffer.from(r.info, 'utf8');
  const head = [0x08, ...varint(r.status)];
  if (info.length === 0) return Buffer.from(head);
  return Buffer.concat([Buffer.from([...head, 0x12, ...varint(info.length)]), info]);
}

/** `orderer.DeliverResponse{status = 1 | block = 2}` from a status or stored block bytes. */
export function encodeDeliverResponse(r: { status: StatusCode } | { block: Uint8Array }): Buffer {
  if ('status' in r) return Buffer.from([0x08, ...varint(r.status)]);
  return Buffer.concat([Buffer.from([0x12, ...varint(r.block.length)]), r.block]);
}

const service: grpc.ServiceDefinition = {
  broadcast: { ...AtomicBroadcastService.broadcast, requestDeserialize: rawBytes, responseSerialize: rawBytes },
  deliver: { ...AtomicBroadcastService.deliver, requestDeserialize: rawBytes, responseSerialize: rawBytes },
} as unknown as grpc.ServiceDefinition;

/** The orderer's gRPC listener serving `orderer.AtomicBroadcast`. */
export class OrdererGrpcServer {
  private readonly server: grpc.Server;
  private readonly streams = new OpenStreams();
  /** What Deliver streams hold for clients not reading (bounded per stream, as grpc-go's write quota). */
  readonly sendBudget = new SendBudget();
  private boundPort: number | undefined;

  constructor(
    private readonly options: GrpcServerOptions,
    private readonly broadcast: BroadcastHandler,
    private readonly deliver: DeliverHandler,
    private readonly logger: Logger,
  ) {
    this.server = new grpc.Server({
      'grpc.max_receive_message_length': options.maxRecvMessageBytes,
      'grpc.max_send_message_length': options.maxSendMessageBytes,
      // grpc-js servers answer clients' pings at any rate (no minimum to set, unlike grpc-go's).
      ...serverKeepaliveOptions(options.keepalive),
      // Channelz bookkeeping costs CPU on every message and nothing here reads it.
      'grpc.enable_channelz': 0,
      ...(options.metrics !== undefined && { interceptors: [options.metrics.interceptor] }),
    });
    this.server.addService(service, {
      broadcast: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => this.onBroadcast(call),
      deliver: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => this.onDeliver(call),
    });
  }

  /** The port actually bound (useful with port 0). */
  get port(): number {
    if (this.boundPort === undefined) throw new Error('gRPC server is not started');
    return this.boundPort;
  }

  async start(): Promise<void> {
    const { tls } = this.options;
    const own = tls.identity ?? { cert: tls.cert, key: tls.key };
    const provider = tls.clientAuthRequired ? tls.clientRoots?.certificateProvider(own) : undefined;
    const creds =
      provider !== undefined
        ? grpc.experimental.createCertificateProviderServerCredentials(provider, provider, true)
        : !tls.clientAuthRequired && tls.identity !== undefined
          ? // The first argument is the identity provider; without a CA provider no client certificate is asked.
            grpc.experimental.createCertificateProviderServerCredentials(tls.identity.provider(), null, false)
          : grpc.ServerCredentials.createSsl(
              tls.clientRootCAs.length > 0 ? Buffer.concat(tls.clientRootCAs.flatMap((c) => [c, Buffer.from('\n')])) : null,
              [{ cert_chain: tls.cert, private_key: tls.key }],
              tls.clientAuthRequired,
            );
    this.boundPort = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(this.options.address, creds, (err, port) => (err ? reject(err) : resolve(port))),
    );
    enforceConnectionTimeout(this.server, this.options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS);
    if (provider !== undefined && tls.clientRoots !== undefined) refuseRevokedTlsClients(this.server, tls.clientRoots, this.logger);
  }

  /**
   * Stops taking calls and ends every stream: Broadcast once the envelopes it already took are
   * answered (it reads no more), Deliver with SERVICE_UNAVAILABLE, as Fabric answers a deliver
   * request on a chain that halts; peers reconnect to another orderer or to this one restarted.
   */
  async stop(): Promise<void> {
    await shutdownGrpcServer(this.server, this.streams);
  }

  private onBroadcast(call: grpc.ServerDuplexStream<Buffer, Buffer>): void {
    let tail: Promise<void> = Promise.resolve();
    let lastSubmitted: Promise<void> = Promise.resolve();
    let closed = false;
    let stopping = false;
    // Reads again once the envelopes in flight are down to half the limit.
    const max = this.options.maxInFlightPerStream;
    const gate = new ReadGate(call, max, max / 2);
    const endAfterAnswers = (): void => {
      void tail.then(() => {
        if (!closed && !call.writableEnded) call.end();
        closed = true;
      });
    };
    this.streams.track(call, () => {
      stopping = true;
      gate.stop();
      endAfterAnswers();
    });
    call.on('data', (bytes: Buffer) => {
      if (stopping) return; // never taken: the client sees the stream end without its answer
      const { submitted, result } = this.broadcast.handle(bytes, lastSubmitted);
      lastSubmitted = submitted;
      gate.taken();
      // Answers go out in request order, whatever order the checks finish in.
      tail = tail.then(async () => {
        const r = await result;
        gate.answered(closed || call.writableEnded || call.destroyed ? undefined : encodeBroadcastResponse(r));
      });
    });
    call.on('end', endAfterAnswers);
    const drop = () => {
      closed = true;
    };
    call.on('error', (err) => {
      this.logger.debug({ err: err.message }, 'broadcast stream error');
      drop();
    });
    call.on('cancelled', drop);
    call.on('close', drop);
  }

  private onDeliver(call: grpc.ServerDuplexStream<Buffer, Buffer>): void {
    const abort = new AbortController();
    const metrics = this.deliver.metrics;
    metrics?.streamOpened();
    call.once('close', () => metrics?.streamClosed());
    const writable = () => !abort.signal.aborted && !call.writableEnded && !call.destroyed;
    this.streams.track(call, () => {
      if (writable()) {
        call.write(encodeDeliverResponse({ status: Status.SERVICE_UNAVAILABLE }));
        call.end();
      }
      abort.abort();
    });
    // A stream ended by the orderer stopping is aborted before its client has read what it holds.
    const write = this.sendBudget.sender(call, abort.signal);
    const sink = {
      signal: abort.signal,
      remoteAddress: call.getPeer(),
      sendStatus: (status: StatusCode) => {
        if (writable()) call.write(encodeDeliverResponse({ status }));
      },
      // Resolves when the stream has room, closes or is aborted.
      sendBlock: (block: Uint8Array) => (writable() ? write(encodeDeliverResponse({ block })) : Promise.resolve()),
    };
    // One request at a time, as Fabric's deliver handler: the next is read only once this one is
    // served, so a client cannot queue requests without bound (HTTP/2 flow control holds the rest
    // back). 'end' therefore comes only with no request being served.
    const clientCertHash = this.options.tls.clientAuthRequired ? clientCertificateHash(call) : undefined;
    call.on('data', (bytes: Buffer) => {
      call.pause();
      void this.deliver.handle(bytes, sink, clientCertHash).then((status) => {
        if (!writable()) return;
        // Fabric's deliver handler returns after any status but SUCCESS: the stream ends (OK).
        if (status === Status.SUCCESS) call.resume();
        else call.end();
      });
    });
    call.on('end', () => {
      if (writable()) call.end();
    });
    const drop = () => abort.abort();
    call.on('error', drop);
    call.on('cancelled', drop);
    call.on('close', drop);
  }
}
