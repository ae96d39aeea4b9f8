import * as grpc from '@grpc/grpc-js';
import type { ParsedSignedProposal } from '../../protocol/proposal';
import { decodeEndorseFrame, encodeEndorseFrame } from '../grpc/endorse-stream-frame';
import { DeliverServiceDef, EndorserServiceDef, EndorserStreamDef, MembershipServiceDef, PrivateDataServiceDef } from '../grpc/raw-service';
import { blockPrivateData } from '../privdata/block-and-private-data';
import type { PvtPeer } from '../privdata/pvt-distributor';
import type { PvtSource } from '../privdata/pvt-puller';
import { type ClientTls, clientCredentials } from '../orderer/orderer-client';
import type { MembershipPeer } from '../discovery/membership-exchange';

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
   * `signal` aborts when the Gateway's client stops waiting: this peer's endorser then drops the
   * proposal if it still waits for a sandbox (a remote peer's proposals share one stream and run).
   */
  processProposal(signedProposal: Uint8Array, deadline: number, parsed?: ParsedSignedProposal, signal?: AbortSignal): Promise<Uint8Array>;
}

interface Pending {
  readonly signedProposal: Uint8Array;
  readonly deadline: number;
  readonly resolve: (res: Uint8Array) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/** One endorsement stream and the proposals sent on it that await an answer, by frame id. */
interface OpenStream {
  readonly stream: RawDuplex;
  readonly pending: Map<number, Pending>;
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
  private membershipClient: RawEndorserClient | undefined;
  private current: OpenStream | undefined;
  private nextId = 1;
  private streaming = true;

  constructor(
    readonly address: string,
    readonly mspId: string,
    tls: ClientTls,
  ) {
    this.tls = tls;
    const { credentials, options } = clientCredentials(tls);
    this.client = new EndorserClientCtor(address, credentials, options);
  }

  processProposal(signedProposal: Uint8Array, deadline: number): Promise<Uint8Array> {
    if (!this.streaming) return this.unary(signedProposal, deadline);
    const open = this.current ?? this.open();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => {
          open.pending.delete(id);
          reject(grpcError(grpc.status.DEADLINE_EXCEEDED, `no endorsement from ${this.address} before the deadline`));
          // As Fabric drops an endorser's connection after a failure: a stream the peer may be stuck
          // on takes no new proposal, and closes once those on it are answered or expired.
          if (this.current === open) this.current = undefined;
          this.closeIfDone(open);
        },
        Math.max(0, deadline - Date.now()),
      );
      open.pending.set(id, { signedProposal, deadline, resolve, reject, timer });
      open.stream.write(encodeEndorseFrame(id, signedProposal));
    });
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
      const { credentials, options } = clientCredentials(this.tls);
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

  private open(): OpenStream {
    const open: OpenStream = { stream: this.client.processProposals(), pending: new Map() };
    this.current = open;
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
      if (p === undefined) return; // Its deadline passed already.
      open.pending.delete(frame.id);
      clearTimeout(p.timer);
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
      clearTimeout(p.timer);
      this.unary(p.signedProposal, p.deadline).then(p.resolve, p.reject);
    }
  }

  private unary(signedProposal: Uint8Array, deadline: number): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      this.client.processProposal(signedProposal, { deadline }, (err, res) => {
        if (err !== null) reject(err);
        else resolve(res ?? new Uint8Array(0));
      });
    });
  }
}

function failAll(open: OpenStream, err: Error): void {
  const failed = [...open.pending.values()];
  open.pending.clear();
  for (const p of failed) {
    clearTimeout(p.timer);
    p.reject(err);
  }
}
