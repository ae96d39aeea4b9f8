/**
 * fabric-shim's query iterators. Results come from the host in Fabric's batches: the iterator asks
 * for the next batch when one runs out (QUERY_STATE_NEXT) and releases the host's iterator on
 * close (QUERY_STATE_CLOSE). Query methods return a Promise that is also async-iterable, so both
 * `await` + `next()` loops and bare `for await` work.
 */
import { Buffer } from 'buffer';
import type { HostKeyModification, HostKV, HostQueryBatch, WireBytes } from '../host-api';
import { host, unwrap } from './host';

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

/** The transaction running in the sandbox, as the dispatcher marks it (see `setActiveInvocation`). */
let running: { readonly txId: string } | undefined;

/** Marks the transaction whose iterators may be read; undefined between transactions. */
export function setIteratorTransaction(inv: { readonly txId: string } | undefined): void {
  running = inv;
}

class CommonIterator<T, H> {
  private results: T[] = [];
  private index = 0;
  private id = '';
  private hasMore = false;
  private closed = false;
  /** Private to the shim: chaincode cannot re-bind an iterator to a later transaction. */
  readonly #owner = running;

  protected constructor(
    first: HostQueryBatch<H>,
    private readonly convert: (item: H) => T,
  ) {
    this.load(first);
  }

  /**
   * An iterator kept in module scope past its transaction fails, whatever it still holds: the host
   * closed its query when the transaction ended, and what it would answer depends on how far the
   * earlier transaction had read, so reading on is no use to chaincode and cannot be made safe.
   */
  #checkOwner(): void {
    if (this.#owner === running) return;
    const tx = this.#owner === undefined ? 'no transaction' : `transaction ${this.#owner.txId}`;
    throw new Error(`query iterator not found: this iterator was opened by ${tx}, which has ended (an iterator can be read only in the transaction that opened it)`);
  }

  async next(): Promise<IteratorResultLike<T>> {
    this.#checkOwner();
    for (;;) {
      if (this.closed) return { done: true };
      if (this.index < this.results.length) return { value: this.results[this.index++], done: false };
      if (!this.hasMore) return { done: true };
      this.load(unwrap(host().queryStateNext(this.id)) as HostQueryBatch<H>);
    }
  }

  async close(): Promise<void> {
    this.#checkOwner();
    if (this.closed) return;
    this.closed = true;
    if (this.hasMore) unwrap(host().queryStateClose(this.id));
  }

  private load(batch: HostQueryBatch<H>): void {
    this.results = batch.results.map(this.convert);
    this.index = 0;
    this.id = batch.id;
    this.hasMore = batch.hasMore;
  }
}

/** Results that came whole (a page, or an ABI 2 style reply): one batch, nothing more to ask for. */
function whole<H>(results: H[]): HostQueryBatch<H> {
  return { id: '', results, hasMore: false };
}

const toKVResult = ([key, value]: HostKV): KVResult => ({ key, value: toBuffer(value) });
const toModification = (m: HostKeyModification): KeyModificationResult => ({ txId: m.txId, value: toBuffer(m.value), isDelete: m.isDelete, timestamp: { seconds: m.seconds, nanos: m.nanos } });

export class StateQueryIterator extends CommonIterator<KVResult, HostKV> {
  static fromBatch(first: HostQueryBatch<HostKV>): StateQueryIterator {
    return new StateQueryIterator(first, toKVResult);
  }

  static fromHost(results: HostKV[]): StateQueryIterator {
    return new StateQueryIterator(whole(results), toKVResult);
  }
}

export class HistoryQueryIterator extends CommonIterator<KeyModificationResult, HostKeyModification> {
  static fromBatch(first: HostQueryBatch<HostKeyModification>): HistoryQueryIterator {
    return new HistoryQueryIterator(first, toModification);
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
