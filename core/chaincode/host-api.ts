/**
 * The declared host surface a chaincode sandbox may call (STYLE.md 10). Each entry is synchronous,
 * takes structured-clonable arguments and returns a {@link HostReply}: the sandbox-side shim turns
 * `error` into a rejected promise with exactly that message. Shared by the host implementation
 * (`createHostTable`) and the in-sandbox shim, which imports only these types.
 */

/** What every host call returns: never a throw across the boundary, never a host stack. */
export interface HostReply<T> {
  readonly result?: T;
  readonly error?: string;
}

/**
 * Bytes as they cross into the sandbox on the hot paths (dispatch, `getState`): a binary string
 * (one char per byte, Node's `latin1`) up to {@link BINARY_STRING_MAX_BYTES}, a `Uint8Array` above.
 * isolated-vm copies strings directly but sends every `Uint8Array` through V8's ValueSerializer and
 * a fresh backing store: a dispatch with three small arrays cost 18–24 µs against 6 µs as strings,
 * and a 200-byte `getState` result 12 µs against 3 µs. Large values stay arrays, where one memcpy
 * beats a per-byte conversion in the sandbox.
 */
export type WireBytes = string | Uint8Array;

/** Largest value sent as a binary string (see {@link WireBytes}). */
export const BINARY_STRING_MAX_BYTES = 4096;

/** Longest chaincode log message, in UTF-16 code units: the sandbox cuts longer ones, noting how much it left out. */
export const MAX_LOG_MESSAGE_CHARS = 4096;

/** `text` cut to `max` characters, with a note of how many were left out. */
export function cutLogText(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

/** A key/value pair as crossed over the boundary. */
export type HostKV = [key: string, value: Uint8Array];

export interface HostPage {
  readonly results: HostKV[];
  readonly fetchedRecordsCount: number;
  readonly bookmark: string;
}

/**
 * One batch of an open query iterator, as Fabric's `QueryResponse`: while `hasMore`, the sandbox
 * asks for the next batch with `queryStateNext(id)`.
 */
export interface HostQueryBatch<T> {
  readonly id: string;
  readonly results: T[];
  readonly hasMore: boolean;
}

export interface HostKeyModification {
  readonly txId: string;
  readonly value: Uint8Array;
  readonly isDelete: boolean;
  readonly seconds: number;
  readonly nanos: number;
}

/** Parsed X.509 fields the sandbox needs for `ClientIdentity` and `crypto.X509Certificate`. */
export interface HostX509 {
  /** fabric-shim's DN form: one `/<name>=<value>` per attribute in DER order (a multi-valued RDN gives one per value); see shim-certificate-fields.ts. */
  readonly subjectDN: string;
  readonly issuerDN: string;
  /** Node's multi-line forms (`C=US\nST=…`), as `X509Certificate.subject` shows them. */
  readonly subject: string;
  readonly issuer: string;
  readonly serialNumber: string;
  readonly validFrom: string;
  readonly validTo: string;
  readonly fingerprint256: string;
  readonly subjectAltName?: string;
  /** The raw JSON of the Fabric CA attribute extension (OID 1.2.3.4.5.6.7.8.1), if present. */
  readonly fabricAttrs?: string;
  readonly raw: Uint8Array;
}

export interface HostChaincodeResponse {
  readonly status: number;
  readonly message: string;
  readonly payload: Uint8Array;
}

/** The outcome the sandbox reports once the transaction's promise settles. */
export interface SandboxOutcome {
  readonly status: number;
  readonly message: string;
  readonly payload: Uint8Array;
  readonly event?: { readonly eventName: string; readonly payload: Uint8Array };
}

/**
 * A decoded `SignedProposal` as plain data; the sandbox dresses its parts as the google-protobuf
 * messages fabric-shim's `getSignedProposal()` returns. `creatorBytes` and `decodedPayload` came
 * with sandbox ABI 5's hosts; a bundle from before reads only the rest.
 */
export interface HostSignedProposal {
  readonly signature: Uint8Array;
  readonly proposal: {
    readonly header: {
      readonly signatureHeader: { readonly nonce: Uint8Array; readonly creator: { readonly mspid: string; readonly idBytes: Uint8Array }; readonly creatorBytes?: Uint8Array };
      readonly channelHeader: HostChannelHeader;
    };
    readonly payload: Uint8Array;
    /** The `ChaincodeProposalPayload` the payload bytes hold. */
    readonly decodedPayload?: { readonly input: Uint8Array; readonly transientMap: readonly (readonly [string, Uint8Array])[] };
  };
}

export interface HostChannelHeader {
  readonly type: number;
  readonly version: number;
  readonly timestamp: { readonly seconds: number; readonly nanos: number } | undefined;
  readonly channelId: string;
  readonly txId: string;
  readonly epoch: number;
  readonly extension: Uint8Array;
  readonly tlsCertHash: Uint8Array;
}

export interface HostTable {
  getState(key: string): HostReply<WireBytes | undefined>;
  putState(key: string, value: Uint8Array): HostReply<undefined>;
  deleteState(key: string): HostReply<undefined>;
  /** ABI 2 bundles: every result in one reply. ABI 3 uses {@link HostTable.openStateByRange}. */
  getStateByRange(startKey: string, endKey: string): HostReply<HostKV[]>;
  getStateByRangeWithPagination(startKey: string, endKey: string, pageSize: number, bookmark: string): HostReply<HostPage>;
  /** ABI 2 bundles; ABI 3 uses {@link HostTable.openQueryResult}. */
  getQueryResult(query: string): HostReply<HostKV[]>;
  getQueryResultWithPagination(query: string, pageSize: number, bookmark: string): HostReply<HostPage>;
  /** ABI 2 bundles; ABI 3 uses {@link HostTable.openHistoryForKey}. */
  getHistoryForKey(key: string): HostReply<HostKeyModification[]>;
  openStateByRange(startKey: string, endKey: string): HostReply<HostQueryBatch<HostKV>>;
  openQueryResult(query: string): HostReply<HostQueryBatch<HostKV>>;
  openHistoryForKey(key: string): HostReply<HostQueryBatch<HostKeyModification>>;
  queryStateNext(id: string): HostReply<HostQueryBatch<unknown>>;
  queryStateClose(id: string): HostReply<undefined>;
  getStateValidationParameter(key: string): HostReply<Uint8Array | undefined>;
  setStateValidationParameter(key: string, policy: Uint8Array): HostReply<undefined>;
  /**
   * Private data (ABI 5), the stub's methods of the same names. `collection` is a non-empty name;
   * the simulator and the peer decide whether it exists and whether the creator may use it. Every
   * one is refused in `Init`, as Fabric's handler refuses them.
   */
  getPrivateData(collection: string, key: string): HostReply<WireBytes | undefined>;
  /** SHA-256 of the committed value, which peers outside the collection hold too. */
  getPrivateDataHash(collection: string, key: string): HostReply<WireBytes | undefined>;
  /** An empty value is a delete, as for {@link HostTable.putState}. */
  putPrivateData(collection: string, key: string, value: Uint8Array): HostReply<undefined>;
  deletePrivateData(collection: string, key: string): HostReply<undefined>;
  purgePrivateData(collection: string, key: string): HostReply<undefined>;
  getPrivateDataValidationParameter(collection: string, key: string): HostReply<Uint8Array | undefined>;
  setPrivateDataValidationParameter(collection: string, key: string, policy: Uint8Array): HostReply<undefined>;
  /** A private range in batches, continued with `queryStateNext` / `queryStateClose` as {@link HostTable.openStateByRange}. */
  openPrivateDataByRange(collection: string, startKey: string, endKey: string): HostReply<HostQueryBatch<HostKV>>;
  openPrivateDataQueryResult(collection: string, query: string): HostReply<HostQueryBatch<HostKV>>;
  /**
   * One page of a private range (ABI 6; Fabric has none, hyperledger/fabric#4197), answered whole
   * as {@link HostTable.getStateByRangeWithPagination}: the collection checked and the transaction
   * made read-only as by {@link HostTable.openPrivateDataByRange}, the bookmark the next page's first key.
   */
  getPrivateDataByRangeWithPagination(collection: string, startKey: string, endKey: string, pageSize: number, bookmark: string): HostReply<HostPage>;
  /** One page of a private rich query (ABI 6), with the bookmarks of {@link HostTable.getQueryResultWithPagination}. */
  getPrivateDataQueryResultWithPagination(collection: string, query: string, pageSize: number, bookmark: string): HostReply<HostPage>;
  invokeChaincode(chaincodeName: string, args: Uint8Array[], channel: string): HostReply<HostChaincodeResponse>;
  /**
   * {@link invokeChaincode} for a sandbox that may wait (its invocation's `canWait`): the isolate
   * blocks its own thread while the peer runs the callee off it, so the callee may run as a chaincode
   * server. Not built by `createHostTable`: the runtime adds it where it can wait.
   */
  invokeChaincodeWaiting?(chaincodeName: string, args: Uint8Array[], channel: string): HostReply<HostChaincodeResponse>;
  getSignedProposal(): HostReply<HostSignedProposal | undefined>;
  hash(algorithm: string, data: Uint8Array): HostReply<Uint8Array>;
  x509(pem: string): HostReply<HostX509>;
  /**
   * One chaincode log entry (ABI 4); the sandbox sends only entries at or above
   * {@link SandboxInvocation.logLevel}. Never an error for the chaincode: entries over the
   * transaction's budget are dropped.
   */
  log(level: string, logger: string, message: string): HostReply<undefined>;
  /** Called once per transaction by the sandbox dispatcher when the chaincode's promise settles. */
  complete(outcome: SandboxOutcome): HostReply<undefined>;
  /**
   * {@link complete} without a reply, for a sandbox on the runtime's thread pool (its invocation's
   * `canWait`): the isolate's thread queues the outcome and goes on rather than waiting for the
   * peer's thread to take it, a round trip between threads per transaction. The runtime has the
   * outcome before the invocation settles. Not built by `createHostTable`: the runtime adds it where
   * it can queue; a dispatcher without it, or not on the pool, calls {@link complete}.
   */
  completeQueued?(outcome: SandboxOutcome): void;
}

/** Per-transaction data copied into the sandbox at dispatch. */
export interface SandboxInvocation {
  readonly txId: string;
  readonly channelId: string;
  readonly args: WireBytes[];
  readonly transient: [string, WireBytes][];
  readonly creatorMspId: string;
  readonly creatorIdBytes: WireBytes;
  readonly seconds: number;
  readonly nanos: number;
  /** Hex. */
  readonly binding: string;
  readonly mspId: string;
  readonly isInit: boolean;
  readonly maxEventBytes: number;
  /**
   * Index into `CHAINCODE_LOG_LEVELS` of the lowest level the peer writes; the length of that list
   * when it writes none (ABI 4).
   */
  readonly logLevel: number;
  /**
   * True when the transaction runs off the peer's thread, where `stub.invokeChaincode` may wait for
   * its callee through {@link HostTable.invokeChaincodeWaiting}; absent (an older host, or a callee
   * run synchronously inside another chaincode's call): it calls {@link HostTable.invokeChaincode}.
   */
  readonly canWait?: boolean;
}

/**
 * Version of the host/sandbox contract that `weft chaincode package` builds bundles for.
 * 2: invocation bytes and `getState` results are {@link WireBytes}.
 * 3: range, rich and history queries are iterators answered in Fabric's batches (`open…`,
 *    `queryStateNext`, `queryStateClose`), so a range records exactly the reads a Fabric peer would.
 * 4: chaincode log entries go to the host's `log`, filtered in the sandbox at the invocation's `logLevel`.
 * 5: the stub's private data methods call the host's private data entries.
 * 6: the stub's paginated private data queries, which call two more entries.
 */
export const SANDBOX_ABI = 6;

/**
 * Bundle versions the runtime still runs: ABI 2 packages keep working (their queries return
 * everything at once), ABI 2 and 3 packages log nothing, and packages before ABI 5 throw their own
 * "not yet supported" error from every private data method, since they carry their stub with them.
 */
export const SUPPORTED_SANDBOX_ABIS: readonly number[] = [2, 3, 4, 5, 6];
