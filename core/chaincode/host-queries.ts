import type { HostQueryBatch } from './host-api';

/**
 * Fabric's `MaxResultLimit` (chaincode_support.go): results per batch between the peer's handler
 * and the shim. A range records in its read set exactly the results the handler pulled, so the
 * batch size is part of what an endorsement contains, not a tuning knob.
 */
export const QUERY_BATCH_SIZE = 100;

interface OpenQuery {
  readonly results: Iterator<unknown>;
  readonly toHost: (item: never) => unknown;
  /** The result pulled past the last full batch, sent first in the next one. */
  pending: unknown[];
  returned: number;
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

  constructor(private readonly totalLimit: number) {}

  /** Opens an iterator over `results` and answers its first batch. */
  start<T, H>(results: Iterable<T>, toHost: (item: T) => H): HostQueryBatch<H> {
    const id = String(++this.lastId);
    this.open.set(id, { results: results[Symbol.iterator](), toHost: toHost as (item: never) => unknown, pending: [], returned: 0 });
    return this.next(id) as HostQueryBatch<H>;
  }

  /** The next batch of an open iterator (fabric-shim's QUERY_STATE_NEXT). */
  next(id: string): HostQueryBatch<unknown> {
    const q = this.open.get(id);
    if (q === undefined) throw new Error('query iterator not found');
    const batch = q.pending;
    q.pending = [];
    for (;;) {
      if (q.returned >= this.totalLimit) return this.finish(id, batch);
      const r = q.results.next();
      if (r.done === true) return this.finish(id, batch);
      q.returned++;
      const item = q.toHost(r.value as never);
      if (batch.length === QUERY_BATCH_SIZE) {
        q.pending = [item];
        return { id, results: batch, hasMore: true };
      }
      batch.push(item);
    }
  }

  /** Closes an iterator (QUERY_STATE_CLOSE); closing one already closed is not an error, as in Fabric. */
  close(id: string): void {
    this.open.get(id)?.results.return?.();
    this.open.delete(id);
  }

  private finish(id: string, batch: unknown[]): HostQueryBatch<unknown> {
    this.close(id);
    return { id, results: batch, hasMore: false };
  }
}
