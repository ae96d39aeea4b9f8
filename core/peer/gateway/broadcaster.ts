import { WireReader } from '../../protocol/wire-reader';
import type { OrdererClient } from '../orderer/orderer-client';

/** An orderer's answer to one envelope. */
export interface BroadcastResult {
  /** `common.Status` (200 = accepted). */
  readonly status: number;
  readonly info: string;
}

interface Pending {
  resolve(r: BroadcastResult): void;
  reject(err: Error): void;
}

/**
 * One long-lived `Broadcast` stream to one orderer, shared by every Submit: envelopes go out as
 * they come and the orderer answers in order, so responses are matched FIFO. A stream costs a
 * fraction of a unary call per message (`performance.md`). A broken stream fails its pending
 * submits and is reopened on the next one.
 */
export class Broadcaster {
  private stream: ReturnType<OrdererClient['broadcast']> | undefined;
  private pending: Pending[] = [];

  constructor(private readonly client: OrdererClient) {}

  get address(): string {
    return this.client.address;
  }

  send(envelope: Uint8Array): Promise<BroadcastResult> {
    const stream = this.open();
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      stream.write(envelope);
    });
  }

  close(): void {
    this.fail(new Error('broadcaster closed'));
  }

  private open(): NonNullable<Broadcaster['stream']> {
    if (this.stream !== undefined) return this.stream;
    const stream = this.client.broadcast();
    stream.on('data', (chunk: Buffer) => {
      const p = this.pending.shift();
      if (p === undefined) return;
      try {
        p.resolve(readBroadcastResponse(chunk));
      } catch (err) {
        p.reject(err as Error);
      }
    });
    const broken = (err?: Error): void => {
      if (this.stream !== stream) return;
      this.stream = undefined;
      this.fail(err ?? new Error(`broadcast stream to ${this.client.address} ended`));
    };
    stream.on('error', (err: Error) => broken(err));
    stream.on('end', () => broken());
    this.stream = stream;
    return stream;
  }

  private fail(err: Error): void {
    const pending = this.pending;
    this.pending = [];
    const stream = this.stream;
    this.stream = undefined;
    stream?.cancel();
    for (const p of pending) p.reject(err);
  }
}

/** `BroadcastResponse{status = 1 (common.Status), info = 2}`, read from the wire (one per Submit). */
function readBroadcastResponse(bytes: Uint8Array): BroadcastResult {
  const r = new WireReader(bytes, 'broadcast_response', 'BroadcastResponse');
  let status = 0;
  let info = '';
  while (r.next()) {
    if (r.field === 1) status = r.int32();
    else if (r.field === 2) info = r.string();
    else r.skip();
  }
  return { status, info };
}
