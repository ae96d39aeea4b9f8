import { setTimeout as sleep } from 'node:timers/promises';
import { type Contract, EndorseError, type SubmittedTransaction } from '@hyperledger/fabric-gateway';
import { ProposedTransaction } from '@hyperledger/fabric-protos/lib/gateway/gateway_pb';
import { SignedProposal } from '@hyperledger/fabric-protos/lib/peer/proposal_pb';
import { ChaincodeError } from '../../../core/errors';
import { buildProposal } from '../../../core/protocol/proposal';
import { validationCodeInfo, validationCodeName } from '../../../core/protocol/validation-codes';
import { loadClientIdentity } from '../client/client-identity';
import { GatewaySession } from '../client/gateway-session';
import type { NetworkLayout, NodeLayout, UserLayout } from '../network/network-layout';
import { commandDir, gatewayFailure } from './gateway-errors';

export interface TransactOptions {
  readonly chaincode: string;
  readonly fn: string;
  readonly args: readonly string[];
  readonly transient?: Record<string, string>;
  /** Only these orgs endorse (default: the Gateway's plan from the endorsement policy). */
  readonly endorsingOrgs?: readonly string[];
  /** Call as the `Init` of an `init_required` definition (Fabric's `--isInit`). */
  readonly isInit?: boolean;
  /**
   * How many times a transaction that commits MVCC_READ_CONFLICT or PHANTOM_READ_CONFLICT is
   * endorsed again (a new transaction id) and resubmitted; other codes are never retried (default 0).
   */
  readonly retries?: number;
  /** Called before each retry, after the conflict and before the backoff delay. */
  readonly onRetry?: (retry: RetryNotice) => void;
  /** The peer whose Gateway serves the call (`--peer`; default the first peer of the user's org): its Gateway evaluates on itself, and endorses on itself for its org. */
  readonly gatewayPeer?: NodeLayout;
}

/** A conflicted attempt about to be retried. */
export interface RetryNotice {
  /** The attempt that conflicted, from 1. */
  readonly attempt: number;
  readonly transactionId: string;
  /** What went wrong: `MVCC_READ_CONFLICT in block 12`, or the endorsers' disagreement. */
  readonly reason: string;
  readonly delayMs: number;
}

/**
 * The Gateway's answer when the endorsing peers' responses differ (it compares them byte for byte):
 * right after a block one peer may not have committed it yet, so they read different states, and
 * endorsing again a moment later agrees. A chaincode's own failure is ABORTED too, but says otherwise.
 */
export function endorsersDisagreed(err: unknown): err is EndorseError {
  return err instanceof EndorseError && err.message.includes('ProposalResponsePayloads do not match');
}

export interface InvokeResult {
  readonly transactionId: string;
  readonly result: string;
  readonly blockNumber: string;
  readonly validationCode: string;
  readonly valid: boolean;
  /** Endorse-and-submit rounds it took: 1 without a retry. */
  readonly attempts: number;
}

/** The committed status of one attempt, as fabric-gateway's `Status` gives it. */
interface CommitStatus {
  readonly transactionId: string;
  readonly blockNumber: bigint;
  readonly code: number;
}

/**
 * The wait before retry `attempt` (1 for the first): 100 ms doubling to at most 1.6 s, each drawn
 * from half to all of that, so conflicting clients that retry together spread out instead of
 * colliding again in the next block.
 */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = 100 * 2 ** Math.min(Math.max(attempt, 1) - 1, 4);
  return Math.round(ceiling * (0.5 + random() / 2));
}

/**
 * TX_INVALID for a transaction that committed with a code other than VALID: what the code means in
 * Weft and what to do, from the validation code catalogue. `what` names the transaction (a lifecycle
 * function); `retries` is how many the command allowed, absent for a command without `--retry`.
 */
export function invalidTransactionError(status: CommitStatus, attempts = 1, retries?: number, what?: string, dir?: string): ChaincodeError {
  const name = validationCodeName(status.code);
  const info = validationCodeInfo(status.code);
  const tries = attempts > 1 ? ` (attempt ${attempts} of ${(retries ?? 0) + 1})` : '';
  const meaning = info === undefined ? 'a code this version of Weft does not know' : info.when;
  const suggestions = [info?.advice ?? 'see the peer log for why the transaction failed validation'];
  if (info?.retryable === true && retries !== undefined && attempts > retries) {
    suggestions.push(
      attempts > 1
        ? `it conflicted on every one of ${attempts} attempts: the keys are hot; allow more attempts with --retry <n> or spread the writes over more keys`
        : 'let the CLI endorse again and resubmit: --retry <n> (for example --retry 3)',
    );
  }
  suggestions.push(`inspect the block: weft block show ${commandDir(dir)} ${status.blockNumber}`);
  return new ChaincodeError('TX_INVALID', `${what === undefined ? '' : `${what} `}transaction ${status.transactionId} was committed in block ${status.blockNumber} as invalid: ${name}${tries}. ${meaning}`, {
    transactionId: status.transactionId,
    blockNumber: status.blockNumber.toString(),
    validationCode: name,
    code: status.code,
    retryable: info?.retryable === true,
    attempts,
    suggestions,
  });
}

function transientData(t: Record<string, string> | undefined): Record<string, Uint8Array> | undefined {
  if (t === undefined) return undefined;
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Buffer.from(v, 'utf8')]));
}

/**
 * Endorse, submit, wait for commit. A read conflict (or endorsers that disagreed) is endorsed again
 * and resubmitted up to `o.retries` times; a transaction committed as invalid in the end throws
 * TX_INVALID (non-zero exit).
 */
export async function invokeChaincode(layout: NetworkLayout, user: UserLayout, o: TransactOptions): Promise<InvokeResult> {
  const retries = o.retries ?? 0;
  const session = new GatewaySession(layout, loadClientIdentity(user), o.gatewayPeer);
  try {
    const contract = session.gateway.getNetwork(layout.spec.channel.name).getContract(o.chaincode);
    for (let attempt = 1; ; attempt++) {
      // Each round builds a new proposal, so a new transaction id: resubmitting a committed envelope would be DUPLICATE_TXID.
      let submitted: SubmittedTransaction;
      try {
        submitted = await submitOnce(session, contract, layout.spec.channel.name, o);
      } catch (err) {
        if (!endorsersDisagreed(err) || attempt > retries) throw err;
        const delayMs = retryDelayMs(attempt);
        o.onRetry?.({ attempt, transactionId: err.transactionId, reason: 'the endorsing peers answered from different states (one had not yet committed the latest block)', delayMs });
        await sleep(delayMs);
        continue;
      }
      const status = await submitted.getStatus();
      const validationCode = validationCodeName(status.code);
      if (status.successful) {
        const result = Buffer.from(submitted.getResult()).toString('utf8');
        return { transactionId: status.transactionId, result, blockNumber: status.blockNumber.toString(), validationCode, valid: true, attempts: attempt };
      }
      if (validationCodeInfo(status.code)?.retryable !== true || attempt > retries) throw invalidTransactionError(status, attempt, retries, undefined, layout.dir);
      const delayMs = retryDelayMs(attempt);
      o.onRetry?.({ attempt, transactionId: status.transactionId, reason: `${validationCode} in block ${status.blockNumber}`, delayMs });
      await sleep(delayMs);
    }
  } catch (err) {
    throw gatewayFailure(err, `${o.chaincode} ${o.fn}`, layout.dir);
  } finally {
    session.close();
  }
}

function submitOnce(session: GatewaySession, contract: Contract, channelId: string, o: TransactOptions): Promise<SubmittedTransaction> {
  if (o.isInit === true) return submitInit(session, channelId, o);
  return contract.submitAsync(o.fn, {
    arguments: [...o.args],
    ...(o.transient ? { transientData: transientData(o.transient) } : {}),
    ...(o.endorsingOrgs ? { endorsingOrganizations: [...o.endorsingOrgs] } : {}),
  });
}

/**
 * The Gateway client cannot set `ChaincodeInput.is_init`: the proposal is built and signed here and
 * handed to the client's offline-signing path, which endorses and submits it as usual.
 */
async function submitInit(session: GatewaySession, channelId: string, o: TransactOptions): Promise<SubmittedTransaction> {
  const signer = session.identity.signer;
  const built = buildProposal({
    channelId,
    chaincodeName: o.chaincode,
    args: [o.fn, ...o.args].map((a) => Buffer.from(a, 'utf8')),
    transient: transientData(o.transient),
    creator: signer.serialized,
    isInit: true,
  });
  const signed = new SignedProposal();
  signed.setProposalBytes(built.proposalBytes);
  const proposed = new ProposedTransaction();
  proposed.setTransactionId(built.txId);
  proposed.setProposal(signed);
  if (o.endorsingOrgs) proposed.setEndorsingOrganizationsList([...o.endorsingOrgs]);
  const transaction = await session.gateway.newSignedProposal(proposed.serializeBinary(), signer.sign(built.proposalBytes)).endorse();
  return transaction.submit();
}

/** Evaluate on one peer: nothing is ordered or committed. */
export async function queryChaincode(layout: NetworkLayout, user: UserLayout, o: TransactOptions): Promise<{ result: string }> {
  const session = new GatewaySession(layout, loadClientIdentity(user), o.gatewayPeer);
  try {
    const contract = session.gateway.getNetwork(layout.spec.channel.name).getContract(o.chaincode);
    const bytes = await contract.evaluate(o.fn, { arguments: [...o.args], ...(o.transient ? { transientData: transientData(o.transient) } : {}) });
    return { result: Buffer.from(bytes).toString('utf8') };
  } catch (err) {
    throw gatewayFailure(err, `${o.chaincode} ${o.fn}`, layout.dir);
  } finally {
    session.close();
  }
}
