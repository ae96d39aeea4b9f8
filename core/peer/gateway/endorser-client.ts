import * as grpc from '@grpc/grpc-js';
import type { ParsedSignedProposal } from '../../protocol/proposal';
import { ENDORSE_CANCEL_HEADER, decodeEndorseFrame, encodeEndorseCancel, encodeEndorseFrame } from '../grpc/endorse-stream-frame';
import { DeliverServiceDef, EndorserServiceDef, EndorserStreamDef, MembershipServiceDef, PrivateDataServiceDef } from '../grpc/raw-service';
import { blockPrivateData } from '../privdata/block-and-private-data';
import type { PvtPeer } from '../privdata/pvt-distributor';
import type { PvtSource } from '../privdata/pvt-puller';
import { type ClientTls, clientCredentials } from '../orderer/orderer-client';
import type { MembershipPeer } from '../discovery/membership-exchange';
import { DialledTlsConnections } from '../dialled-tls-connections';
import { DEFAULT_PEER_DIAL_TIMEOUT_MS } from '../../node/dial-timeouts';

type RawDuplex = grpc.ClientDuplexStream<Uint8Array, Buffer>;

interface RawEndorserClient extends grpc.Client {
  processProposal(request: Uint8Array, options: grpc.CallOptions, callback: (err: grpc.ServiceError | null, res?: Buffer) => void): grpc.ClientUnaryCall;
  processProposals(): RawDuplex;
  push(request: Uint8Array, options: grpc.CallOptions, callback: (err: grpc.ServiceError | null, res?: Buffer) => void): grpc.ClientUnaryCall;
  exchange(request: Uint8Array, options: grpc.CallOptions, callback: (err: grpc.ServiceError | null, res?: Buffer) => void): grpc.ClientUnaryCall;
  deliverWithPrivateData(options: grpc.CallOptions): RawDuplex;
}

const EndorserClientCtor = grpc.makeGenericClientConstructor({ ...EndorserServiceDef, ...EndorserStreamDef, ...PrivateDataServiceDef, ...DeliverServiceDef, ...MembershipServiceDef }, 'Endorser') as unknown as new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options: grpc.ChannelOptions,
) => RawEndorserClient;

/** Something that answers a `SignedProposal` with `ProposalResponse` bytes: this peer or a remote one. */
export interface EndorsingPeer {
  readonly address: string;
  readonly mspId: string;
  /**
   * `parsed` is the same proposal already decoded: a local peer uses it instead of decoding again.
   * `signal` aborts when the Gateway's client stops waiting: the promise then rejects (CANCELLED) and
   * the endorsing peer, this one or a remote one told so, drops the proposal if it still waits for
   * a sandbox; one already running finishes there and its answer is dropped.
   */
  processProposal(signedProposal: Uint8Array, deadline: number, parsed?: ParsedSignedProposal, signal?: AbortSignal): Promise<Uint8Array>;
}

interface Pending {
  readonly signedProposal: Uint8Array;
  readonly deadline: number;
  readonly resolve: (res: Uint8Array) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
  readonly signal: AbortSignal | undefined;
  /** Listens on `signal`: sends the cancel frame. */
  readonly abort: () => void;
}

/** Stops a pending proposal's timer and its listener on the caller's signal (it is being settled). */
function release(p: Pending): void {
  clearTimeout(p.timer);
  p.signal?.removeEventListener('abort', p.abort);
}

/** One endorsement stream and the proposals sent on it that await an answer, by frame id. */
interface OpenStream {
  readonly stream: RawDuplex;
  readonly pending: Map<number, Pending>;
  /** The peer announced, as the stream opened, that it takes cancel frames (a peer of the previous version ends the stream on one). */
  cancels: boolean;
  /** Ids cancelled before the stream's initial metadata said whether the peer takes cancel frames: sent once it says it does. */
  unannounced: number[] | undefined;
}

/** Tells the peer a proposal's answer is no longer wanted, as soon as it is known to take cancel frames. */
function sendCancel(open: OpenStream, id: number): void {
  if (open.cancels) open.stream.write(encodeEndorseCancel(id));
  else open.unannounced?.push(id);
}

function grpcError(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(`${code} ${grpc.status[code]}: ${details}`), { code, details, metadata: new grpc.Metadata() });
}

/**
 * A remote peer's endorser, dialled once and reused. Proposals go over one long-lived
 * `weft.peer.EndorserStream` stream, reopened on the next proposal after it breaks; a peer that
 * does not implement it (a Fabric peer answers UNIMPLEMENTED) is asked through the unary
 * `protos.Endorser/ProcessProposal` from then on, including for the proposals that were in flight.
 * The same connection carries the private data this peer pushes to it (`weft.peer.PrivateData`),
 * the private data this peer pulls from it (`protos.Deliver/DeliverWithPrivateData`) and the
 * membership they exchange (`weft.peer.Membership`).
 */
export class RemoteEndorser implements EndorsingPeer, PvtPeer, PvtSource, MembershipPeer {
  private readonly client: RawEndorserClient;
  private readonly tls: ClientTls;
  private readonly dialTimeoutMs: number;
  private membershipClient: RawEndorserClient | undefined;
  private current: OpenStream | undefined;
  private nextId = 1;
  private streaming = true;
  /** The TLS connections of both its clients (endorsement and membership), with the peer's certificate as each handshake saw it. */
  readonly connections = new DialledTlsConnections();

  constructor(
    readonly address: string,
    readonly mspId: string,
    tls: ClientTls,
    /** How long a connection may take to come up (Fabric's `peer.gossip.dialTimeout`): past it the dial fails UNAVAILABLE naming the bound, and the next call dials afresh. */
    dialTimeoutMs = DEFAULT_PEER_DIAL_TIMEOUT_MS,
  ) {
    this.tls = tls;
    this.dialTimeoutMs = dialTimeoutMs;
    const { credentials, options } = clientCredentials(tls, { address, timeoutMs: dialTimeoutMs }, this.connections);
    this.client = new EndorserClientCtor(address, credentials, options);
  }

  processProposal(signedProposal: Uint8Array, deadline: number, _parsed?: ParsedSignedProposal, signal?: AbortSignal): Promise<Uint8Array> {
    if (signal?.aborted === true) return Promise.reject(cancelledBy(signal));
    if (!this.streaming) return this.unary(signedProposal, deadline, signal);
    const open = this.current ?? this.open();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', abort);
          open.pending.delete(id);
          // Nobody waits for it any more: the peer need not run it if it has not started.
          sendCancel(open, id);
          reject(grpcError(grpc.status.DEADLINE_EXCEEDED, `no endorsement from ${this.address} before the deadline`));
          // As Fabric drops an endorser's connection after a failure: a stream the peer may be stuck
          // on takes no new proposal, and closes once those on it are answered or expired.
          if (this.current === open) this.current = undefined;
          this.closeIfDone(open);
        },
        Math.max(0, deadline - Date.now()),
      );
      const abort = (): void => {
        const p = open.pending.get(id);
        if (p === undefined) return; // answered, expired, or moved to a unary call that cancels itself
        open.pending.delete(id);
        release(p);
        // Without the peer's announcement, it would end the stream on the frame: it runs the proposal for nobody.
        sendCancel(open, id);
        reject(cancelledBy(signal as AbortSignal));
        this.closeIfDone(open);
      };
      signal?.addEventListener('abort', abort, { once: true });
      open.pending.set(id, { signedProposal, deadline, resolve, reject, timer, signal, abort });
      open.stream.write(encodeEndorseFrame(id, signedProposal));
    });
  }

  /**
   * Whether the last attempt to connect failed (gRPC's TRANSIENT_FAILURE: refused, unreachable,
   * TLS refused, no answer within the dial timeout) and no connection has been made since; gRPC
   * keeps retrying with backoff, so a peer that comes back is reachable again. Asking does not
   * itself connect.
   */
  unreachable(): boolean {
    return this.client.getChannel().getConnectivityState(false) === grpc.connectivityState.TRANSIENT_FAILURE;
  }

  pushPrivateData(signedPush: Uint8Array, deadline: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.client.push(signedPush, { deadline }, (err) => (err === null ? resolve() : reject(err)));
    });
  }

  /**
   * Membership goes over a connection of its own: its periodic calls to a peer that is down must
   * not hold the endorsement connection in reconnect backoff (grpc-js fails calls fast meanwhile),
   * or the first proposal after the peer returns would fail.
   */
  exchangeMembership(announcement: Uint8Array, deadline: number): Promise<Uint8Array> {
    if (this.membershipClient === undefined) {
      const { credentials, options } = clientCredentials(this.tls, { address: this.address, timeoutMs: this.dialTimeoutMs }, this.connections);
      this.membershipClient = new EndorserClientCtor(this.address, credentials, { ...options, 'grpc.use_local_subchannel_pool': 1 });
    }
    const client = this.membershipClient;
    return new Promise((resolve, reject) => {
      client.exchange(announcement, { deadline }, (err, res) => (err === null && res !== undefined ? resolve(res) : reject(err ?? new Error('no response'))));
    });
  }

  /**
   * The private data this peer's `DeliverWithPrivateData` sends for the one block `seekEnvelope`
   * asks for (filtered by the peer to what the envelope's signer may see), by transaction number.
   * Rejects when the block does not come by `deadline`.
   */
  privateDataOfBlock(seekEnvelope: Uint8Array, deadline: number): Promise<Map<number, Uint8Array>> {
    return new Promise((resolve, reject) => {
      const call = this.client.deliverWithPrivateData({ deadline });
      let settled = false;
      const settle = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        fn();
        call.cancel();
      };
      call.on('data', (chunk: Buffer) => {
        try {
          const found = blockPrivateData(chunk);
          if (found !== undefined) settle(() => resolve(found));
        } catch (err) {
          settle(() => reject(err as Error));
        }
      });
      call.on('error', (err: Error) => settle(() => reject(err)));
      call.on('end', () => settle(() => reject(grpcError(grpc.status.UNAVAILABLE, `${this.address} ended DeliverWithPrivateData without the block`))));
      call.write(seekEnvelope);
    });
  }

  close(): void {
    const open = this.current;
    this.current = undefined;
    if (open !== undefined) {
      failAll(open, grpcError(grpc.status.CANCELLED, `connection to ${this.address} closed`));
      open.stream.cancel();
    }
    this.client.close();
    this.membershipClient?.close();
  }

  /**
   * Closes both connections now (the peer's TLS certificate was revoked: `reason`): proposals
   * awaiting an answer and the pushes, pulls and exchanges under way fail UNAVAILABLE, where
   * {@link close} lets the calls under way finish.
   */
  cut(reason: string): void {
    // Before close() fails them CANCELLED: the peer did not stop waiting, the connection went.
    if (this.current !== undefined) failAll(this.current, grpcError(grpc.status.UNAVAILABLE, `connection to ${this.address} cut: ${reason}`));
    this.close();
    this.connections.cut();
  }

  private open(): OpenStream {
    const open: OpenStream = { stream: this.client.processProposals(), pending: new Map(), cancels: false, unannounced: [] };
    this.current = open;
    open.stream.on('metadata', (md: grpc.Metadata) => {
      open.cancels = md.get(ENDORSE_CANCEL_HEADER).length > 0;
      const early = open.unannounced ?? [];
      open.unannounced = undefined;
      // A proposal answered since is unknown to the peer by now, and it ignores the frame.
      for (const id of early) sendCancel(open, id);
    });
    open.stream.on('data', (bytes: Buffer) => {
      let frame;
      try {
        frame = decodeEndorseFrame(bytes);
      } catch (err) {
        this.broken(open, grpcError(grpc.status.INTERNAL, `malformed endorsement frame from ${this.address}: ${(err as Error).message}`));
        open.stream.cancel();
        return;
      }
      const p = open.pending.get(frame.id);
      if (p === undefined) return; // Its deadline passed already, or its caller cancelled it.
      open.pending.delete(frame.id);
      release(p);
      p.resolve(frame.body);
      this.closeIfDone(open);
    });
    open.stream.on('error', (err: grpc.ServiceError) => this.broken(open, err));
    open.stream.on('end', () => this.broken(open, grpcError(grpc.status.UNAVAILABLE, `endorsement stream to ${this.address} ended`)));
    return open;
  }

  private closeIfDone(open: OpenStream): void {
    if (this.current !== open && open.pending.size === 0) open.stream.cancel();
  }

  /** A stream failed: the next proposal opens a new one; its proposals in flight fail, or go unary to a Fabric peer. */
  private broken(open: OpenStream, err: grpc.ServiceError): void {
    if (this.current === open) this.current = undefined;
    if (err.code !== grpc.status.UNIMPLEMENTED) {
      failAll(open, err);
      return;
    }
    this.streaming = false;
    const retry = [...open.pending.values()];
    open.pending.clear();
    for (const p of retry) {
      release(p);
      this.unary(p.signedProposal, p.deadline, p.signal).then(p.resolve, p.reject);
    }
  }

  /** `signal` cancels the call: a Weft peer drops the proposal if still queued, a Fabric peer just stops answering. */
  private unary(signedProposal: Uint8Array, deadline: number, signal?: AbortSignal): Promise<Uint8Array> {
    if (signal?.aborted === true) return Promise.reject(cancelledBy(signal));
    return new Promise((resolve, reject) => {
      const cancel = (): void => call.cancel();
      const call = this.client.processProposal(signedProposal, { deadline }, (err, res) => {
        signal?.removeEventListener('abort', cancel);
        if (err !== null) reject(err);
        else resolve(res ?? new Uint8Array(0));
      });
      signal?.addEventListener('abort', cancel, { once: true });
    });
  }
}

/** The rejection of a proposal whose Gateway client stopped waiting. */
function cancelledBy(signal: AbortSignal): grpc.ServiceError {
  const reason: unknown = signal.reason;
  return grpcError(grpc.status.CANCELLED, `the client stopped waiting for the endorsement${reason instanceof Error ? ` (${reason.message})` : ''}`);
}

function failAll(open: OpenStream, err: Error): void {
  const failed = [...open.pending.values()];
  open.pending.clear();
  for (const p of failed) {
    release(p);
    p.reject(err);
  }
}
