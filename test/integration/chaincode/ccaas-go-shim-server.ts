/**
 * A chaincode server that speaks `protos.Chaincode/Connect` as a Go chaincode built with
 * fabric-chaincode-go/v2 does (`shim/handler.go`, `shim/batch.go`): it reads READY's
 * `ChaincodeAdditionalParams`, and when the peer offers them sends its reads of many keys as
 * GET_STATE_MULTIPLE and its writes as WRITE_BATCH_STATE at the end of the transaction (last write
 * per key wins, chunks of `maxSizeWriteBatch`, sizes below 100 raised to 100); otherwise one request
 * per key. fabric-shim (Node) batches nothing, so the tests need this one. In-process, real gRPC on loopback.
 */
import * as grpc from '@grpc/grpc-js';
import { ChaincodeAdditionalParams, ChaincodeID, ChaincodeInput } from '@hyperledger/fabric-protos/lib/peer/chaincode_pb';
import {
  ChaincodeMessage,
  DelState,
  GetState,
  GetStateMultiple,
  GetStateMultipleResult,
  PutState,
  PutStateMetadata,
  StateMetadata,
  WriteBatchState,
  WriteRecord,
} from '@hyperledger/fabric-protos/lib/peer/chaincode_shim_pb';
import { Response } from '@hyperledger/fabric-protos/lib/peer/proposal_response_pb';
import { messageTypeName } from '../../../plugins/runtime-ccaas/shim-requests';

const T = ChaincodeMessage.Type;
const W = WriteRecord.Type;
/** The Go shim's `defaultMaxSizeWriteBatch` / `defaultMaxSizeGetMultipleKeys`: the least it uses. */
const GO_SHIM_MIN_BATCH = 100;

/** One write as the chaincode made it; `metadata` for a key-level endorsement policy. */
export type Write =
  | { readonly type: 'put'; readonly key: string; readonly value: string; readonly collection?: string }
  | { readonly type: 'del'; readonly key: string; readonly collection?: string }
  | { readonly type: 'metadata'; readonly key: string; readonly metakey: string; readonly value: string; readonly collection?: string }
  | { readonly type: 'raw'; readonly record: WriteRecord };

/** What the chaincode does in a transaction: the keys it reads with GetMultipleStates, then its writes. */
export interface Script {
  readonly reads: readonly string[];
  readonly writes: readonly Write[];
  /** Sends the writes as one WRITE_BATCH_STATE whatever READY said (as a shim ignoring the size would). */
  readonly oneBatch?: boolean;
}

export interface GoShimServer {
  readonly port: number;
  /** READY's params per stream, `undefined` for an empty payload. */
  readonly readyParams: (ChaincodeAdditionalParams.AsObject | undefined)[];
  /** The type name of each request the server sent the peer, in order. */
  readonly requests: string[];
  /** The KEEPALIVE messages received. */
  keepalives: number;
  stop(): void;
}

function message(type: number, txid: string, channelId: string, payload: Uint8Array): ChaincodeMessage {
  const m = new ChaincodeMessage();
  m.setType(type as ChaincodeMessage.TypeMap[keyof ChaincodeMessage.TypeMap]);
  m.setTxid(txid);
  m.setChannelId(channelId);
  m.setPayload(payload);
  return m;
}

function record(w: Write): WriteRecord {
  if (w.type === 'raw') return w.record;
  const r = new WriteRecord();
  r.setKey(w.key);
  r.setCollection(w.collection ?? '');
  if (w.type === 'put') {
    r.setType(W.PUT_STATE);
    r.setValue(Buffer.from(w.value));
  } else if (w.type === 'del') {
    r.setType(W.DEL_STATE);
  } else {
    r.setType(W.PUT_STATE_METADATA);
    const md = new StateMetadata();
    md.setMetakey(w.metakey);
    md.setValue(Buffer.from(w.value));
    r.setMetadata(md);
  }
  return r;
}

/** A write as the single request the Go shim sends without batching. */
function single(r: WriteRecord): { type: number; payload: Uint8Array } {
  switch (r.getType()) {
    case W.PUT_STATE: {
      const m = new PutState();
      m.setKey(r.getKey());
      m.setValue(r.getValue_asU8());
      m.setCollection(r.getCollection());
      return { type: T.PUT_STATE, payload: m.serializeBinary() };
    }
    case W.DEL_STATE: {
      const m = new DelState();
      m.setKey(r.getKey());
      m.setCollection(r.getCollection());
      return { type: T.DEL_STATE, payload: m.serializeBinary() };
    }
    default: {
      const m = new PutStateMetadata();
      m.setKey(r.getKey());
      m.setCollection(r.getCollection());
      m.setMetadata(r.getMetadata());
      return { type: T.PUT_STATE_METADATA, payload: m.serializeBinary() };
    }
  }
}

/** Serves `packageId` on a free loopback port; `script(args)` says what each transaction does. */
export async function startGoShimServer(packageId: string, port: number, script: (args: string[]) => Script, options: { echoKeepalive: boolean } = { echoKeepalive: true }): Promise<GoShimServer> {
  const server = new grpc.Server();
  const state: GoShimServer = { port, readyParams: [], requests: [], keepalives: 0, stop: () => server.forceShutdown() };
  const bytes = (b: Buffer): Buffer => b;
  server.addService(
    { connect: { path: '/protos.Chaincode/Connect', requestStream: true, responseStream: true, requestSerialize: bytes, requestDeserialize: bytes, responseSerialize: bytes, responseDeserialize: bytes } },
    {
      connect: (stream: grpc.ServerDuplexStream<Buffer, Buffer>) => {
        let params: ChaincodeAdditionalParams.AsObject | undefined;
        const pending = new Map<string, (m: ChaincodeMessage) => void>();
        const send = (m: ChaincodeMessage): boolean => stream.write(Buffer.from(m.serializeBinary()));
        const call = (type: number, txid: string, channelId: string, payload: Uint8Array): Promise<ChaincodeMessage> =>
          new Promise((resolve) => {
            state.requests.push(messageTypeName(type));
            pending.set(`${channelId}/${txid}`, resolve);
            send(message(type, txid, channelId, payload));
          });
        const ok = async (type: number, txid: string, channelId: string, payload: Uint8Array): Promise<ChaincodeMessage> => {
          const reply = await call(type, txid, channelId, payload);
          if (reply.getType() !== T.RESPONSE) throw new Error(Buffer.from(reply.getPayload_asU8()).toString());
          return reply;
        };
        const run = async (tx: ChaincodeMessage): Promise<void> => {
          const [txid, ch] = [tx.getTxid(), tx.getChannelId()];
          const args = ChaincodeInput.deserializeBinary(tx.getPayload_asU8()).getArgsList_asU8().map((a) => Buffer.from(a).toString());
          const s = script(args);
          try {
            let values: string[];
            if (s.reads.length > 0 && params?.useGetMultipleKeys === true) {
              const m = new GetStateMultiple();
              m.setKeysList([...s.reads]);
              const reply = await ok(T.GET_STATE_MULTIPLE, txid, ch, m.serializeBinary());
              values = GetStateMultipleResult.deserializeBinary(reply.getPayload_asU8()).getValuesList_asU8().map((v) => Buffer.from(v).toString());
            } else {
              values = [];
              for (const key of s.reads) {
                const m = new GetState();
                m.setKey(key);
                values.push(Buffer.from((await ok(T.GET_STATE, txid, ch, m.serializeBinary())).getPayload_asU8()).toString());
              }
            }
            // As batch.go: one record per (collection, key, data or metadata), the last one kept.
            const batch = new Map<string, WriteRecord>();
            s.writes.forEach((w, i) => {
              const r = record(w);
              batch.set(w.type === 'raw' ? `raw${i}` : `${w.collection ?? ''}\u0000${w.key}\u0000${w.type === 'metadata'}`, r);
            });
            const records = [...batch.values()];
            if (s.oneBatch === true || params?.useWriteBatch === true) {
              const size = s.oneBatch === true ? records.length : Math.max(params?.maxSizeWriteBatch ?? 0, GO_SHIM_MIN_BATCH);
              for (let i = 0; i < records.length; i += size) {
                const m = new WriteBatchState();
                m.setRecList(records.slice(i, i + size));
                await ok(T.WRITE_BATCH_STATE, txid, ch, m.serializeBinary());
              }
            } else {
              for (const r of records) {
                const { type, payload } = single(r);
                await ok(type, txid, ch, payload);
              }
            }
            const response = new Response();
            response.setStatus(200);
            response.setPayload(Buffer.from(JSON.stringify(values)));
            send(message(T.COMPLETED, txid, ch, response.serializeBinary()));
          } catch (err) {
            // The Go shim's handleTransaction error: the transaction ends with ERROR.
            send(message(T.ERROR, txid, ch, Buffer.from(`failed send batch: ${(err as Error).message}`)));
          }
        };
        stream.on('data', (b: Buffer) => {
          const m = ChaincodeMessage.deserializeBinary(b);
          switch (m.getType()) {
            case T.REGISTERED:
              return;
            case T.READY: {
              const payload = m.getPayload_asU8();
              params = payload.length === 0 ? undefined : ChaincodeAdditionalParams.deserializeBinary(payload).toObject();
              state.readyParams.push(params);
              return;
            }
            case T.KEEPALIVE:
              state.keepalives++;
              if (options.echoKeepalive) send(m);
              return;
            case T.TRANSACTION:
            case T.INIT:
              void run(m);
              return;
            default: {
              const key = `${m.getChannelId()}/${m.getTxid()}`;
              const resolve = pending.get(key);
              pending.delete(key);
              resolve?.(m);
            }
          }
        });
        stream.on('error', () => undefined);
        const id = new ChaincodeID();
        id.setName(packageId);
        send(message(T.REGISTER, '', '', id.serializeBinary()));
      },
    },
  );
  await new Promise<void>((resolve, reject) => server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
  return state;
}
