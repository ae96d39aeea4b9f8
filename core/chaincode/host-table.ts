/**
 * The host side of the sandbox surface (STYLE.md 10): one function per {@link HostTable} entry, each
 * checking its arguments' types and sizes before touching the ledger, and answering `{result}` or
 * `{error}` — never a throw, never a host stack. Runtime-agnostic: a sandbox plugin wraps each entry
 * in its own callback type.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { SerializedIdentity } from '@hyperledger/fabric-protos/lib/msp/identities_pb';
import { ChannelHeader, Header, SignatureHeader } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { ChaincodeProposalPayload, Proposal, SignedProposal } from '@hyperledger/fabric-protos/lib/peer/proposal_pb';
import type { ChaincodeInvocation, ChaincodeLog, ChaincodeResponse, RuntimeLimits, ShimRequestType } from './chaincode-runtime';
import type { KeyModification } from '../ledger/tx-simulator';
import { utf8Bytes } from './host-budget';
import { logThreshold } from './host-log';
import { collect, pageLimit, pageReply } from './host-replies';
import { ArgError, bytes, exact, hostKV, MAX_QUERY_BYTES, str, VALIDATION_PARAMETER, wire } from './host-args';
import { PRIVATE_DATA_SHIM_REQUEST_TYPES, privateDataEntries } from './host-private-data';
import { PRIVATE_PAGE_SHIM_REQUEST_TYPES, privatePageEntries } from './host-private-pages';
import type { HostEntry, HostSession } from './host-session';
import { shimCertificateFields, type ShimCertificateFields } from './shim-certificate-fields';
import type { HostChaincodeResponse, HostKeyModification, HostReply, HostSignedProposal, HostTable, HostX509, SandboxInvocation, SandboxOutcome, WireBytes } from './host-api';

const HASH_ALGORITHMS = new Set(['sha1', 'sha224', 'sha256', 'sha384', 'sha512', 'md5', 'sha3-256', 'sha3-384', 'sha3-512']);
const MAX_HASH_INPUT = 64 * 1024 * 1024;
const MAX_PEM_BYTES = 64 * 1024;

/**
 * The message a fabric-shim sends to the peer for each host call, as Fabric's handler counts it:
 * paginated and partial-composite-key queries are GET_STATE_BY_RANGE / GET_QUERY_RESULT with
 * metadata, validation parameters are state metadata, private data calls are state messages with
 * the collection set (see `host-private-data.ts`). The other entries (signed proposal, hashing,
 * certificate parsing, logging, completion) are answered inside a Fabric chaincode process and not counted.
 */
export const SHIM_REQUEST_TYPES: Readonly<Partial<Record<keyof HostTable, ShimRequestType>>> = {
  getState: 'GET_STATE',
  putState: 'PUT_STATE',
  deleteState: 'DEL_STATE',
  getStateByRange: 'GET_STATE_BY_RANGE',
  getStateByRangeWithPagination: 'GET_STATE_BY_RANGE',
  openStateByRange: 'GET_STATE_BY_RANGE',
  getQueryResult: 'GET_QUERY_RESULT',
  getQueryResultWithPagination: 'GET_QUERY_RESULT',
  openQueryResult: 'GET_QUERY_RESULT',
  getHistoryForKey: 'GET_HISTORY_FOR_KEY',
  openHistoryForKey: 'GET_HISTORY_FOR_KEY',
  queryStateNext: 'QUERY_STATE_NEXT',
  queryStateClose: 'QUERY_STATE_CLOSE',
  getStateValidationParameter: 'GET_STATE_METADATA',
  setStateValidationParameter: 'PUT_STATE_METADATA',
  invokeChaincode: 'INVOKE_CHAINCODE',
  ...PRIVATE_DATA_SHIM_REQUEST_TYPES,
  ...PRIVATE_PAGE_SHIM_REQUEST_TYPES,
};

function isInt32(value: number): boolean {
  return Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff;
}

function hostModification(m: KeyModification): HostKeyModification {
  return { txId: m.txId, value: exact(m.value), isDelete: m.isDelete, seconds: m.timestamp.seconds, nanos: m.timestamp.nanos };
}

const x509Cache = new Map<string, HostX509>();
const X509_CACHE_SIZE = 512;

/** Parses a PEM certificate (cached: creators repeat across transactions and fresh contexts). */
export function parseX509(pem: string): HostX509 {
  let info = x509Cache.get(pem);
  if (info === undefined) {
    info = parseX509Uncached(pem);
    if (x509Cache.size >= X509_CACHE_SIZE) x509Cache.delete(x509Cache.keys().next().value as string);
    x509Cache.set(pem, info);
  }
  return info;
}

function parseX509Uncached(pem: string): HostX509 {
  const m = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem);
  if (!m) throw new ArgError('Failed to find start line or end line of the certificate.');
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(m[0]);
  } catch (err) {
    throw new ArgError(`invalid certificate: ${(err as Error).message}`);
  }
  let fields: ShimCertificateFields;
  try {
    fields = shimCertificateFields(cert.raw);
  } catch (err) {
    throw new ArgError(`invalid certificate: ${(err as Error).message}`);
  }
  return {
    ...fields,
    subject: cert.subject,
    issuer: cert.issuer,
    serialNumber: cert.serialNumber,
    validFrom: cert.validFrom,
    validTo: cert.validTo,
    fingerprint256: cert.fingerprint256,
    ...(cert.subjectAltName !== undefined ? { subjectAltName: cert.subjectAltName } : {}),
    raw: new Uint8Array(cert.raw),
  };
}

/** A proposal payload's transient map in its wire order, values as bytes (google-protobuf may hold them base64-encoded). */
function transientEntries(payload: ChaincodeProposalPayload): [string, Uint8Array][] {
  const out: [string, Uint8Array][] = [];
  payload.getTransientmapMap().forEach((value: Uint8Array | string, key: string) => {
    out.push([key, typeof value === 'string' ? Buffer.from(value, 'base64') : value]);
  });
  return out;
}

function decodeSignedProposal(bytesIn: Uint8Array): HostSignedProposal {
  const sp = SignedProposal.deserializeBinary(bytesIn);
  const proposal = Proposal.deserializeBinary(sp.getProposalBytes_asU8());
  const header = Header.deserializeBinary(proposal.getHeader_asU8());
  const sigHeader = SignatureHeader.deserializeBinary(header.getSignatureHeader_asU8());
  const creator = SerializedIdentity.deserializeBinary(sigHeader.getCreator_asU8());
  const ch = ChannelHeader.deserializeBinary(header.getChannelHeader_asU8());
  const ts = ch.getTimestamp();
  const payload = ChaincodeProposalPayload.deserializeBinary(proposal.getPayload_asU8());
  return {
    signature: sp.getSignature_asU8(),
    proposal: {
      header: {
        signatureHeader: { nonce: sigHeader.getNonce_asU8(), creator: { mspid: creator.getMspid(), idBytes: creator.getIdBytes_asU8() }, creatorBytes: sigHeader.getCreator_asU8() },
        channelHeader: {
          type: ch.getType(),
          version: ch.getVersion(),
          timestamp: ts ? { seconds: ts.getSeconds(), nanos: ts.getNanos() } : undefined,
          channelId: ch.getChannelId(),
          txId: ch.getTxId(),
          epoch: ch.getEpoch(),
          extension: ch.getExtension_asU8(),
          tlsCertHash: ch.getTlsCertHash_asU8(),
        },
      },
      payload: proposal.getPayload_asU8(),
      decodedPayload: { input: payload.getInput_asU8(), transientMap: transientEntries(payload) },
    },
  };
}

interface Creator {
  readonly creatorMspId: string;
  readonly creatorIdBytes: WireBytes;
}

const creatorCache = new Map<string, Creator>();
const CREATOR_CACHE_SIZE = 512;

/** The creator's MSP id and certificate, decoded once per distinct `SerializedIdentity` bytes (clients repeat). */
function creatorOf(serialized: Uint8Array): Creator {
  const key = Buffer.from(serialized.buffer, serialized.byteOffset, serialized.byteLength).toString('latin1');
  let creator = creatorCache.get(key);
  if (creator === undefined) {
    creator = { creatorMspId: '', creatorIdBytes: '' };
    try {
      const id = SerializedIdentity.deserializeBinary(serialized);
      creator = { creatorMspId: id.getMspid(), creatorIdBytes: wire(id.getIdBytes_asU8()) };
    } catch {
      // An undecodable creator surfaces as ClientIdentity's certificate error, as in Fabric.
    }
    if (creatorCache.size >= CREATOR_CACHE_SIZE) creatorCache.delete(creatorCache.keys().next().value as string);
    creatorCache.set(key, creator);
  }
  return creator;
}

/** What the sandbox receives at dispatch: plain, structured-clonable data only. */
export function toSandboxInvocation(inv: ChaincodeInvocation, limits: Required<RuntimeLimits>, log?: ChaincodeLog, canWait = false): SandboxInvocation {
  const { creatorMspId, creatorIdBytes } = creatorOf(inv.creator);
  return {
    txId: inv.txId,
    channelId: inv.channelId,
    args: inv.args.map((a) => wire(a)),
    transient: inv.transient ? [...inv.transient.entries()].map(([k, v]): [string, WireBytes] => [k, wire(v)]) : [],
    creatorMspId,
    creatorIdBytes,
    seconds: inv.timestamp.seconds,
    nanos: inv.timestamp.nanos,
    binding: inv.binding ? Buffer.from(inv.binding).toString('hex') : '',
    mspId: inv.mspId,
    isInit: inv.isInit === true,
    maxEventBytes: limits.maxValueBytes,
    logLevel: logThreshold(log),
    ...(canWait ? { canWait } : {}),
  };
}

/** `invokeChaincode`'s arguments, checked: the callee's name, its args and channel (the caller's when empty). */
function calleeOf(s: HostSession, name: unknown, args: unknown, channel: unknown): { name: string; args: Uint8Array[]; channel: string } {
  const cc = str(name, 'chaincodeName', 256, false);
  if (!Array.isArray(args) || args.length > 1024) throw new ArgError('args must be an array of at most 1024 byte strings');
  const a = args.map((x, i) => bytes(x, `args[${i}]`, s.limits.maxValueBytes));
  return { name: cc, args: a, channel: str(channel, 'channel', 256) || s.invocation.channelId };
}

function hostResponse(r: ChaincodeResponse): HostChaincodeResponse {
  return { status: r.status, message: r.message, payload: exact(r.payload) };
}

/**
 * The table's `invokeChaincode` for a caller that waits asynchronously (a chaincode server's
 * INVOKE_CHAINCODE): the same checks, metric and `{result}`/`{error}` answer, through
 * `RuntimeSupport.invokeChaincodeAsync` when the support has it, so the callee may itself run as a service.
 */
export async function invokeChaincodeAsync(s: HostSession, name: unknown, args: unknown, channel: unknown): Promise<HostReply<HostChaincodeResponse>> {
  const meter = s.support.metrics?.shimRequest('INVOKE_CHAINCODE');
  meter?.received();
  const started = performance.now();
  let reply: HostReply<HostChaincodeResponse>;
  try {
    const call = calleeOf(s, name, args, channel);
    const { support } = s;
    const r = support.invokeChaincodeAsync !== undefined ? await support.invokeChaincodeAsync(call.name, call.args, call.channel) : support.invokeChaincode(call.name, call.args, call.channel);
    reply = { result: hostResponse(r) };
  } catch (err) {
    reply = { error: err instanceof Error ? err.message : String(err) };
  }
  meter?.completed(reply.error === undefined, (performance.now() - started) / 1000);
  return reply;
}

/**
 * Builds the host table over a session getter: the table is created once per sandbox and reads the
 * current transaction's session on every call, so a call outside a transaction is refused (a log
 * entry then goes to `logOutsideTransaction`: the module is loading).
 */
export function createHostTable(
  current: () => HostSession | undefined,
  /** Where a log entry goes when no transaction is running: the chaincode's module is loading. */
  logOutsideTransaction?: (level: unknown, logger: unknown, message: unknown) => void,
): HostTable {
  const log = (level: unknown, logger: unknown, message: unknown): HostReply<undefined> => {
    const session = current();
    if (session === undefined) logOutsideTransaction?.(level, logger, message);
    else session.log.write(level, logger, message);
    return { result: undefined };
  };
  const entry: HostEntry = <A extends unknown[], T>(name: keyof HostTable, fn: (s: HostSession, ...args: A) => T): ((...args: A) => HostReply<T>) => {
    const call = (session: HostSession, args: A): HostReply<T> => {
      try {
        return { result: fn(session, ...args) };
      } catch (err) {
        return { error: err instanceof Error ? err.message : String(err) };
      }
    };
    const type = SHIM_REQUEST_TYPES[name];
    return (...args: A): HostReply<T> => {
      const session = current();
      if (session === undefined) return { error: `${name}: no transaction is in progress` };
      // Every transaction makes a few of these calls: without metrics, nothing is timed or counted.
      const meter = type === undefined ? undefined : session.support.metrics?.shimRequest(type);
      if (meter === undefined) return call(session, args);
      meter.received();
      const started = performance.now();
      const reply = call(session, args);
      meter.completed(reply.error === undefined, (performance.now() - started) / 1000);
      return reply;
    };
  };
  const ns = (s: HostSession): string => s.namespace;
  const key = (s: HostSession, k: unknown): string => str(k, 'key', s.limits.maxKeyBytes);

  return {
    getState: entry('getState', (s, k: string) => wire(s.support.simulator.getState(ns(s), key(s, k)))),
    putState: entry('putState', (s, k: string, v: Uint8Array) => {
      const kk = str(k, 'key', s.limits.maxKeyBytes, false);
      const vv = bytes(v, `value for key ${JSON.stringify(kk)}`, s.limits.maxValueBytes);
      s.write('putState', 'state', { key: kk }, utf8Bytes(kk) + vv.length, () => {
        if (vv.length === 0) s.support.simulator.deleteState(ns(s), kk);
        else s.support.simulator.setState(ns(s), kk, vv);
      });
      return undefined;
    }),
    deleteState: entry('deleteState', (s, k: string) => {
      const kk = str(k, 'key', s.limits.maxKeyBytes, false);
      s.write('deleteState', 'state', { key: kk }, utf8Bytes(kk), () => s.support.simulator.deleteState(ns(s), kk));
      return undefined;
    }),
    getStateByRange: entry('getStateByRange', (s, start: string, end: string) =>
      collect(s, 'getStateByRange', s.support.simulator.getStateRange(ns(s), key(s, start), key(s, end)), s.limits.totalQueryLimit, hostKV),
    ),
    getStateByRangeWithPagination: entry('getStateByRangeWithPagination', (s, start: string, end: string, pageSize: number, bookmark: string) => {
      const [a, b, n, bm] = [key(s, start), key(s, end), pageLimit(s, pageSize), key(s, bookmark)];
      s.beforePagedQuery();
      return pageReply(s, 'getStateByRangeWithPagination', s.support.simulator.getStateRangeWithPagination(ns(s), a, b, n, bm), n);
    }),
    getQueryResult: entry('getQueryResult', (s, query: string) =>
      collect(s, 'getQueryResult', s.support.simulator.executeQuery(ns(s), str(query, 'query', MAX_QUERY_BYTES)), s.limits.totalQueryLimit, hostKV),
    ),
    getQueryResultWithPagination: entry('getQueryResultWithPagination', (s, query: string, pageSize: number, bookmark: string) => {
      const [q, n, bm] = [str(query, 'query', MAX_QUERY_BYTES), pageLimit(s, pageSize), str(bookmark, 'bookmark', MAX_QUERY_BYTES)];
      s.beforePagedQuery();
      return pageReply(s, 'getQueryResultWithPagination', s.support.simulator.executeQueryWithPagination(ns(s), q, n, bm), n);
    }),
    getHistoryForKey: entry('getHistoryForKey', (s, k: string) => collect(s, 'getHistoryForKey', s.support.simulator.getHistoryForKey(ns(s), key(s, k)), s.limits.totalQueryLimit, hostModification)),
    openStateByRange: entry('openStateByRange', (s, start: string, end: string) => {
      const [a, b] = [key(s, start), key(s, end)];
      return s.queries.start(() => s.support.simulator.getStateRange(ns(s), a, b), hostKV);
    }),
    openQueryResult: entry('openQueryResult', (s, query: string) => {
      const q = str(query, 'query', MAX_QUERY_BYTES);
      return s.queries.start(() => s.support.simulator.executeQuery(ns(s), q), hostKV);
    }),
    openHistoryForKey: entry('openHistoryForKey', (s, k: string) => {
      const kk = key(s, k);
      return s.queries.start(() => s.support.simulator.getHistoryForKey(ns(s), kk), hostModification);
    }),
    queryStateNext: entry('queryStateNext', (s, id: string) => s.queries.next(str(id, 'id', 64))),
    queryStateClose: entry('queryStateClose', (s, id: string) => (s.queries.close(str(id, 'id', 64)), undefined)),
    getStateValidationParameter: entry('getStateValidationParameter', (s, k: string) => exact(s.support.simulator.getStateMetadata(ns(s), key(s, k))?.[VALIDATION_PARAMETER])),
    setStateValidationParameter: entry('setStateValidationParameter', (s, k: string, policy: Uint8Array) => {
      const kk = str(k, 'key', s.limits.maxKeyBytes, false);
      const ep = bytes(policy, 'endorsement policy', s.limits.maxValueBytes);
      s.write('setStateValidationParameter', 'metadata', { key: kk }, utf8Bytes(kk) + ep.length, () => s.support.simulator.setStateMetadata(ns(s), kk, { [VALIDATION_PARAMETER]: ep }));
      return undefined;
    }),
    ...privateDataEntries(entry),
    ...privatePageEntries(entry),
    invokeChaincode: entry('invokeChaincode', (s, name: string, args: Uint8Array[], channel: string): HostChaincodeResponse => {
      const call = calleeOf(s, name, args, channel);
      return hostResponse(s.support.invokeChaincode(call.name, call.args, call.channel));
    }),
    getSignedProposal: entry('getSignedProposal', (s) => (s.invocation.signedProposal ? decodeSignedProposal(s.invocation.signedProposal) : undefined)),
    hash: entry('hash', (_s, algorithm: string, data: Uint8Array) => {
      const alg = str(algorithm, 'algorithm', 32);
      if (!HASH_ALGORITHMS.has(alg)) throw new ArgError(`Digest method not supported: ${alg} (use one of ${[...HASH_ALGORITHMS].join(', ')})`);
      return new Uint8Array(createHash(alg).update(bytes(data, 'data', MAX_HASH_INPUT)).digest());
    }),
    x509: entry('x509', (_s, pem: string) => parseX509(str(pem, 'certificate', MAX_PEM_BYTES))),
    log,
    complete: entry('complete', (s, outcome: SandboxOutcome) => {
      if (s.outcome !== undefined) throw new ArgError('transaction already completed');
      if (typeof outcome !== 'object' || outcome === null || typeof outcome.status !== 'number') throw new ArgError('outcome must be {status, message, payload}');
      const message = typeof outcome.message === 'string' ? outcome.message : '';
      // `Response.status` is an int32: anything else would be signed as some other number, or not encode.
      if (!isInt32(outcome.status)) {
        s.outcome = { status: 500, message: `chaincode returned status ${String(outcome.status)}, which is not a 32-bit integer${message ? `: ${message}` : ''}`, payload: new Uint8Array(0) };
        return undefined;
      }
      const event = outcome.event;
      // The stub enforces the event limit; chaincode shares its isolate, so the host checks again.
      if (event && event.payload instanceof Uint8Array && event.payload.length > s.limits.maxValueBytes) {
        s.outcome = { status: 500, message: `event payload of ${event.payload.length} bytes exceeds the limit of ${s.limits.maxValueBytes} bytes`, payload: new Uint8Array(0) };
        return undefined;
      }
      const payload = outcome.payload instanceof Uint8Array ? outcome.payload : new Uint8Array(0);
      const kept = event && typeof event.eventName === 'string' && event.payload instanceof Uint8Array ? event : undefined;
      try {
        s.bytes.check(payload.length + (kept === undefined ? 0 : utf8Bytes(kept.eventName) + kept.payload.length), s.limits.maxTransactionBytes, () => 'the response payload and event');
      } catch (err) {
        s.outcome = { status: 500, message: (err as Error).message, payload: new Uint8Array(0) };
        return undefined;
      }
      s.outcome = { status: outcome.status, message, payload, ...(kept !== undefined ? { event: kept } : {}) };
      return undefined;
    }),
  };
}
