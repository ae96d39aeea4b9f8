import { WireReader } from '../../protocol/wire-reader';
import type { OrdererClient } from '../orderer/orderer-client';

/** An orderer's answer to one envelope. */
export interface BroadcastResult {
  /** `common.Status` (200 = accepted). */
  readonly status: number;
  readonly info: string;
}

/** One envelope sent on a stream: settled once answered, expired or failed. */
interface Sent {
  settled: boolean;
  readonly resolve: (r: BroadcastResult) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout | undefined;
}

/** One `Broadcast` stream and its envelopes in the order sent, answered or not (the orderer answers in that order). */
interface OpenStream {
  readonly stream: ReturnType<OrdererClient['broadcast']>;
  readonly sent: Sent[];
}

/**
 * One long-lived `Broadcast` stream to one orderer, shared by every Submit: envelopes go out as
 * they come and the orderer answers in order, so responses are matched FIFO. A stream costs a
 * fraction of a unary call per message (`performance.md`). A broken stream fails its pending
 * submits and is reopened on the next one.
 *
 * An envelope unanswered within its timeout fails alone (as Fabric's per-orderer
 * `broadcastTimeout`), but it keeps its place: a later answer on that stream is its answer. The
 * stream it went on is left to the envelopes already on it, and closed once each is answered or
 * expired; later envelopes go on a new stream. An orderer that accepts envelopes and never
 * answers thus holds at most a timeout's worth of them, not one per Submit for ever.
 */
export class Broadcaster {
  private current: OpenStream | undefined;
  /** Every stream not closed yet: the current one and those left to finish. */
  private readonly streams = new Set<OpenStream>();

  constructor(private readonly client: OrdererClient) {}

  get address(): string {
    return this.client.address;
  }

  /** Envelopes sent and neither answered, expired nor failed, and the streams open (bounded resources, for tests and metrics). */
  get load(): { readonly waiting: number; readonly streams: number } {
    let waiting = 0;
    for (const s of this.streams) waiting += s.sent.filter((e) => !e.settled).length;
    return { waiting, streams: this.streams.size };
  }

  /** The orderer's answer; rejects when the stream breaks or, with `timeoutMs`, when no answer comes in time. */
  send(envelope: Uint8Array, timeoutMs?: number): Promise<BroadcastResult> {
    const open = this.current ?? this.open();
    return new Promise((resolve, reject) => {
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => this.expire(open, entry, timeoutMs), timeoutMs);
      const entry: Sent = { settled: false, resolve, reject, timer };
      open.sent.push(entry);
      open.stream.write(envelope);
    });
  }

  close(): void {
    this.current = undefined;
    for (const open of [...this.streams]) this.end(open, new Error('broadcaster closed'));
  }

  private open(): OpenStream {
    const open: OpenStream = { stream: this.client.broadcast(), sent: [] };
    this.current = open;
    this.streams.add(open);
    open.stream.on('data', (chunk: Buffer) => {
      const entry = open.sent.shift();
      if (entry !== undefined && !entry.settled) {
        entry.settled = true;
        clearTimeout(entry.timer);
        try {
          entry.resolve(readBroadcastResponse(chunk));
        } catch (err) {
          entry.reject(err as Error);
        }
      }
      this.closeIfDone(open);
    });
    open.stream.on('error', (err: Error) => this.end(open, err));
    open.stream.on('end', () => this.end(open, new Error(`broadcast stream to ${this.client.address} ended`)));
    return open;
  }

  private expire(open: OpenStream, entry: Sent, timeoutMs: number): void {
    if (entry.settled) return;
    entry.settled = true;
    entry.reject(new Error(`4 DEADLINE_EXCEEDED: no answer from orderer ${this.client.address} within the broadcast timeout (${timeoutMs}ms)`));
    // Nothing sent after it on this stream can be answered before it: new envelopes take a new stream.
    if (this.current === open) this.current = undefined;
    this.closeIfDone(open);
  }

  /** Closes a stream no new envelope goes on once nothing on it awaits an answer. */
  private closeIfDone(open: OpenStream): void {
    if (this.current !== open && open.sent.every((e) => e.settled)) this.end(open, new Error('broadcast stream closed'));
  }

  /** Fails what awaits an answer on the stream and cancels it. */
  private end(open: OpenStream, err: Error): void {
    if (!this.streams.delete(open)) return;
    if (this.current === open) this.current = undefined;
    const sent = open.sent.splice(0);
    open.stream.cancel();
    for (const e of sent) {
      if (e.settled) continue;
      e.settled = true;
      clearTimeout(e.timer);
      e.reject(err);
    }
  }
}

/** `BroadcastResponse{status = 1 (common.Status), info = 2}`, read from the wire (one per Submit). */
function readBroadcastResponse(bytes: Uint8Array): BroadcastResult {
  const r = new WireReader(bytes, 'broadcast_response', 'BroadcastResponse');
  let status = 0;
  let info = '';
  while (r.next()) {
    if (r.field === 2) info = r.string();
    else if (r.field === 1) status = r.int32();
    else r.skip();
  }
  return { status, info };
}
