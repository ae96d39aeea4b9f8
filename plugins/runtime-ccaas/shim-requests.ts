/**
 * The peer's answers to a chaincode server's requests (Fabric's `core/chaincode/handler.go`): each
 * `ChaincodeMessage` a shim sends while a transaction runs is decoded and served by the same host
 * table the isolated-vm sandbox calls, so state access, key and value limits, `totalQueryLimit`, the
 * transaction's byte budget, Fabric's query batches and the shim-request metrics are one code path
 * for both runtimes. The answer is a `RESPONSE` with Fabric's payload, or an `ERROR` worded as
 * Fabric's handler words it (`<TYPE> failed: transaction ID: <txid>: <cause>`).
 */
import { KV, KeyModification } from '@hyperledger/fabric-protos/lib/ledger/queryresult/kv_query_result_pb';
import { ChaincodeSpec } from '@hyperledger/fabric-protos/lib/peer/chaincode_pb';
import {
  ChaincodeMessage,
  DelState,
  GetHistoryForKey,
  GetQueryResult,
  GetState,
  GetStateByRange,
  GetStateMetadata,
  GetStateMultiple,
  GetStateMultipleResult,
  PutState,
  PutStateMetadata,
  QueryMetadata,
  QueryResponse,
  QueryResponseMetadata,
  QueryResultBytes,
  QueryStateClose,
  QueryStateNext,
  StateMetadata,
  StateMetadataResult,
  WriteBatchState,
  WriteRecord,
} from '@hyperledger/fabric-protos/lib/peer/chaincode_shim_pb';
import { Response } from '@hyperledger/fabric-protos/lib/peer/proposal_response_pb';
import { Timestamp } from 'google-protobuf/google/protobuf/timestamp_pb';
import type { HostKeyModification, HostPage, HostQueryBatch, HostReply, HostTable, WireBytes } from '../../core/chaincode/host-api';
import { VALIDATION_PARAMETER } from '../../core/chaincode/host-args';
import { transactionScope } from '../../core/chaincode/host-queries';
import { invokeChaincodeAsync } from '../../core/chaincode/host-table';
import type { HostSession } from '../../core/chaincode/host-session';

const T = ChaincodeMessage.Type;
type MessageType = ChaincodeMessage.TypeMap[keyof ChaincodeMessage.TypeMap];

/** The name of a message type, as Fabric prints `pb.ChaincodeMessage_Type`. */
export function messageTypeName(type: number): string {
  return Object.entries(T).find(([, v]) => v === type)?.[0] ?? String(type);
}

/** One running transaction, as a request reaches it: its host-side session and the table that serves it. */
export interface ShimRequestContext {
  readonly session: HostSession;
  /** Runs one host table entry against this transaction's session. */
  call<R>(entry: (table: HostTable) => HostReply<R>): R;
}

/** A host table entry's `{error}`, thrown to become the request's ERROR answer. */
class RequestRefused extends Error {}

/** The host table's reply value, or its error as a throw. */
export function unwrap<R>(reply: HostReply<R>): R {
  if (reply.error !== undefined) throw new RequestRefused(reply.error);
  return reply.result as R;
}

function toBytes(value: WireBytes | Uint8Array | undefined): Uint8Array {
  if (value === undefined) return new Uint8Array(0);
  return typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
}

/** A query result as Fabric's handler queues it: a marshalled `queryresult.KV` or `KeyModification`. */
function resultBytes(namespace: string, item: unknown): QueryResultBytes {
  const out = new QueryResultBytes();
  if (Array.isArray(item)) {
    const kv = new KV();
    kv.setNamespace(namespace);
    kv.setKey(item[0] as string);
    kv.setValue(toBytes(item[1] as Uint8Array));
    out.setResultbytes(kv.serializeBinary());
    return out;
  }
  const m = item as HostKeyModification;
  const km = new KeyModification();
  km.setTxId(m.txId);
  km.setValue(toBytes(m.value));
  const ts = new Timestamp();
  ts.setSeconds(m.seconds);
  ts.setNanos(m.nanos);
  km.setTimestamp(ts);
  km.setIsDelete(m.isDelete);
  out.setResultbytes(km.serializeBinary());
  return out;
}

function batchResponse(namespace: string, batch: HostQueryBatch<unknown>): Uint8Array {
  const r = new QueryResponse();
  r.setResultsList(batch.results.map((item) => resultBytes(namespace, item)));
  r.setHasMore(batch.hasMore);
  r.setId(batch.id);
  return r.serializeBinary();
}

/**
 * A page answered whole, as Fabric's `BuildQueryResponse` answers an explicitly paginated query:
 * one batch, `has_more` false, the metadata holding the count and the next page's bookmark. Its
 * iterator id is one of this transaction's, so the shim's closing it afterwards is no error.
 */
function pageResponse(session: HostSession, page: HostPage): Uint8Array {
  const r = new QueryResponse();
  r.setResultsList(page.results.map((item) => resultBytes(session.namespace, item)));
  r.setHasMore(false);
  r.setId(`${transactionScope(session.invocation.channelId, session.invocation.txId)}page`);
  const metadata = new QueryResponseMetadata();
  metadata.setFetchedRecordsCount(page.fetchedRecordsCount);
  metadata.setBookmark(page.bookmark);
  r.setMetadata(metadata.serializeBinary());
  return r.serializeBinary();
}

/** Fabric's `isMetadataSetForPagination`: a page size or a bookmark. */
function paging(metadataBytes: Uint8Array): { pageSize: number; bookmark: string } | undefined {
  if (metadataBytes.length === 0) return undefined;
  const m = QueryMetadata.deserializeBinary(metadataBytes);
  if (m.getPagesize() === 0 && m.getBookmark() === '') return undefined;
  return { pageSize: m.getPagesize(), bookmark: m.getBookmark() };
}

/** `name`, `name/channel` or `name:version/channel` (Fabric's `ParseName`; the version is ignored, as there). */
function parseCallee(fullName: string): { name: string; channel: string } {
  const slash = fullName.indexOf('/');
  const channel = slash < 0 ? '' : fullName.slice(slash + 1);
  const head = slash < 0 ? fullName : fullName.slice(0, slash);
  const colon = head.indexOf(':');
  return { name: colon < 0 ? head : head.slice(0, colon), channel };
}

function putState(ctx: ShimRequestContext, collection: string, key: string, value: Uint8Array): void {
  ctx.call((t) => (collection === '' ? t.putState(key, value) : t.putPrivateData(collection, key, value)));
}

function delState(ctx: ShimRequestContext, collection: string, key: string): void {
  ctx.call((t) => (collection === '' ? t.deleteState(key) : t.deletePrivateData(collection, key)));
}

function putStateMetadata(ctx: ShimRequestContext, collection: string, key: string, md: StateMetadata | undefined): void {
  // The ledger keeps one kind of key metadata: the key-level endorsement policy.
  if (md === undefined || md.getMetakey() !== VALIDATION_PARAMETER) {
    throw new RequestRefused(`metadata key ${JSON.stringify(md?.getMetakey() ?? '')} is not supported: only ${VALIDATION_PARAMETER} (a key-level endorsement policy) can be set`);
  }
  const value = md.getValue_asU8();
  ctx.call((t) => (collection === '' ? t.setStateValidationParameter(key, value) : t.setPrivateDataValidationParameter(collection, key, value)));
}

/**
 * Fabric's `HandleWriteBatch`: each record applied in order as its single request would be, the
 * first failure ending the batch with that request's error. As there, the records before it stay
 * written: the Go shim fails the transaction when its batch fails, so none of it is endorsed.
 * The batch's length is not checked against READY's `maxSizeWriteBatch`, as Fabric's peer does
 * not: the Go shim raises a size below 100 to 100, so a peer refusing longer batches would fail it.
 */
function writeBatch(ctx: ShimRequestContext, batch: WriteBatchState): void {
  const W = WriteRecord.Type;
  for (const r of batch.getRecList()) {
    const [c, k] = [r.getCollection(), r.getKey()];
    switch (r.getType()) {
      case W.PUT_STATE:
        putState(ctx, c, k, r.getValue_asU8());
        break;
      case W.DEL_STATE:
        delState(ctx, c, k);
        break;
      case W.PURGE_PRIVATE_DATA:
        ctx.call((t) => t.purgePrivateData(c, k));
        break;
      case W.PUT_STATE_METADATA:
        putStateMetadata(ctx, c, k, r.getMetadata());
        break;
      default:
        throw new RequestRefused('unknown operation type');
    }
  }
}

/** The RESPONSE payload of one request; throws what becomes its ERROR. */
function serve(type: number, payload: Uint8Array, ctx: ShimRequestContext): Uint8Array {
  const { session } = ctx;
  switch (type) {
    case T.GET_STATE: {
      const m = GetState.deserializeBinary(payload);
      const c = m.getCollection();
      return toBytes(ctx.call((t) => (c === '' ? t.getState(m.getKey()) : t.getPrivateData(c, m.getKey()))));
    }
    case T.GET_PRIVATE_DATA_HASH: {
      const m = GetState.deserializeBinary(payload);
      return toBytes(ctx.call((t) => t.getPrivateDataHash(m.getCollection(), m.getKey())));
    }
    case T.GET_STATE_MULTIPLE: {
      const m = GetStateMultiple.deserializeBinary(payload);
      const c = m.getCollection();
      // Each key is read as GET_STATE reads it, so the read set, limits and private-data checks are the single call's.
      const values = m.getKeysList().map((k) => toBytes(ctx.call((t) => (c === '' ? t.getState(k) : t.getPrivateData(c, k)))));
      const result = new GetStateMultipleResult();
      result.setValuesList(values);
      return result.serializeBinary();
    }
    case T.PUT_STATE: {
      const m = PutState.deserializeBinary(payload);
      putState(ctx, m.getCollection(), m.getKey(), m.getValue_asU8());
      return new Uint8Array(0);
    }
    case T.DEL_STATE: {
      const m = DelState.deserializeBinary(payload);
      delState(ctx, m.getCollection(), m.getKey());
      return new Uint8Array(0);
    }
    case T.PURGE_PRIVATE_DATA: {
      // fabric-shim sends a PurgePrivateState, Fabric's handler reads a DelState: the same fields.
      const m = DelState.deserializeBinary(payload);
      ctx.call((t) => t.purgePrivateData(m.getCollection(), m.getKey()));
      return new Uint8Array(0);
    }
    case T.PUT_STATE_METADATA: {
      const m = PutStateMetadata.deserializeBinary(payload);
      putStateMetadata(ctx, m.getCollection(), m.getKey(), m.getMetadata());
      return new Uint8Array(0);
    }
    case T.WRITE_BATCH_STATE:
      writeBatch(ctx, WriteBatchState.deserializeBinary(payload));
      return new Uint8Array(0);
    case T.GET_STATE_METADATA: {
      const m = GetStateMetadata.deserializeBinary(payload);
      const c = m.getCollection();
      const ep = ctx.call((t) => (c === '' ? t.getStateValidationParameter(m.getKey()) : t.getPrivateDataValidationParameter(c, m.getKey())));
      const result = new StateMetadataResult();
      if (ep !== undefined) {
        const entry = new StateMetadata();
        entry.setMetakey(VALIDATION_PARAMETER);
        entry.setValue(ep);
        result.addEntries(entry);
      }
      return result.serializeBinary();
    }
    case T.GET_STATE_BY_RANGE: {
      const m = GetStateByRange.deserializeBinary(payload);
      const [c, start, end] = [m.getCollection(), m.getStartkey(), m.getEndkey()];
      // As Fabric's handler: a private range takes its branch before pagination is looked at.
      if (c !== '') return batchResponse(session.namespace, ctx.call((t) => t.openPrivateDataByRange(c, start, end)));
      const page = paging(m.getMetadata_asU8());
      if (page !== undefined) return pageResponse(session, ctx.call((t) => t.getStateByRangeWithPagination(start, end, page.pageSize, page.bookmark)));
      return batchResponse(session.namespace, ctx.call((t) => t.openStateByRange(start, end)));
    }
    case T.GET_QUERY_RESULT: {
      const m = GetQueryResult.deserializeBinary(payload);
      const [c, query] = [m.getCollection(), m.getQuery()];
      if (c !== '') return batchResponse(session.namespace, ctx.call((t) => t.openPrivateDataQueryResult(c, query)));
      const page = paging(m.getMetadata_asU8());
      if (page !== undefined) return pageResponse(session, ctx.call((t) => t.getQueryResultWithPagination(query, page.pageSize, page.bookmark)));
      return batchResponse(session.namespace, ctx.call((t) => t.openQueryResult(query)));
    }
    case T.GET_HISTORY_FOR_KEY: {
      const m = GetHistoryForKey.deserializeBinary(payload);
      return batchResponse(session.namespace, ctx.call((t) => t.openHistoryForKey(m.getKey())));
    }
    case T.QUERY_STATE_NEXT: {
      const m = QueryStateNext.deserializeBinary(payload);
      return batchResponse(session.namespace, ctx.call((t) => t.queryStateNext(m.getId())));
    }
    case T.QUERY_STATE_CLOSE: {
      const m = QueryStateClose.deserializeBinary(payload);
      ctx.call((t) => t.queryStateClose(m.getId()));
      const r = new QueryResponse();
      r.setHasMore(false);
      r.setId(m.getId());
      return r.serializeBinary();
    }
    default:
      throw new RequestRefused(`message type ${messageTypeName(type)} is not served by this peer`);
  }
}

function reply(request: ChaincodeMessage, outcome: { payload: Uint8Array } | { error: unknown }): ChaincodeMessage {
  const m = new ChaincodeMessage();
  m.setTxid(request.getTxid());
  m.setChannelId(request.getChannelId());
  if ('payload' in outcome) {
    m.setType(T.RESPONSE);
    m.setPayload(outcome.payload);
  } else {
    m.setType(T.ERROR);
    m.setPayload(Buffer.from(requestFailure(request, outcome.error instanceof Error ? outcome.error.message : String(outcome.error))));
  }
  return m;
}

/** The answer to one request of the transaction `ctx` runs, except INVOKE_CHAINCODE ({@link answerInvokeChaincode}). */
export function answerShimRequest(request: ChaincodeMessage, ctx: ShimRequestContext): ChaincodeMessage {
  try {
    return reply(request, { payload: serve(request.getType(), request.getPayload_asU8(), ctx) });
  } catch (error) {
    return reply(request, { error });
  }
}

/**
 * The answer to INVOKE_CHAINCODE, once the callee has run: the shim waits for it as for any other
 * reply, so the callee may run as a service too (Fabric's handler serves it asynchronously). The
 * RESPONSE holds a COMPLETED `ChaincodeMessage` with the callee's `Response`, whatever its status,
 * as the shim reads it. Never rejects.
 */
export async function answerInvokeChaincode(request: ChaincodeMessage, session: HostSession): Promise<ChaincodeMessage> {
  try {
    const spec = ChaincodeSpec.deserializeBinary(request.getPayload_asU8());
    const callee = parseCallee(spec.getChaincodeId()?.getName() ?? '');
    const r = unwrap(await invokeChaincodeAsync(session, callee.name, spec.getInput()?.getArgsList_asU8() ?? [], callee.channel));
    const response = new Response();
    response.setStatus(r.status);
    response.setMessage(r.message);
    response.setPayload(r.payload);
    const completed = new ChaincodeMessage();
    completed.setType(T.COMPLETED);
    completed.setPayload(response.serializeBinary());
    completed.setTxid(session.invocation.txId);
    completed.setChannelId(session.invocation.channelId);
    return reply(request, { payload: completed.serializeBinary() });
  } catch (error) {
    return reply(request, { error });
  }
}

/** Fabric's wording of a failed request (`HandleTransaction`). */
export function requestFailure(request: ChaincodeMessage, cause: string): string {
  return `${messageTypeName(request.getType())} failed: transaction ID: ${request.getTxid()}: ${cause}`;
}

/** The request types a running transaction may send (Fabric's `handleMessageReadyState`, less COMPLETED and ERROR). */
export const REQUEST_MESSAGE_TYPES: ReadonlySet<MessageType> = new Set<MessageType>([
  T.GET_STATE,
  T.PUT_STATE,
  T.DEL_STATE,
  T.INVOKE_CHAINCODE,
  T.GET_STATE_BY_RANGE,
  T.GET_QUERY_RESULT,
  T.GET_HISTORY_FOR_KEY,
  T.QUERY_STATE_NEXT,
  T.QUERY_STATE_CLOSE,
  T.GET_PRIVATE_DATA_HASH,
  T.GET_STATE_METADATA,
  T.PUT_STATE_METADATA,
  T.PURGE_PRIVATE_DATA,
  T.WRITE_BATCH_STATE,
  T.GET_STATE_MULTIPLE,
]);
