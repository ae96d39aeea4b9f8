import type { EventEmitter } from 'node:events';

/** The part of a gRPC server stream a {@link SendBudget} writes to. */
export interface BudgetedStream extends EventEmitter {
  write(chunk: Uint8Array, callback: (err?: Error | null) => void): boolean;
}

/**
 * grpc-go's `defaultWriteQuota`: a stream's `Send` blocks once this many of its bytes are not yet
 * taken by HTTP/2 flow control. Fabric's Deliver and Gateway streams send through it.
 */
export const STREAM_WRITE_QUOTA_BYTES = 64 * 1024;

/**
 * What one server holds for its streams' clients, in bytes, so a client that stops reading pins
 * at most a stream's write quota (plus the message being sent), as in Fabric. grpc-js's own write
 * buffer counts messages, not bytes: `write()` accepts 16 before it returns false, whatever their
 * size, so a Deliver stream of 10 MB blocks whose client never reads held 160 MB until it left.
 */
export class SendBudget {
  private held = 0;

  constructor(private readonly quotaBytes = STREAM_WRITE_QUOTA_BYTES) {}

  /** Bytes written to this server's streams and not yet taken by HTTP/2, across every stream. */
  get bufferedBytes(): number {
    return this.held;
  }

  /**
   * A sender for `stream`: each send resolves once the stream has at most the quota not taken by
   * HTTP/2 (at once while there is room), or once the stream closes or `ended` aborts (the server
   * ending the stream). Sending after that is a no-op. Callers wait on this alone: racing each send
   * against a promise that lives as long as the stream left one reaction on that promise per send,
   * a leak of about 400 bytes per block on every Deliver stream.
   */
  sender(stream: BudgetedStream, ended?: AbortSignal): (chunk: Uint8Array) => Promise<void> {
    let pending = 0;
    let closed = false;
    const waiting: (() => void)[] = [];
    const wake = (): void => {
      for (const resolve of waiting.splice(0)) resolve();
    };
    // grpc-js never calls back a write that a cancelled call drops: what it held is returned here.
    const close = (): void => {
      if (closed) return;
      closed = true;
      this.held -= pending;
      pending = 0;
      wake();
    };
    for (const event of ['close', 'finish', 'cancelled', 'error']) stream.once(event, close);
    if (ended?.aborted === true) close();
    else ended?.addEventListener('abort', close, { once: true });
    return (chunk) => {
      if (closed) return Promise.resolve();
      const size = chunk.length;
      pending += size;
      this.held += size;
      stream.write(chunk, () => {
        if (closed) return;
        pending -= size;
        this.held -= size;
        if (pending <= this.quotaBytes) wake();
      });
      if (pending <= this.quotaBytes) return Promise.resolve();
      return new Promise((resolve) => waiting.push(resolve));
    };
  }
}
