import { setTimeout as sleep } from 'node:timers/promises';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { grpcErrorText } from '../client/peer-client';

/** One connection's stream of items, and how to drop it (the call and its connection). */
export interface OpenStream<T> {
  readonly items: AsyncIterable<T>;
  close(): void;
}

/** What {@link watchWithReconnect} drives: a stream that resumes from its own checkpoint each time it is opened. */
export interface ResumableStream<T> {
  /**
   * Connects and opens the stream from the checkpoint (or the start position while none is saved).
   * Called once at first and again after each loss; a throw that {@link isConnectionLoss} accepts is
   * retried, any other ends the watch.
   */
  open(): Promise<OpenStream<T>>;
  /** Prints one item and saves it in the checkpoint; the watch stops only between two calls. */
  handle(item: T): Promise<void>;
  /** Where the next open resumes, for the progress lines. */
  position(): string;
}

export interface WatchLimits {
  /** Stop after this many items. */
  readonly count?: number;
  /** Stop after this long (ms), without error. */
  readonly timeoutMs?: number;
  /** Aborted on Ctrl-C: stop after the item being handled. */
  readonly interrupt?: AbortSignal;
  readonly progress: (message: string) => void;
  /** The peer, for the progress lines. */
  readonly peer: string;
  /** Wait before reconnect attempt `n` (from 1); default {@link reconnectDelayMs}. */
  readonly delayMs?: (attempt: number) => number;
}

export type StopReason = 'count' | 'timeout' | 'interrupted';

export interface WatchResult {
  readonly seen: number;
  readonly reason: StopReason;
  /** How many times the stream was lost and opened again. */
  readonly reconnects: number;
}

/** 250 ms doubling to 5 s: a restarting peer is back within seconds, and a watcher never waits long after it is. */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(250 * 2 ** (Math.max(attempt, 1) - 1), 5_000);
}

/** The peer went away (restart, network): gRPC's transport codes, or a connection that did not come up. */
export function isConnectionLoss(err: unknown): boolean {
  if (err instanceof PeerUnreachable || err instanceof NotYetCommitted) return true;
  const e = err as { code?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' ? e.message : '';
  // The CLI's own qscc client says so when the peer did not answer.
  if (e?.code === 'PEER_UNREACHABLE') return true;
  switch (e?.code) {
    case GrpcStatus.UNAVAILABLE: // also a connection the session's keepalive found dead, silently ("Connection dropped")
    case GrpcStatus.CANCELLED: // a server that shuts down cancels its open streams
    case GrpcStatus.DEADLINE_EXCEEDED:
      return true;
    case GrpcStatus.INTERNAL:
    case GrpcStatus.UNKNOWN:
      // HTTP/2 torn down under the call, as a killed process leaves it.
      return /RST_STREAM|GOAWAY|connection|socket|ECONNRESET/i.test(message);
    default:
      return false;
  }
}

/** The connection to the peer did not come up in time. */
export class PeerUnreachable extends Error {
  override readonly name = 'PeerUnreachable';
}

/**
 * The stream's next block is beyond the peer's height (a start block not yet committed, or a peer
 * back from a restart still catching up): Fabric's Deliver refuses that (NOT_FOUND) rather than
 * waiting, so the watch waits and opens it again once the block may be there.
 */
export class NotYetCommitted extends Error {
  override readonly name = 'NotYetCommitted';
}

/**
 * Reads a resumable stream until `count` items, `timeoutMs` or an interrupt, opening it again with
 * backoff whenever the peer goes away: each open resumes from the checkpoint the items were saved
 * in, so none is printed twice or lost across a reconnect. A stream the peer ends cleanly (its
 * shutdown) counts as a loss too: an event stream never ends on its own.
 */
export async function watchWithReconnect<T>(stream: ResumableStream<T>, limits: WatchLimits): Promise<WatchResult> {
  const stop = new AbortController();
  let reason: StopReason | undefined;
  const stopWith = (r: StopReason): void => {
    reason ??= r;
    stop.abort();
  };
  const timer = limits.timeoutMs === undefined ? undefined : setTimeout(() => stopWith('timeout'), limits.timeoutMs);
  const onInterrupt = (): void => stopWith('interrupted');
  if (limits.interrupt?.aborted === true) stopWith('interrupted');
  limits.interrupt?.addEventListener('abort', onInterrupt);
  const delay = limits.delayMs ?? reconnectDelayMs;
  let seen = 0;
  // Reset by an item, not by a connection: a peer that accepts and then drops at once still backs off.
  let failures = 0;
  let down = false;
  let waiting: string | undefined;
  let reconnects = 0;
  try {
    while (!stop.signal.aborted) {
      let lost: unknown;
      let open: OpenStream<T> | undefined;
      try {
        open = await stream.open();
        // Stopped while connecting: no close() listener was there to end the stream.
        if (stop.signal.aborted) break;
        if (down) {
          reconnects++;
          down = false;
          limits.progress(`reconnected to ${limits.peer}; ${stream.position()}`);
        }
        const opened = open;
        const onStop = (): void => opened.close();
        stop.signal.addEventListener('abort', onStop);
        try {
          for await (const item of opened.items) {
            await stream.handle(item);
            seen++;
            failures = 0;
            if (limits.count !== undefined && seen >= limits.count) stopWith('count');
            if (stop.signal.aborted) break;
          }
          lost = new Error('the peer ended the stream');
        } finally {
          stop.signal.removeEventListener('abort', onStop);
        }
      } catch (err) {
        // Our own close() cancels the call: that is the stop, not a loss.
        if (stop.signal.aborted) break;
        if (!isConnectionLoss(err)) throw err;
        lost = err;
      } finally {
        open?.close();
      }
      if (stop.signal.aborted) break;
      failures++;
      const wait = delay(failures);
      if (lost instanceof NotYetCommitted) {
        // Said once, not every poll.
        if (lost.message !== waiting) limits.progress(lost.message);
        waiting = lost.message;
      } else {
        down = true;
        waiting = undefined;
        limits.progress(`lost ${limits.peer} (${grpcErrorText((lost as Error).message)}): reconnecting in ${(wait / 1000).toFixed(1)} s (attempt ${failures}); ${stream.position()}`);
      }
      try {
        await sleep(wait, undefined, { signal: stop.signal });
      } catch {
        break;
      }
    }
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    limits.interrupt?.removeEventListener('abort', onInterrupt);
  }
  return { seen, reason: reason ?? 'interrupted', reconnects };
}
