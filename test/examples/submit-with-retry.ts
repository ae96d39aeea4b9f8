import { CommitError, type Contract, EndorseError, StatusCode } from '@hyperledger/fabric-gateway';

/** The codes a new endorsement can cure: something the transaction read changed before it committed. */
const CONFLICTS = new Set<number>([StatusCode.MVCC_READ_CONFLICT, StatusCode.PHANTOM_READ_CONFLICT]);

/**
 * Endorsers that answered differently because one had not yet committed the block another had (the
 * Gateway compares their answers byte for byte): endorsing again a moment later, they agree.
 */
function endorsersDisagreed(err: unknown): boolean {
  return err instanceof EndorseError && err.message.includes('ProposalResponsePayloads do not match');
}

/**
 * Submits a transaction, and when it commits with a read conflict (or its endorsers disagreed),
 * submits it again: a new proposal, so a new transaction id and a fresh endorsement over the
 * current state. Any other failure, and the last conflict, is thrown to the caller.
 */
export async function submitWithRetry(
  contract: Contract,
  name: string,
  args: string[],
  retries = 3,
  onConflict?: (err: CommitError | EndorseError, attempt: number) => void,
): Promise<Uint8Array> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await contract.submitTransaction(name, ...args);
    } catch (err) {
      const conflict = (err instanceof CommitError && CONFLICTS.has(err.code)) || endorsersDisagreed(err);
      if (!conflict || attempt > retries) throw err;
      onConflict?.(err as CommitError | EndorseError, attempt);
      // Jittered backoff, so clients that conflicted together do not collide again in the next block.
      const delayMs = 100 * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
