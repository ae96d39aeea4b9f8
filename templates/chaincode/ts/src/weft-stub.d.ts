/**
 * The stub calls Weft's runtime has and Fabric's lacks (hyperledger/fabric#4197): paginated
 * private data queries, with the public twins' arguments after a collection and their answer
 * (`{iterator, metadata: {fetchedRecordsCount, bookmark}}`), read-only as every private query.
 * fabric-shim's types do not declare them; this adds them to `ctx.stub` (fabric-contract-api's
 * `Context`) and to fabric-shim's `ChaincodeStub`. A Fabric peer has no such calls: chaincode that
 * must also run there keeps to the unpaginated ones.
 */
import type { Iterators, StateQueryResponse } from 'fabric-shim-api';

type PagedQuery = Promise<StateQueryResponse<Iterators.StateQueryIterator>> & AsyncIterable<Iterators.KV>;

interface WeftPrivatePagination {
  getPrivateDataByRangeWithPagination(collection: string, startKey: string, endKey: string, pageSize: number, bookmark?: string): PagedQuery;
  getPrivateDataByPartialCompositeKeyWithPagination(collection: string, objectType: string, attributes: string[], pageSize: number, bookmark?: string): PagedQuery;
  getPrivateDataQueryResultWithPagination(collection: string, query: string, pageSize: number, bookmark?: string): PagedQuery;
}

declare module 'fabric-shim-api' {
  interface ChaincodeStub extends WeftPrivatePagination {}
}

declare module 'fabric-shim' {
  interface ChaincodeStub extends WeftPrivatePagination {}
}
