import { createHash } from 'node:crypto';
import type { HostQueryBatch } from './host-api';

/**
 * Fabric's `MaxResultLimit` (chaincode_support.go): results per batch between the peer's handler
 * and the shim. A range records in its read set exactly the results the handler pulled, so the
 * batch size is part of what an endorsement contains, not a tuning knob.
 */
export const QUERY_BATCH_SIZE = 100;

/**
 * Most query iterators one transaction may hold open at once. Fabric sets none: its handler closes
 * a transaction's iterators when the transaction ends, and each costs the peer a LevelDB iterator.
 * Here each holds a ledger iterator and a result pulled ahead in the peer's heap, and a chaincode
 * that opened iterators in a loop and dropped them kept nothing in its own heap, so no memory limit
 * stopped it. Chaincode that reads its iterators to the end (which closes them) or closes them
 * holds a handful; a few hundred leaves room for any that nests queries.
 */
export const MAX_OPEN_QUERIES = 256;

/**
 * The prefix of the query iterator ids one transaction hands out: the same on every peer that
 * simulates it (a hash of its channel and transaction ID, which chaincode already sees), and
 * different between transactions, so an id kept from one never names another's iterator.
 */
export function transactionScope(channelId: string, txId: string): string {
  return `${createHash('sha256').update(channelId).update('\u0000').update(txId).digest('hex').slice(0, 16)}.`;
}

/** Where an open query's result pulled ahead is counted while it waits for the next batch. */
export interface HeldBytes {
  /** Counts `bytes` more, or throws (the transaction's byte limit), naming `what`. */
  hold(bytes: number, what: () => string): void;
  release(bytes: number): void;
}

interface OpenQuery {
  readonly results: Iterator<unknown>;
  readonly toHost: (item: never) => unknown;
  /** The result pulled past the last full batch, sent first in the next one. */
  pending: unknown[];
  /** What {@link pending} counts against the transaction's byte limit. */
  pendingBytes: number;
  returned: number;
}

/** The bytes a ledger result holds: its value, and its key or transaction ID (a KV or a key modification). */
export function resultBytes(item: unknown): number {
  if (typeof item !== 'object' || item === null) return 0;
  const { value, key, txId } = item as { value?: unknown; key?: unknown; txId?: unknown };
  const text = typeof key === 'string' ? key : typeof txId === 'string' ? txId : '';
  return (value instanceof Uint8Array ? value.byteLength : 0) + text.length;
}

/**
 * One transaction's open query iterators, answered in batches exactly as Fabric's
 * `QueryResponseGenerator.BuildQueryResponse`: a batch closes when it holds {@link QUERY_BATCH_SIZE}
 * results and one more is pulled (and kept for the next batch), or when the results end or reach
 * the total limit, which also closes the iterator.
 */
export class OpenQueries {
  private readonly open = new Map<string, OpenQuery>();
  private lastId = 0;

  /**
   * The scope (`scopeOf`) prefixes every id this transaction hands out. The sandbox's context outlives
   * transactions, so chaincode can keep an iterator (and its id) in module scope; with ids counted
   * from 1 in every transaction, a kept iterator's `next()` or `close()` reached the iterator a
   * later transaction had opened at the same position. {@link transactionScope} makes ids differ
   * between transactions the same way on every peer: chaincode can read them, so they must be
   * deterministic.
   */
  constructor(
    private readonly totalLimit: number,
    private readonly held?: HeldBytes,
    private readonly maxOpen = MAX_OPEN_QUERIES,
    /** The prefix, or what makes it when first needed: most transactions open no iterator and never hash it. */
    private scopeOf: string | (() => string) = '',
  ) {}

  private get scope(): string {
    if (typeof this.scopeOf !== 'string') this.scopeOf = this.scopeOf();
    return this.scopeOf;
  }

  /**
   * Opens an iterator over what `query` returns and answers its first batch. `query` runs only if
   * the transaction may open another iterator: a refused one leaves nothing in the read set.
   */
  start<T, H>(query: () => Iterable<T>, toHost: (item: T) => H): HostQueryBatch<H> {
    if (this.open.size >= this.maxOpen) {
      throw new Error(`this transaction already holds ${this.maxOpen} open query iterators, the most it may: close the iterators it no longer reads (iterator.close()) before opening more`);
    }
    const id = `${this.scope}${++this.lastId}`;
    this.open.set(id, { results: query()[Symbol.iterator](), toHost: toHost as (item: never) => unknown, pending: [], pendingBytes: 0, returned: 0 });
    return this.next(id) as HostQueryBatch<H>;
  }

  /**
   * The next batch of an open iterator (fabric-shim's QUERY_STATE_NEXT). A ledger failure closes
   * the iterator: it cannot go on, and it would count against {@link MAX_OPEN_QUERIES} until the
   * transaction ended.
   */
  next(id: string): HostQueryBatch<unknown> {
    const q = this.open.get(id);
    if (q === undefined) throw new Error(this.notFound(id));
    try {
      return this.batch(id, q);
    } catch (err) {
      try {
        this.close(id);
      } catch {
        // The ledger's first error says what went wrong; one from closing after it would not.
      }
      throw err;
    }
  }

  /**
   * Closes an iterator (QUERY_STATE_CLOSE); closing one this transaction already closed is not an
   * error, as in Fabric. One another transaction opened is: a Fabric peer finds no context for it.
   */
  close(id: string): void {
    const q = this.open.get(id);
    if (q === undefined) {
      if (!this.isOwn(id)) throw new Error(this.notFound(id));
      return;
    }
    this.open.delete(id);
    this.held?.release(q.pendingBytes);
    q.pending = [];
    q.results.return?.();
  }

  /**
   * Closes every iterator still open: the runtime calls it when the transaction ends, as Fabric's
   * handler closes a transaction's iterators (`TransactionContext.CloseQueryIterators`).
   */
  closeAll(): void {
    for (const id of [...this.open.keys()]) {
      try {
        this.close(id);
      } catch {
        // A ledger iterator that fails to close is the ledger's to report; the others still close.
      }
    }
  }

  private isOwn(id: string): boolean {
    return id.startsWith(this.scope);
  }

  private notFound(id: string): string {
    if (this.isOwn(id)) return 'query iterator not found';
    return `query iterator not found: iterator ${JSON.stringify(id)} was not opened by this transaction (an iterator can be read only in the transaction that opened it)`;
  }

  /** Keeps `item` for the next batch, counted against the transaction's byte limit; closes the iterator if it does not fit. */
  private holdAhead(id: string, q: OpenQuery, item: unknown, bytes: number): void {
    try {
      this.held?.hold(bytes, () => 'a query result pulled ahead for the next batch');
    } catch (err) {
      this.close(id);
      throw err;
    }
    q.pending = [item];
    q.pendingBytes = bytes;
  }

  /** Fabric's `BuildQueryResponse`: the held-ahead result, then pulled ones, until a batch is full or the results end. */
  private batch(id: string, q: OpenQuery): HostQueryBatch<unknown> {
    const batch = q.pending;
    q.pending = [];
    this.held?.release(q.pendingBytes);
    q.pendingBytes = 0;
    for (;;) {
      if (q.returned >= this.totalLimit) return this.finish(id, batch);
      const r = q.results.next();
      if (r.done === true) return this.finish(id, batch);
      q.returned++;
      const item = q.toHost(r.value as never);
      if (batch.length === QUERY_BATCH_SIZE) {
        this.holdAhead(id, q, item, resultBytes(r.value));
        return { id, results: batch, hasMore: true };
      }
      batch.push(item);
    }
  }

  private finish(id: string, batch: unknown[]): HostQueryBatch<unknown> {
    this.close(id);
    return { id, results: batch, hasMore: false };
  }
}
