/**
 * fabric-shim's query iterators over results the host returned in one call. Query methods return a
 * Promise that is also async-iterable, so both `await` + `next()` loops and bare `for await` work.
 */
import { Buffer } from 'buffer';
import type { HostKeyModification, HostKV, WireBytes } from '../host-api';

export interface KVResult {
  key: string;
  value: Buffer;
}

export interface KeyModificationResult {
  txId: string;
  value: Buffer;
  isDelete: boolean;
  timestamp: { seconds: number; nanos: number };
}

export type IteratorResultLike<T> = { value: T; done: false } | { value?: undefined; done: true };

export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A Buffer of {@link WireBytes}: a binary string (one char per byte) or an array. */
export function fromWire(bytes: WireBytes): Buffer {
  if (typeof bytes !== 'string') return toBuffer(bytes);
  const out = Buffer.allocUnsafe(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes.charCodeAt(i);
  return out;
}

class CommonIterator<T> {
  private index = 0;
  private closed = false;
  constructor(private readonly items: T[]) {}

  async next(): Promise<IteratorResultLike<T>> {
    if (this.closed || this.index >= this.items.length) return { done: true };
    return { value: this.items[this.index++], done: false };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

export class StateQueryIterator extends CommonIterator<KVResult> {
  static fromHost(results: HostKV[]): StateQueryIterator {
    return new StateQueryIterator(results.map(([key, value]) => ({ key, value: toBuffer(value) })));
  }
}

export class HistoryQueryIterator extends CommonIterator<KeyModificationResult> {
  static fromHost(results: HostKeyModification[]): HistoryQueryIterator {
    return new HistoryQueryIterator(
      results.map((m) => ({ txId: m.txId, value: toBuffer(m.value), isDelete: m.isDelete, timestamp: { seconds: m.seconds, nanos: m.nanos } })),
    );
  }
}

interface Closeable<T> {
  next(): Promise<IteratorResultLike<T>>;
  close(): Promise<void>;
}

/** Makes a Promise of an iterator (or of `{iterator}`) also usable with `for await`. */
export function asyncIterable<T, P extends Closeable<T> | { iterator: Closeable<T> }>(promise: Promise<P>): Promise<P> & AsyncIterable<T> {
  const out = promise as Promise<P> & AsyncIterable<T>;
  out[Symbol.asyncIterator] = function (): AsyncIterator<T> {
    let it: Closeable<T> | undefined;
    const get = async (): Promise<Closeable<T>> => {
      if (it === undefined) {
        const resolved = await promise;
        it = 'iterator' in resolved ? resolved.iterator : resolved;
      }
      return it;
    };
    return {
      async next(): Promise<IteratorResult<T>> {
        const iter = await get();
        const r = await iter.next();
        if (r.done) {
          await iter.close();
          return { value: undefined, done: true };
        }
        return { value: r.value, done: false };
      },
      async return(): Promise<IteratorResult<T>> {
        await (await get()).close();
        return { value: undefined, done: true };
      },
    };
  };
  return out;
}
