import type { ChaincodeInvocation, RuntimeLimits, RuntimeSupport } from './chaincode-runtime';
import type { HostReply, HostTable, SandboxOutcome } from './host-api';
import { TransactionBytes, type WriteAt, type WriteSlot } from './host-budget';
import { TransactionLog } from './host-log';
import { OpenQueries, MAX_OPEN_QUERIES, transactionScope } from './host-queries';

/**
 * Wraps one host function as a {@link HostTable} entry: it runs against the current transaction's
 * session and answers `{result}` or `{error}`, never a throw (see `createHostTable`).
 */
export type HostEntry = <A extends unknown[], T>(name: keyof HostTable, fn: (s: HostSession, ...args: A) => T) => (...args: A) => HostReply<T>;

/** Longest key quoted in an error. */
const MAX_QUOTED_KEY = 100;

/** One transaction's host-side state; the runtime creates one per invocation and closes it when the invocation ends. */
export class HostSession {
  outcome: SandboxOutcome | undefined;
  readonly queries: OpenQueries;
  readonly log: TransactionLog;
  /** What the transaction holds in the peer, shared with chaincode-to-chaincode callees recording into the same simulator. */
  readonly bytes: TransactionBytes;
  private wrote = false;
  private paged = false;

  constructor(
    readonly invocation: ChaincodeInvocation,
    readonly support: RuntimeSupport,
    readonly limits: Required<RuntimeLimits>,
    mapStacks?: (text: string) => string,
  ) {
    this.bytes = TransactionBytes.of(support.simulator);
    this.queries = new OpenQueries(
      limits.totalQueryLimit,
      {
        hold: (n, what) => this.bytes.hold(n, limits.maxTransactionBytes, what),
        release: (n) => this.bytes.release(n),
      },
      MAX_OPEN_QUERIES,
      () => transactionScope(invocation.channelId, invocation.txId),
    );
    this.log = new TransactionLog(support.log, invocation.channelId, invocation.txId, mapStacks);
  }

  /** The state namespace of the invoked chaincode, which every read and write goes to. */
  get namespace(): string {
    return this.invocation.chaincodeName;
  }

  beforeWrite(): void {
    if (this.paged) throw new Error('Transaction has already performed a paginated query. Writes are not allowed');
    this.wrote = true;
  }

  beforePagedQuery(): void {
    if (this.wrote) throw new Error('Paginated queries are supported only in a read-only transaction');
    this.paged = true;
  }

  /**
   * Makes a write (`apply`, the simulator's) of `bytes` to the invoked chaincode's namespace if the
   * transaction stays within `maxTransactionBytes`; else throws, naming the call and the key.
   */
  write(call: keyof HostTable, slot: WriteSlot, at: Omit<WriteAt, 'namespace'>, bytes: number, apply: () => void): void {
    this.beforeWrite();
    const what = (): string => {
      const key = at.key.length > MAX_QUOTED_KEY ? `${at.key.slice(0, MAX_QUOTED_KEY)}…` : at.key;
      return `${call} of key ${JSON.stringify(key)}${at.collection === undefined ? '' : ` in collection ${JSON.stringify(at.collection)}`}`;
    };
    this.bytes.write(slot, { ...at, namespace: this.namespace }, bytes, this.limits.maxTransactionBytes, what, apply);
  }

  /** Ends the session: closes every query iterator the transaction left open, as Fabric's handler does at transaction end. */
  close(): void {
    this.queries.closeAll();
  }
}
