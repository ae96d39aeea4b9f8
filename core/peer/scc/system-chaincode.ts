import type { ChaincodeResponse } from '../../chaincode/chaincode-runtime';
import type { TxSimulator } from '../../ledger/tx-simulator';
import type { Identity } from '../../msp/identity';
import type { ParsedSignedProposal } from '../../protocol/proposal';
import type { Channel } from '../channel/channel';

/** One call of a system chaincode, already authenticated by the endorser (signature, creator). */
export interface SccInvocation {
  /** Undefined for channel-less proposals (`cscc GetChannels`, `_lifecycle InstallChaincode`). */
  readonly channel: Channel | undefined;
  readonly args: readonly Uint8Array[];
  /** The creator, deserialized by the channel MSP (or the local MSP for channel-less calls). */
  readonly creator: Identity;
  readonly proposal: ParsedSignedProposal;
  /** Records the call's reads and writes; undefined for channel-less calls. */
  readonly simulator: TxSimulator | undefined;
}

/**
 * A chaincode compiled into the peer (`_lifecycle`, `qscc`, `cscc`), run outside the sandbox.
 * Called by the endorser once per proposal; it checks its own ACLs (Fabric's `Readers`, local
 * admin, …) and answers with a Fabric `Response`: status 200, or ≥ 400 with a message for the client.
 * A throw means the peer itself failed.
 */
export interface SystemChaincode {
  readonly name: string;
  invoke(invocation: SccInvocation): Promise<ChaincodeResponse>;
  /**
   * The same call answered synchronously, for a chaincode-to-chaincode call (Fabric lets chaincode
   * invoke system chaincodes; the caller waits inside its sandbox, so nothing may be awaited).
   * `invocation.proposal` is the caller's, naming the calling chaincode. A system chaincode without
   * it cannot be called from chaincode on this peer.
   */
  invokeSync?(invocation: SccInvocation): ChaincodeResponse;
}

const EMPTY = new Uint8Array(0);

export function success(payload: Uint8Array = EMPTY): ChaincodeResponse {
  return { status: 200, message: '', payload };
}

export function failure(message: string, status = 500): ChaincodeResponse {
  return { status, message, payload: EMPTY };
}

export function argString(args: readonly Uint8Array[], index: number): string {
  const a = args[index];
  return a === undefined ? '' : Buffer.from(a.buffer, a.byteOffset, a.length).toString('utf8');
}
