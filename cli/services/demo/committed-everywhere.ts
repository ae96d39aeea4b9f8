import type { Gateway, Status, SubmittedTransaction } from '@hyperledger/fabric-gateway';
import { invalidTransactionError } from '../chaincode/transact';

/**
 * Waits until the peer behind every gateway has committed the transaction, and fails if it
 * committed as invalid. A submit returns once the submitting org's peer has committed; the demo's
 * next step may read on the other org's peer, which can be a block behind for a few milliseconds.
 * Each gateway is asked with the submitter's own signed commit status request (the `gateway/CommitStatus`
 * ACL is the channel's Readers, which every org's users satisfy).
 */
export async function committedEverywhere(tx: SubmittedTransaction, gateways: readonly Gateway[], fn: string): Promise<Status> {
  const status = await tx.getStatus();
  if (!status.successful) throw invalidTransactionError(status, 1, undefined, fn);
  await Promise.all(gateways.map((g) => g.newCommit(tx.getBytes()).getStatus()));
  return status;
}
