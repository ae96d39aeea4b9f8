import { WeftError } from '../errors';

/**
 * Peer failures that reach clients: a rejected proposal, an unknown channel or chaincode, a bad
 * request to a system chaincode, a Gateway failure. `details` names the field or node involved.
 */
export class PeerError extends WeftError {
  override readonly name = 'PeerError';
}

/** Fabric's words for a paused (INACTIVE) ledger in a JoinChain refusal; admin tools match on them, the only part of the answer a remote caller gets. */
export const PAUSED_LEDGER = 'already exists with state [INACTIVE]';
