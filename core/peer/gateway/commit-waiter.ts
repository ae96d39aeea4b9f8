import { status as GrpcStatus } from '@grpc/grpc-js';
import type { BlockCommitter, CommitFailure } from '../channel/block-committer';
import type { Channel, CommittedBlock } from '../channel/channel';
import { GatewayRpcError } from '../grpc/grpc-status';

/** Where and how a transaction committed. */
export interface TxStatus {
  readonly validationCode: number;
  readonly blockNumber: number;
}

/** What the waiter needs of the channel's committer: whether it is committing, and word when it stops. */
export type CommitProgress = Pick<BlockCommitter, 'failure' | 'onFailure'>;

/**
 * Answers "has this transaction committed, and with which code?" for the Gateway's CommitStatus:
 * from the ledger's txid index when it is already there, else by waiting for the block that holds
 * it. One block subscription per channel serves every waiter. While the channel's committer has
 * stopped or is paused (a full disk), no block will come: a wait then fails at once with UNAVAILABLE
 * and the committer's error, so the client can ask another peer instead of waiting out its
 * deadline. (Fabric's peer panics when its ledger fails: the client's connection drops, which its
 * SDK also sees as UNAVAILABLE.)
 */
export class CommitWaiter {
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly unsubscribe: () => void;
  private readonly unwatch: () => void;

  constructor(
    private readonly channel: Channel,
    private readonly committer?: CommitProgress,
  ) {
    this.unsubscribe = channel.onBlock((b) => this.onBlock(b));
    this.unwatch = committer?.onFailure((f) => this.rejectAll(f)) ?? (() => undefined);
  }

  /** Resolves when `txId` is committed; `signal` abandons the wait (the promise then rejects). */
  wait(txId: string, signal?: AbortSignal): Promise<TxStatus> {
    return new Promise((resolve, reject) => {
      const list = this.waiters.get(txId) ?? [];
      const done: Waiter = { resolve, reject };
      list.push(done);
      this.waiters.set(txId, list);
      // Registered first, then checked: a block committing in between is seen either way.
      const loc = this.channel.ledger.getTxLocation(txId);
      if (loc !== undefined) {
        this.remove(txId, done);
        // Committed before the snapshot this channel was joined from: taken, but its block and code are not here.
        if (loc.fromSnapshot === true) reject(txBeforeSnapshot(txId, loc.blockNum + 1));
        else resolve({ validationCode: loc.validationCode, blockNumber: loc.blockNum });
        return;
      }
      const failure = this.committer?.failure();
      if (failure !== undefined) {
        this.remove(txId, done);
        reject(notCommitting(this.channel.id, failure));
        return;
      }
      signal?.addEventListener('abort', () => {
        this.remove(txId, done);
        reject(new Error(`gave up waiting for transaction ${txId} to commit`));
      });
    });
  }

  close(): void {
    this.unsubscribe();
    this.unwatch();
    this.waiters.clear();
  }

  private rejectAll(failure: CommitFailure): void {
    const error = notCommitting(this.channel.id, failure);
    const all = [...this.waiters.values()].flat();
    this.waiters.clear();
    for (const w of all) w.reject(error);
  }

  private remove(txId: string, fn: Waiter): void {
    const list = this.waiters.get(txId);
    if (list === undefined) return;
    const rest = list.filter((f) => f !== fn);
    if (rest.length === 0) this.waiters.delete(txId);
    else this.waiters.set(txId, rest);
  }

  private onBlock(block: CommittedBlock): void {
    if (this.waiters.size === 0) return;
    const seen = new Set<string>();
    const ids = block.txIds ?? [];
    for (let i = 0; i < ids.length; i++) {
      const txId = ids[i];
      if (txId === '' || seen.has(txId)) continue;
      seen.add(txId);
      const list = this.waiters.get(txId);
      if (list === undefined) continue;
      this.waiters.delete(txId);
      // The first occurrence in this block is the one the txid index keeps: an earlier block holding
      // the txid would have answered this waiter already (when it committed, or in `wait`).
      const status = { validationCode: block.flags[i], blockNumber: block.number };
      for (const w of list) w.resolve(status);
    }
  }
}

interface Waiter {
  resolve(status: TxStatus): void;
  reject(err: Error): void;
}

function notCommitting(channelId: string, failure: CommitFailure): GatewayRpcError {
  const state = failure.paused === true ? 'is paused until disk space is freed' : 'has stopped';
  return new GatewayRpcError(GrpcStatus.UNAVAILABLE, `channel ${channelId} on this peer is not committing blocks: its committer ${state} at block ${failure.blockNum}: ${failure.error.message}`);
}

/** Fabric's block store's answer for a transaction of a ledger bootstrapped from a snapshot (`blkstorage/blockfile_mgr.go`). */
export function txBeforeSnapshot(txId: string, firstBlock: number): GatewayRpcError {
  return new GatewayRpcError(GrpcStatus.NOT_FOUND, `details for the TXID [${txId}] not available. Ledger bootstrapped from a snapshot. First available block = [${firstBlock}]`);
}
