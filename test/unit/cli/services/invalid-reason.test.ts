import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { withCommitterReason } from '../../../../cli/services/chaincode/invalid-reason';
import { invalidTransactionError } from '../../../../cli/services/chaincode/transact';
import { resolveUser } from '../../../../cli/services/client/client-identity';
import { openNetwork } from '../../../../cli/services/network/network-access';
import { stoppedNetwork } from '../../../support/stopped-network';

const TX = '9c69859e6a8ff1abb3dfe7aff0fa690ee87e3b84da93fa9de95799586c44d877';
const POLICY_REASON = "endorsement policy of chaincode assets not satisfied: signature set did not satisfy policy AND('Org1MSP.peer', 'Org2MSP.peer'); no valid signature from 'Org2MSP.peer'";

/**
 * Lines as a peer's committer writes them (pino JSON), taken from a peer's log: `time` ISO 8601, or
 * epoch milliseconds in what a Weft from before ISO times wrote earlier in the same log.
 */
function logLines(txId: string, reason: string, time: string | number = '2026-11-26T18:21:16.528Z'): string[] {
  const base = { level: 40, time, pid: 23851, hostname: 'vm', name: 'weft', component: 'committer', node: 'peer0.org1.example.com', channel: 'mychannel' };
  return [
    JSON.stringify({ ...base, level: 30, block: 380, transactions: 1, invalid: 0, msg: 'committed block 380 with 1 transaction(s) in 9ms' }),
    JSON.stringify({ ...base, block: 381, tx: 0, txId, code: 'ENDORSEMENT_POLICY_FAILURE', reason, retryable: false, msg: 'transaction invalid' }),
    JSON.stringify({ ...base, level: 30, block: 381, transactions: 1, invalid: 1, msg: 'committed block 381 with 1 transaction(s) (1 invalid) in 8ms' }),
  ];
}

/**
 * `weft chaincode invoke … --endorsing-orgs Org1` on a chaincode whose policy is AND(Org1, Org2)
 * failed TX_INVALID ENDORSEMENT_POLICY_FAILURE with the code's general meaning only; the Gateway
 * peer's log, on this machine, said which policy and whose signature was missing. The CLI now
 * gives that line too.
 */
describe('an invoke whose transaction committed as invalid', () => {
  const stopped = stoppedNetwork('weft-invalid-reason-');
  const rejected = () => Promise.reject(invalidTransactionError({ transactionId: TX, blockNumber: 381n, code: TxValidationCode.ENDORSEMENT_POLICY_FAILURE }));

  it("adds the reason the Gateway peer's committer logged for that transaction", async () => {
    const layout = openNetwork(stopped.dir);
    const user = resolveUser(layout, undefined, undefined);
    const peer = layout.peers()[0]!;
    fs.mkdirSync(path.dirname(peer.logFile), { recursive: true });
    // Another transaction's warning first, written before an upgrade (epoch time): only this one's reason is taken.
    fs.writeFileSync(peer.logFile, [...logLines('ab'.repeat(32), 'another reason', 1795707676528), ...logLines(TX, POLICY_REASON)].join('\n') + '\n');
    const err = await withCommitterReason(layout, user, undefined, rejected).catch((e: unknown) => e as { code: string; message: string; details: Record<string, unknown> });
    expect(err.code).toBe('TX_INVALID');
    expect(err.message).toMatch(new RegExp(`as invalid: ENDORSEMENT_POLICY_FAILURE\\. [^\\n]+\\n  peer0\\.org1\\.example\\.com logged why: ${POLICY_REASON.replace(/[()[\]. ]/g, '\\$&')}$`));
    expect(err.details).toMatchObject({ transactionId: TX, validationCode: 'ENDORSEMENT_POLICY_FAILURE', reason: POLICY_REASON, reasonFrom: peer.logFile });
  });

  it('leaves the error as it was when the log does not have it (a peer elsewhere, or one logging only errors)', async () => {
    const layout = openNetwork(stopped.dir);
    const user = resolveUser(layout, undefined, undefined);
    fs.writeFileSync(layout.peers()[0]!.logFile, logLines('cd'.repeat(32), 'another reason').join('\n') + '\n');
    const original = await rejected().catch((e: unknown) => e as Error);
    const err = await withCommitterReason(layout, user, undefined, () => Promise.reject(original)).catch((e: unknown) => e);
    expect(err).toBe(original);
  });
});
