/** The stub's paginated queries, public and private, as fabric-shim sends them and reads their answers. */
import type { HostKV, HostPage, HostQueryBatch, HostReply } from '../host-api';
import { unwrap } from './host';
import { type KVResult, StateQueryIterator } from './iterators';

/**
 * The stub methods Weft adds to fabric-shim 2.5's (Fabric has no paginated private queries:
 * hyperledger/fabric#4197). A check that the stub offers what fabric-shim's does sets these aside.
 */
export const PRIVATE_PAGINATION_METHODS: readonly string[] = ['getPrivateDataByPartialCompositeKeyWithPagination', 'getPrivateDataByRangeWithPagination', 'getPrivateDataQueryResultWithPagination'];

/** `metadata` is absent when the peer did not paginate, as in fabric-shim (its handler sets it only from a response that carries it). */
export type PagedValue = { iterator: StateQueryIterator; metadata?: { fetchedRecordsCount: number; bookmark: string } };
export type PagedResult = Promise<PagedValue> & AsyncIterable<KVResult>;

/**
 * A paginated query as fabric-shim sends one. The shim writes `pageSize` into QueryMetadata's int32
 * field, whose encoder takes a numeric string as its number: chaincode that passes a transaction
 * argument straight through (fabric-samples' ledger-queries does) gets the page it asked for. And a
 * peer takes a page size of 0 with no bookmark as no pagination at all (Fabric's
 * `isMetadataSetForPagination`): every result, no metadata, and the transaction may still write.
 */
export function pagedQuery(
  pageSize: unknown,
  bookmark: string | undefined,
  query: { whole: () => HostReply<HostQueryBatch<HostKV>>; page: (pageSize: number, bookmark: string) => HostReply<HostPage> },
): PagedValue {
  const size = typeof pageSize === 'string' && /^\s*[+-]?\d+\s*$/.test(pageSize) ? Number(pageSize) : pageSize;
  const mark = bookmark ?? '';
  if (size === 0 && mark === '') return { iterator: StateQueryIterator.fromBatch(unwrap(query.whole())) };
  // Anything but an integer goes on as given: the host's check names what is wrong with it.
  const page = unwrap(query.page(size as number, mark));
  return {
    iterator: StateQueryIterator.fromHost(page.results),
    metadata: { fetchedRecordsCount: page.fetchedRecordsCount, bookmark: page.bookmark },
  };
}

/**
 * The argument count of a paginated private query: counted, as fabric-shim counts its private
 * queries' arguments, with the bookmark optional as in the public twins. `names` lists the required ones.
 */
export function checkPagedArity(method: string, argc: number, required: number, names: string): void {
  if (argc < required || argc > required + 1) {
    const words = ['', 'one', 'two', 'three', 'four', 'five'];
    throw new Error(`${method} requires ${words[required]} or ${words[required + 1]} arguments, ${names} and an optional bookmark`);
  }
}
