/**
 * What one transaction makes the peer hold for it outside the chaincode's isolate. `memoryLimitMb`
 * bounds only the chaincode's own heap: each `putState` copies its value into the host's simulator,
 * so a 16 MB isolate writing one 8 MB buffer under key after key made the peer hold gigabytes.
 * Fabric sets no such limit, but there chaincode talks to the peer over gRPC, whose 100 MiB message
 * limit bounds the proposal response the write set, the response and the event end up in.
 */
import type { TxSimulator } from '../ledger/tx-simulator';
import { ArgError } from './host-args';

/** The default of `RuntimeLimits.maxTransactionBytes`: Fabric's default gRPC message limit (100 MiB). */
export const DEFAULT_MAX_TRANSACTION_BYTES = 100 * 1024 * 1024;

/** Where a write lands in the write set: a later write to the same slot replaces the earlier one. */
export type WriteSlot = 'state' | 'metadata' | 'private' | 'private-metadata' | 'purge';

/** The key a write goes to. */
export interface WriteAt {
  readonly namespace: string;
  readonly collection?: string;
  readonly key: string;
}

const budgets = new WeakMap<TxSimulator, TransactionBytes>();

/** Bytes of a string as the write set holds it (UTF-8). */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * One transaction's account of the bytes it holds in the peer: its write set (keys, values,
 * metadata, private data; a rewrite of a key replaces what the earlier write counted), the query
 * results its open iterators hold pulled ahead, and, when it completes, its response and event.
 * Every invocation recording into the same simulator shares one account, so a chaincode-to-
 * chaincode callee on the same channel counts against its caller's limit.
 */
export class TransactionBytes {
  private readonly slots = new Map<string, number>();
  private written = 0;
  private held = 0;

  /** The account of the transaction `simulator` records. */
  static of(simulator: TxSimulator): TransactionBytes {
    let budget = budgets.get(simulator);
    if (budget === undefined) {
      budget = new TransactionBytes();
      budgets.set(simulator, budget);
    }
    return budget;
  }

  /** Bytes counted now. */
  get total(): number {
    return this.written + this.held;
  }

  /**
   * Counts a write of `bytes` to a slot, replacing what an earlier write to that slot counted, and
   * runs `apply` (the simulator's write) only if the total stays within `limit`; else throws,
   * naming `what` and the limit. A write `apply` refuses is not counted.
   */
  write(slot: WriteSlot, at: WriteAt, bytes: number, limit: number, what: () => string, apply: () => void): void {
    const id = `${slot}\u0000${at.namespace}\u0000${at.collection ?? ''}\u0000${at.key}`;
    const before = this.slots.get(id) ?? 0;
    this.check(bytes - before, limit, what);
    apply();
    this.slots.set(id, bytes);
    this.written += bytes - before;
  }

  /** Holds `bytes` more (a query result pulled ahead) if they fit within `limit`; else throws. */
  hold(bytes: number, limit: number, what: () => string): void {
    this.check(bytes, limit, what);
    this.held += bytes;
  }

  /** Gives back bytes {@link hold} took. */
  release(bytes: number): void {
    this.held = Math.max(0, this.held - bytes);
  }

  /** Throws unless `extra` more bytes fit within `limit`: for what a transaction returns, which is not kept. */
  check(extra: number, limit: number, what: () => string): void {
    const total = this.total + extra;
    if (extra <= 0 || total <= limit) return;
    throw new ArgError(
      `${what()} would bring what this transaction holds in the peer (its writes, query results pulled ahead, response and event) to ${total} bytes, over the limit of ${limit} bytes (maxTransactionBytes)`,
    );
  }
}
