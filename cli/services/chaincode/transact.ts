import type { SubmittedTransaction } from '@hyperledger/fabric-gateway';
import { ProposedTransaction } from '@hyperledger/fabric-protos/lib/gateway/gateway_pb';
import { SignedProposal } from '@hyperledger/fabric-protos/lib/peer/proposal_pb';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { ChaincodeError } from '../../../core/errors';
import { buildProposal } from '../../../core/protocol/proposal';
import { loadClientIdentity } from '../client/client-identity';
import { GatewaySession } from '../client/gateway-session';
import type { NetworkLayout, UserLayout } from '../network/network-layout';
import { gatewayFailure } from './gateway-errors';

const CODE_NAMES = new Map(Object.entries(TxValidationCode).map(([name, code]) => [code as number, name]));

export interface TransactOptions {
  readonly chaincode: string;
  readonly fn: string;
  readonly args: readonly string[];
  readonly transient?: Record<string, string>;
  /** Only these orgs endorse (default: the Gateway's plan from the endorsement policy). */
  readonly endorsingOrgs?: readonly string[];
  /** Call as the `Init` of an `init_required` definition (Fabric's `--isInit`). */
  readonly isInit?: boolean;
}

export interface InvokeResult {
  readonly transactionId: string;
  readonly result: string;
  readonly blockNumber: string;
  readonly validationCode: string;
  readonly valid: boolean;
}

function transientData(t: Record<string, string> | undefined): Record<string, Uint8Array> | undefined {
  if (t === undefined) return undefined;
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Buffer.from(v, 'utf8')]));
}

/** Endorse, submit, wait for commit. A transaction committed as invalid throws (non-zero exit). */
export async function invokeChaincode(layout: NetworkLayout, user: UserLayout, o: TransactOptions): Promise<InvokeResult> {
  const session = new GatewaySession(layout, loadClientIdentity(user));
  try {
    const contract = session.gateway.getNetwork(layout.spec.channel.name).getContract(o.chaincode);
    const submitted =
      o.isInit === true
        ? await submitInit(session, layout.spec.channel.name, o)
        : await contract.submitAsync(o.fn, {
            arguments: [...o.args],
            ...(o.transient ? { transientData: transientData(o.transient) } : {}),
            ...(o.endorsingOrgs ? { endorsingOrganizations: [...o.endorsingOrgs] } : {}),
          });
    const result = Buffer.from(submitted.getResult()).toString('utf8');
    const status = await submitted.getStatus();
    const validationCode = CODE_NAMES.get(status.code) ?? String(status.code);
    if (!status.successful) {
      throw new ChaincodeError('TX_INVALID', `transaction ${status.transactionId} was committed in block ${status.blockNumber} as invalid: ${validationCode}`, {
        transactionId: status.transactionId,
        validationCode,
        suggestions: validationCode === 'MVCC_READ_CONFLICT' ? ['another transaction changed the same keys first: retry'] : ['inspect the block with: weft block show <dir> newest'],
      });
    }
    return { transactionId: status.transactionId, result, blockNumber: status.blockNumber.toString(), validationCode, valid: true };
  } catch (err) {
    throw gatewayFailure(err, `${o.chaincode} ${o.fn}`);
  } finally {
    session.close();
  }
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
  const session = new GatewaySession(layout, loadClientIdentity(user));
  try {
    const contract = session.gateway.getNetwork(layout.spec.channel.name).getContract(o.chaincode);
    const bytes = await contract.evaluate(o.fn, { arguments: [...o.args], ...(o.transient ? { transientData: transientData(o.transient) } : {}) });
    return { result: Buffer.from(bytes).toString('utf8') };
  } catch (err) {
    throw gatewayFailure(err, `${o.chaincode} ${o.fn}`);
  } finally {
    session.close();
  }
}
