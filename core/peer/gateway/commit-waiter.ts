import type { Channel, CommittedBlock } from '../channel/channel';

/** Where and how a transaction committed. */
export interface TxStatus {
  readonly validationCode: number;
  readonly blockNumber: number;
}

/**
 * Answers "has this transaction committed, and with which code?" for the Gateway's CommitStatus:
 * from the ledger's txid index when it is already there, else by waiting for the block that holds
 * it. One block subscription per channel serves every waiter.
 */
export class CommitWaiter {
  private readonly waiters = new Map<string, ((s: TxStatus) => void)[]>();
  private readonly unsubscribe: () => void;

  constructor(private readonly channel: Channel) {
    this.unsubscribe = channel.onBlock((b) => this.onBlock(b));
  }

  /** Resolves when `txId` is committed; `signal` abandons the wait (the promise then rejects). */
  wait(txId: string, signal?: AbortSignal): Promise<TxStatus> {
    return new Promise((resolve, reject) => {
      const list = this.waiters.get(txId) ?? [];
      const done = (s: TxStatus): void => resolve(s);
      list.push(done);
      this.waiters.set(txId, list);
      // Registered first, then checked: a block committing in between is seen either way.
      const loc = this.channel.ledger.getTxLocation(txId);
      if (loc !== undefined) {
        this.remove(txId, done);
        resolve({ validationCode: loc.validationCode, blockNumber: loc.blockNum });
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
    this.waiters.clear();
  }

  private remove(txId: string, fn: (s: TxStatus) => void): void {
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
      for (const fn of list) fn(status);
    }
  }
}
