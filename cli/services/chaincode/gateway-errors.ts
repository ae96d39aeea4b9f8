import { ChaincodeError, WeftError } from '../../../core/errors';

interface GatewayErrorLike {
  readonly name?: string;
  readonly message: string;
  readonly code?: number;
  readonly transactionId?: string;
  readonly details?: readonly { address?: string; mspId?: string; message?: string }[];
}

const CHAINCODE_RESPONSE = /chaincode response (\d+), ([\s\S]*)$/;
// The peer's words, then the Gateway's, which asks no peer about a chaincode the channel has not defined.
const UNDEFINED_CHAINCODE = /has been successfully defined|chaincode \S+ not found|not defined|No metadata was found for chaincode|no peers available to evaluate chaincode/;

/**
 * Turns a fabric-gateway error (EndorseError, SubmitError, CommitError, CommitStatusError) into a
 * WeftError that leads with the chaincode's own message, verbatim, and names the endorser that
 * produced it: never just "see attached details".
 */
export function gatewayFailure(err: unknown, what: string): Error {
  if (err instanceof WeftError) return err;
  const e = err as GatewayErrorLike;
  if (typeof e?.message !== 'string') return new Error(String(err));
  const details = e.details ?? [];
  const lines = details.map((d) => `${d.mspId ?? '?'} ${d.address ?? ''}: ${d.message ?? ''}`);
  const texts = [e.message, ...details.map((d) => d.message ?? '')];
  const chaincode = texts.map((t) => CHAINCODE_RESPONSE.exec(t)).find((m) => m !== null);
  const undefinedChaincode = texts.some((t) => UNDEFINED_CHAINCODE.test(t));

  let message: string;
  let suggestions: string[];
  if (undefinedChaincode) {
    message = `${what} failed: the chaincode is not committed on this channel\n  ${lines.join('\n  ') || e.message}`;
    suggestions = [
      'see what is committed: weft chaincode query-committed <dir> [--channel <channel>]',
      'deploy it: weft chaincode deploy <dir> <project> --name <name>',
      'if it is deployed on another channel of the network, name it: --channel <channel>',
    ];
  } else if (chaincode) {
    const from = details.find((d) => (d.message ?? '').includes(chaincode[2]!));
    message = `${what} failed: ${chaincode[2]} (chaincode status ${chaincode[1]}${from ? `, endorser ${from.mspId} ${from.address}` : ''})`;
    suggestions = ['the chaincode refused the call: check the function name and arguments'];
  } else if (e.code === 14) {
    message = `${what} failed: ${e.message}`;
    suggestions = ['is the network up? check with: weft network status <dir>'];
  } else {
    message = lines.length > 0 ? `${what} failed: ${e.message}\n  ${lines.join('\n  ')}` : `${what} failed: ${e.message}`;
    suggestions = ['run again with --verbose for the full error', 'check the peer logs under <dir>/logs'];
  }
  return new ChaincodeError(
    'GATEWAY_FAILED',
    message,
    {
      ...(e.transactionId ? { transactionId: e.transactionId } : {}),
      ...(e.code !== undefined ? { grpcCode: e.code } : {}),
      ...(chaincode ? { chaincodeStatus: Number(chaincode[1]), chaincodeMessage: chaincode[2] } : {}),
      endorsers: lines,
      suggestions,
    },
    { cause: err },
  );
}
