import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { ChaincodeError } from '../../../core/errors';
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
    const submitted = await contract.submitAsync(o.fn, {
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
