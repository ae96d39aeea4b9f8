/** Query replies the host copies into the sandbox whole: a query's results at once, and pages. */
import type { KV, QueryPage } from '../ledger/tx-simulator';
import { hostKV, int } from './host-args';
import type { HostKV, HostPage, HostTable } from './host-api';
import { resultBytes } from './host-queries';
import type { HostSession } from './host-session';

const MAX_PAGE_SIZE = 100_000;

/**
 * A page's size as a peer takes QueryMetadata's. 0 means no page limit (it reaches the host only with
 * a bookmark: without one the sandbox runs the query unpaginated), so the query limit caps the page,
 * as in Fabric's `calculateTotalReturnLimit`.
 */
export function pageLimit(s: HostSession, pageSize: unknown): number {
  const n = int(pageSize, 'pageSize', 0, MAX_PAGE_SIZE);
  return n === 0 ? Math.min(s.limits.totalQueryLimit, MAX_PAGE_SIZE) : n;
}

/** The host calls that answer a whole query at once, which only ABI 2 bundles make. */
const WHOLE_REPLIES: ReadonlySet<keyof HostTable> = new Set(['getStateByRange', 'getQueryResult', 'getHistoryForKey']);

/**
 * A query's results in one reply (ABI 2 bundles' whole queries, and pages), at most `limit`. The
 * reply is built in the peer's heap before it is copied into the sandbox, so it counts against the
 * transaction's byte limit as it grows: `totalQueryLimit` values of up to `maxValueBytes` each
 * could otherwise make the host hold gigabytes for one call. It is not kept, so it is checked, not held.
 */
export function collect<T, H>(s: HostSession, call: keyof HostTable, items: Iterable<T>, limit: number, toHost: (item: T) => H): H[] {
  const out: H[] = [];
  let bytes = 0;
  const what = (): string =>
    WHOLE_REPLIES.has(call) ? `the results of ${call}, which a chaincode packaged for sandbox ABI 2 receives all at once (re-package it to read them in batches),` : `the page of ${call}`;
  for (const item of items) {
    if (out.length >= limit) break;
    bytes += resultBytes(item);
    s.bytes.check(bytes, s.limits.maxTransactionBytes, what);
    out.push(toHost(item));
  }
  return out;
}

/**
 * A page's reply, its rows taken one by one as {@link collect} counts them: the ledger reads a page
 * in chunks as its rows are taken, so one over the byte limit stops after a chunk, not after the peer
 * held it whole. Stopped, the page is still read to its end (rows recorded, not kept): a chaincode
 * may go on after the error, and its read set holds the whole page, as Fabric's handler reads it.
 */
export function pageReply(s: HostSession, call: keyof HostTable, page: QueryPage<KV>, limit: number): HostPage {
  let results: HostKV[];
  try {
    results = collect(s, call, page.rows(), limit, hostKV);
  } catch (err) {
    try {
      void page.fetchedRecordsCount;
    } catch {
      // The byte limit is what the chaincode needs to hear about, not a failure reading past it.
    }
    throw err;
  }
  return { results, fetchedRecordsCount: page.fetchedRecordsCount, bookmark: page.bookmark };
}
