import type { ChaincodeInvocation, RuntimeLimits, RuntimeSupport } from './chaincode-runtime';
import type { HostReply, HostTable, SandboxOutcome } from './host-api';
import { TransactionLog } from './host-log';
import { OpenQueries } from './host-queries';

/**
 * Wraps one host function as a {@link HostTable} entry: it runs against the current transaction's
 * session and answers `{result}` or `{error}`, never a throw (see `createHostTable`).
 */
export type HostEntry = <A extends unknown[], T>(name: keyof HostTable, fn: (s: HostSession, ...args: A) => T) => (...args: A) => HostReply<T>;

/** One transaction's host-side state; the runtime creates one per invocation. */
export class HostSession {
  outcome: SandboxOutcome | undefined;
  readonly queries: OpenQueries;
  readonly log: TransactionLog;
  private wrote = false;
  private paged = false;

  constructor(
    readonly invocation: ChaincodeInvocation,
    readonly support: RuntimeSupport,
    readonly limits: Required<RuntimeLimits>,
    mapStacks?: (text: string) => string,
  ) {
    this.queries = new OpenQueries(limits.totalQueryLimit);
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
}
