import { CommitError, type Contract, StatusCode } from '@hyperledger/fabric-gateway';

/** The codes a new endorsement can cure: something the transaction read changed before it committed. */
const CONFLICTS = new Set<number>([StatusCode.MVCC_READ_CONFLICT, StatusCode.PHANTOM_READ_CONFLICT]);

/**
 * Submits a transaction, and when it commits with a read conflict, submits it again: a new
 * proposal, so a new transaction id and a fresh endorsement over the current state. Any other
 * failure, and the last conflict, is thrown to the caller.
 */
export async function submitWithRetry(
  contract: Contract,
  name: string,
  args: string[],
  retries = 3,
  onConflict?: (err: CommitError, attempt: number) => void,
): Promise<Uint8Array> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await contract.submitTransaction(name, ...args);
    } catch (err) {
      if (!(err instanceof CommitError) || !CONFLICTS.has(err.code) || attempt > retries) throw err;
      onConflict?.(err, attempt);
      // Jittered backoff, so clients that conflicted together do not collide again in the next block.
      const delayMs = 100 * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
