/**
 * The host table's paginated private data queries (sandbox ABI 6). Fabric has none
 * (hyperledger/fabric#4197, its handler takes the private branch before it looks at a query's
 * metadata); these give private ranges and rich queries the pages of their public twins.
 */
import type { ShimRequestType } from './chaincode-runtime';
import type { HostTable } from './host-api';
import { MAX_QUERY_BYTES, str } from './host-args';
import { collectionOf, keyOf } from './host-private-data';
import { pageLimit, pageReply } from './host-replies';
import type { HostEntry } from './host-session';

type PrivatePageEntries = Pick<HostTable, 'getPrivateDataByRangeWithPagination' | 'getPrivateDataQueryResultWithPagination'>;

/** fabric-shim would send these as it sends the public paginated queries, with the collection set too. */
export const PRIVATE_PAGE_SHIM_REQUEST_TYPES: Readonly<Record<keyof PrivatePageEntries, ShimRequestType>> = {
  getPrivateDataByRangeWithPagination: 'GET_STATE_BY_RANGE',
  getPrivateDataQueryResultWithPagination: 'GET_QUERY_RESULT',
};

/** The paginated private query entries of the host table, built over the table's own entry wrapper. */
export function privatePageEntries(entry: HostEntry): PrivatePageEntries {
  return {
    getPrivateDataByRangeWithPagination: entry('getPrivateDataByRangeWithPagination', (s, c: string, start: string, end: string, pageSize: number, bookmark: string) => {
      const [cc, a, b, n, bm] = [collectionOf(s, c), keyOf(s, start, 'startKey'), keyOf(s, end, 'endKey'), pageLimit(s, pageSize), keyOf(s, bookmark, 'bookmark')];
      return pageReply(s, 'getPrivateDataByRangeWithPagination', s.support.simulator.getPrivateDataRangeWithPagination(s.namespace, cc, a, b, n, bm), n);
    }),
    getPrivateDataQueryResultWithPagination: entry('getPrivateDataQueryResultWithPagination', (s, c: string, query: string, pageSize: number, bookmark: string) => {
      const [cc, q, n, bm] = [collectionOf(s, c), str(query, 'query', MAX_QUERY_BYTES), pageLimit(s, pageSize), str(bookmark, 'bookmark', MAX_QUERY_BYTES)];
      return pageReply(s, 'getPrivateDataQueryResultWithPagination', s.support.simulator.executeQueryOnPrivateDataWithPagination(s.namespace, cc, q, n, bm), n);
    }),
  };
}
