import type { TxSimulator } from '../ledger/tx-simulator';
import { DEFAULT_MAX_TRANSACTION_BYTES } from './host-budget';
import type { ChaincodeResponse } from '../protocol/proposal-response-payload';

/**
 * Fabric's chaincode `Response` (`peer.Response`): status 200 for success, ≥ 400 fails endorsement
 * (500 for a thrown error, whose message is carried verbatim).
 */
export type { ChaincodeResponse };

/** The event a transaction set with `stub.setEvent` (the last call wins, as in Fabric). */
export interface ChaincodeEventOut {
  readonly eventName: string;
  readonly payload: Uint8Array;
}

/** What one invocation produced. The read/write set lives in the caller's simulator. */
export interface ChaincodeResult {
  readonly response: ChaincodeResponse;
  readonly event?: ChaincodeEventOut;
}

/**
 * One chaincode call, already parsed from the proposal (the runtime does not parse proposals). The
 * fields are what `ChaincodeStub` exposes to chaincode.
 */
export interface ChaincodeInvocation {
  /** The chaincode name: the state namespace the simulator records under. */
  readonly chaincodeName: string;
  readonly channelId: string;
  readonly txId: string;
  /** `args[0]` is the function (`contract:function` for contract chaincode). */
  readonly args: readonly Uint8Array[];
  readonly transient?: ReadonlyMap<string, Uint8Array>;
  /** The creator's serialized `msp.SerializedIdentity` bytes. */
  readonly creator: Uint8Array;
  /** The `peer.SignedProposal` bytes, as received (for `getSignedProposal`). */
  readonly signedProposal?: Uint8Array;
  /** The proposal's channel-header timestamp: identical on every endorser. */
  readonly timestamp: { readonly seconds: number; readonly nanos: number };
  /** The proposal binding (SHA-256 of nonce ‖ creator ‖ epoch). */
  readonly binding?: Uint8Array;
  /** MSP ID of the endorsing peer (`stub.getMspID()`). */
  readonly mspId: string;
  /** True for an `Init` call (`--init-required` chaincode); contract chaincode dispatches both alike. */
  readonly isInit?: boolean;
}

/** Per-invocation resource limits. */
export interface RuntimeLimits {
  /** Wall-clock budget for one invocation. Default 30 000 (Fabric's execute timeout). */
  readonly timeoutMs?: number;
  /** Largest value one `putState` may write. Default 8 MiB. */
  readonly maxValueBytes?: number;
  /** Largest key. Default 64 KiB. */
  readonly maxKeyBytes?: number;
  /** Most results one unpaged query returns (Fabric `totalQueryLimit`). Default 100 000. */
  readonly totalQueryLimit?: number;
  /**
   * Most bytes one transaction may make the peer hold for it outside the chaincode's isolate: its
   * write set (keys, values, metadata, private data; a rewrite replaces what it rewrites), the query
   * results its open iterators hold pulled ahead, and its response payload and event. Chaincode-to-
   * chaincode callees recording into the same simulator count against the same total. A call that
   * would pass it fails with an error naming the limit. Default 100 MiB, Fabric's gRPC message
   * limit, which bounds the same proposal response there.
   */
  readonly maxTransactionBytes?: number;
}

/**
 * The narrow object a runtime gets for one invocation (STYLE.md 2): where state is read and written,
 * how to call another chaincode, and the limits that apply.
 */
export interface RuntimeSupport {
  /** Records this transaction's reads and writes; the runtime never commits anything. */
  readonly simulator: TxSimulator;
  /**
   * `stub.invokeChaincode(name, args, channel)`. Called synchronously from inside the sandbox; a
   * same-channel call must record into the same simulator, one on another channel records nothing.
   * A throw reaches chaincode as a rejected promise with the message.
   */
  invokeChaincode(chaincodeName: string, args: readonly Uint8Array[], channelId: string): ChaincodeResponse;
  /**
   * The same call for a caller that can wait asynchronously (a chaincode server's INVOKE_CHAINCODE,
   * which is a message): it also reaches a callee whose runtime cannot answer synchronously (one
   * running as a service), and waits for a callee that is installed but not loaded yet instead of
   * failing. Same checks, same recording, same errors otherwise. Absent: callers use {@link invokeChaincode}.
   */
  invokeChaincodeAsync?(chaincodeName: string, args: readonly Uint8Array[], channelId: string): Promise<ChaincodeResponse>;
  /**
   * True for a chaincode-to-chaincode callee run with {@link ChaincodeRuntime.invoke}: its caller
   * holds a place of its own runtime while it waits (a sandbox, maybe of this very package), so a
   * runtime that makes transactions wait for a place runs this one at once, beyond its limit if it
   * must, as a Fabric chaincode process serves a nested call beside the transactions it runs.
   */
  readonly calledByChaincode?: boolean;
  readonly limits?: RuntimeLimits;
  /** Where this invocation's Fabric chaincode metrics go; absent when the peer exports none (then nothing is timed). */
  readonly metrics?: ChaincodeMeter;
  /** Where the chaincode's log entries go (`console.*`, `shim.newLogger`, `ctx.logging`); absent: nowhere. */
  readonly log?: ChaincodeLog;
}

/**
 * A transaction's {@link RuntimeSupport}, given to {@link ChaincodeRuntime.invoke} as a function when
 * the caller must not hold what the support holds (the peer's simulator holds the channel's state)
 * while the transaction only waits to run. The runtime calls it once it has a place for the
 * transaction, right before the chaincode starts, and at most once; a throw (or rejection) is the
 * invocation's, after the runtime has given the place back. Never called for a transaction that
 * does not run (refused, cancelled, the runtime closed): the caller still cleans up what it opened.
 */
export type RuntimeSupportSource = () => Promise<RuntimeSupport>;

/** Levels of a chaincode log entry, lowest first (winston's `verbose`/`debug`/`silly` are `debug`). */
export const CHAINCODE_LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type ChaincodeLogLevel = (typeof CHAINCODE_LOG_LEVELS)[number];

export interface ChaincodeLogEntry {
  readonly level: ChaincodeLogLevel;
  /** The chaincode-side logger: `console`, a `shim.newLogger` name, or `<contract>:<name>` from `ctx.logging`. */
  readonly logger: string;
  readonly message: string;
  readonly channelId: string;
  readonly txId: string;
}

/**
 * A chaincode's log, as a Fabric peer attaches a chaincode container's output to its own log. The
 * runtime reads {@link ChaincodeLog.level} at each invocation and lets the sandbox drop lower
 * entries before they cross the boundary, so a chaincode that logs at a level that is off costs
 * next to nothing.
 */
export interface ChaincodeLog {
  /** The lowest level written now; undefined when none is. */
  readonly level: ChaincodeLogLevel | undefined;
  write(entry: ChaincodeLogEntry): void;
}

/**
 * The `ChaincodeMessage` type Fabric's peer handler counts a shim request under
 * (`chaincode_shim_requests_*{type}`): each host call that a fabric-shim would send to the peer.
 * Private data calls are the state types with the collection set, except the two of their own.
 */
export type ShimRequestType =
  | 'GET_STATE'
  | 'PUT_STATE'
  | 'DEL_STATE'
  | 'GET_STATE_BY_RANGE'
  | 'GET_QUERY_RESULT'
  | 'GET_HISTORY_FOR_KEY'
  | 'QUERY_STATE_NEXT'
  | 'QUERY_STATE_CLOSE'
  | 'GET_STATE_METADATA'
  | 'PUT_STATE_METADATA'
  | 'GET_PRIVATE_DATA_HASH'
  | 'PURGE_PRIVATE_DATA'
  | 'INVOKE_CHAINCODE';

/**
 * Fabric's handler metrics (`core/chaincode/metrics.go` `HandlerMetrics`) of one chaincode package
 * on one channel. The peer hands one to every invocation in {@link RuntimeSupport.metrics}; the
 * same object serves every invocation of that package on that channel.
 */
export interface ChaincodeMeter {
  /** The counters of one request type; the host table calls it once per shim request. */
  shimRequest(type: ShimRequestType): ShimRequestMeter;
  /** The runtime calls it when an invocation (Init or Invoke) is stopped by its time limit. */
  executeTimeout(): void;
}

/** One shim request type's counters: `received` as the request starts, `completed` once as it ends. */
export interface ShimRequestMeter {
  received(): void;
  /** `success` is false when the request was answered with an error; `seconds` is its duration. */
  completed(success: boolean, seconds: number): void;
}

/**
 * Where a runtime that makes transactions wait for a place to run (see {@link ChaincodeRuntime.invoke})
 * reports that wait, for the peer's `weft_chaincode_queue_*` metrics. Weft's own: a Fabric chaincode
 * process serves transactions side by side and has no such queue. The peer hands the same object to
 * every invocation of one package on one channel; a transaction that finds a free place calls nothing.
 */
export interface RuntimeQueueMeter {
  /** The transaction joins the wait; exactly one {@link left} follows. */
  queued(): void;
  /** It leaves the wait after `seconds`: `ran` when it got its place, false when it never runs (caller gone, runtime closed). */
  left(seconds: number, ran: boolean): void;
  /** Refused at once, too many waiting (`CHAINCODE_QUEUE_FULL`). */
  refused(): void;
  /** Not run because its caller gave up before it had a place (`CHAINCODE_CANCELLED`), queued or not yet. */
  cancelled(): void;
}

/** An installed package, as `peer lifecycle chaincode queryinstalled` shows it. */
export interface InstalledChaincode {
  readonly packageId: string;
  readonly label: string;
}

/**
 * Runs installed chaincode packages. The endorser calls `invoke` once per proposal (and the
 * lifecycle calls `install` once per package); implementations must keep serving after any chaincode
 * failure: hostile chaincode yields a 500 response, never a throw.
 */
export interface ChaincodeRuntime {
  /**
   * Loads a package (Fabric format, built by the Weft packager) so it can be invoked. Idempotent for
   * the same bytes. Throws {@link ChaincodeError} for a package it cannot run, with code
   * `CHAINCODE_LOAD_TIMEOUT` when the chaincode did not finish loading within its time limit (the
   * peer counts those as Fabric's launch timeouts, not launch failures).
   */
  install(packageBytes: Uint8Array): Promise<InstalledChaincode>;
  /**
   * Runs one transaction, off the caller's event loop where the runtime can (a Fabric chaincode is
   * a process of its own: the peer keeps serving while it computes), so transactions, of one
   * package too, may overlap; the caller's simulator then spans turns of the event loop, and the
   * peer holds the channel's state for it. A runtime that makes transactions wait for a place to
   * run (a pool of sandboxes) asks a {@link RuntimeSupportSource} for the support only once the
   * wait is over, so a waiting transaction holds no state; one that runs everything at once calls
   * it straight away. Such a runtime gives up the wait of a transaction whose `signal` aborts,
   * throwing `CHAINCODE_CANCELLED`, and may refuse one when too many wait (`CHAINCODE_QUEUE_FULL`).
   * Such a runtime reports the wait to `queue` when given one.
   * Chaincode errors, timeouts and memory exhaustion come back as a 500 response; a throw means
   * the runtime itself failed (unknown package ID, closed runtime), did not run the transaction,
   * or the support source threw.
   */
  invoke(packageId: string, invocation: ChaincodeInvocation, support: RuntimeSupport | RuntimeSupportSource, signal?: AbortSignal, queue?: RuntimeQueueMeter): Promise<ChaincodeResult>;
  /**
   * {@link invoke} without the promise, for a chaincode-to-chaincode call from a caller that cannot
   * wait (sandboxed chaincode packaged before its stub could): the peer's
   * `RuntimeSupport.invokeChaincode` runs the callee with it while the caller waits inside its
   * sandbox, so the callee records into the caller's simulator. A caller that can wait has its
   * callees run with {@link invoke} and `RuntimeSupport.calledByChaincode`, whatever their runtime.
   * The callee's package may be the caller's, still running (a chaincode calling itself on another channel): the runtime runs the
   * call alongside, as a Fabric chaincode process serves transactions side by side; the peer refuses
   * a second run of one transaction on one channel before it gets here. Same outcomes as `invoke`; throws
   * {@link ChaincodeError} `CHAINCODE_NOT_INSTALLED` when the package is not loaded (loading is
   * asynchronous: the caller loads it with {@link install} and retries later), and
   * `CHAINCODE_SYNC_UNSUPPORTED` when the package's runtime can only answer asynchronously (a
   * chaincode server).
   */
  invokeSync(packageId: string, invocation: ChaincodeInvocation, support: RuntimeSupport): ChaincodeResult;
  /** Releases the package's sandbox. Unknown IDs are ignored. */
  uninstall(packageId: string): Promise<void>;
  /** Releases every sandbox; the runtime cannot be used afterwards. Idempotent. */
  close(): Promise<void>;
}
export const ChaincodeRuntime = Symbol('ChaincodeRuntime');

/** Fills in the default limits. */
export function resolveLimits(limits: RuntimeLimits | undefined): Required<RuntimeLimits> {
  return {
    timeoutMs: limits?.timeoutMs ?? 30_000,
    maxValueBytes: limits?.maxValueBytes ?? 8 * 1024 * 1024,
    maxKeyBytes: limits?.maxKeyBytes ?? 64 * 1024,
    totalQueryLimit: limits?.totalQueryLimit ?? 100_000,
    maxTransactionBytes: limits?.maxTransactionBytes ?? DEFAULT_MAX_TRANSACTION_BYTES,
  };
}
