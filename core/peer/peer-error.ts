import { WeftError } from '../errors';

/**
 * Peer failures that reach clients: a rejected proposal, an unknown channel or chaincode, a bad
 * request to a system chaincode, a Gateway failure. `details` names the field or node involved.
 */
export class PeerError extends WeftError {
  override readonly name = 'PeerError';
}
