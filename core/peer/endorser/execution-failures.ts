/**
 * How the failures of running chaincode read, as Fabric's endorser and chaincode handler word them:
 * clients and calling chaincode match on these texts.
 */
import type { ParsedSignedProposal } from '../../protocol/proposal';
import { PeerError } from '../peer-error';

/** `err` with another message, its code, details and cause kept. */
export function reworded(err: PeerError, message: string): PeerError {
  return new PeerError(err.code, message, err.details, { cause: err });
}

/**
 * A chaincode not defined, approved or installed, as Fabric's endorser words the failure of its
 * lookup (`ChaincodeEndorsementInfo`) before simulating.
 */
export function lookupFailure(name: string, channelId: string, err: PeerError): PeerError {
  return reworded(err, `make sure the chaincode ${name} has been successfully defined on channel ${channelId} and try again: ${err.message}`);
}

/**
 * A failure inside Fabric's `ChaincodeSupport.Execute`, as its endorser reports it: `invalid
 * invocation` for CheckInvocation's refusals, `error sending` for the handler's (a txid in use).
 */
export function executeFailure(proposal: ParsedSignedProposal, stage: 'invalid invocation' | 'error sending', err: PeerError): PeerError {
  return reworded(err, `error in simulation: failed to execute transaction ${proposal.txId}: ${stage}: ${err.message}`);
}

/**
 * A failed chaincode-to-chaincode call as Fabric's handler answers the calling shim (an ERROR
 * message, which fabric-shim throws): `HandleTransaction`'s prefix over `HandleInvokeChaincode`'s error.
 */
export function invokeFailure(proposal: ParsedSignedProposal, err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const message = `INVOKE_CHAINCODE failed: transaction ID: ${proposal.txId}: ${err.message}`;
  return err instanceof PeerError ? reworded(err, message) : new PeerError('PEER_C2C_FAILED', message, { txId: proposal.txId }, { cause: err });
}

/** Rewords a `PeerError` thrown by `fn`, for the stage of a call it failed in. */
export function failingAs<T>(fn: () => T, reword: (err: PeerError) => PeerError): T {
  try {
    return fn();
  } catch (err) {
    throw err instanceof PeerError ? reword(err) : err;
  }
}
