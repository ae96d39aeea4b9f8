import { status as GrpcStatus } from '@grpc/grpc-js';
import { ChaincodeError, WeftError } from '../../../core/errors';
import { grpcErrorText } from '../client/peer-client';
import { ccaasServerCommand } from './ccaas-server-command';
import { shellWord } from '../../../core/node/shell-word';

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
// _lifecycle's CommitChaincodeDefinition on a peer whose org has not approved (Fabric's scc.go words it so).
const NOT_AGREED = /chaincode definition not agreed to by this org \(([^)]+)\)/;
// _lifecycle's words for a function that refused its argument (Fabric's SCC dispatcher frames them so).
const LIFECYCLE_REFUSAL = /^failed to invoke backing implementation of '/;
// Fabric's handler.go, when a collection is member-only-read or member-only-write.
const COLLECTION_ACCESS = /tx creator does not have (read|write) access permission on privatedata in chaincodeName:\S+ collectionName: (\S+)/;

// runtime-ccaas's CHAINCODE_UNREACHABLE, as an endorser passes it on: the package ID and the address its connection.json gives.
const CCAAS_UNREACHABLE = /chaincode (\S+) at (\S+): [^\n]*is the chaincode server running/;

/**
 * What to try when peers could not reach a chaincode-as-a-service server: start it where the
 * package says it listens (one line per address: a templated address differs per peer).
 */
function ccaasSuggestions(texts: readonly string[]): string[] | undefined {
  const servers = new Map<string, string>();
  for (const m of texts.map((t) => CCAAS_UNREACHABLE.exec(t))) if (m) servers.set(m[2]!, m[1]!);
  if (servers.size === 0) return undefined;
  return [...servers].map(
    ([address, packageId]) => `start the chaincode server at ${address}, where the package's connection.json points the peers: ${ccaasServerCommand(packageId, address.slice(address.lastIndexOf(':') + 1))}`,
  );
}

/**
 * What to try when no peer answered before the client's deadline (gRPC DEADLINE_EXCEEDED). A
 * Weft Gateway answers first with what the peers it tried said; the bare code comes from a
 * Gateway that does not (Fabric's), or a call whose answer came too late. The usual cause is a
 * chaincode server that is down: each peer that tries it waits the package's dial timeout, and an
 * evaluate asks one peer after another.
 */
function deadlineSuggestions(dir: string): string[] {
  return [
    "if the chaincode runs as a service (weft chaincode package --ccaas), is its server running? Each peer that cannot reach it waits the package's dial timeout (--dial-timeout) before the next peer is asked",
    `a chaincode function that runs longer than the deadline: check the peer logs under ${dir}/logs`,
  ];
}

/** The network directory in a suggested command: without one, `<dir>`, a placeholder to fill in, not a word to quote. */
export function commandDir(dir: string | undefined): string {
  return dir === undefined ? '<dir>' : shellWord(dir);
}

/**
 * What to try when the chaincode (or a system chaincode) refused the call. A refusal of the
 * caller's org or of an org's missing approval is not fixed by checking the function name.
 */
function refusalSuggestions(chaincodeMessage: string, dirWord: string): string[] {
  const notAgreed = NOT_AGREED.exec(chaincodeMessage);
  if (notAgreed) {
    return [
      `${notAgreed[1]} has not approved this definition; see each org's approval with: weft chaincode check-commit-readiness ${dirWord} --name <name> [the same --version, --sequence, --policy…]`,
      `approve it as that org: weft chaincode approve ${dirWord} --org ${notAgreed[1]} --name <name> --package-id <id> [the same definition flags]`,
    ];
  }
  const access = COLLECTION_ACCESS.exec(chaincodeMessage);
  if (access) {
    return [`collection ${access[2]} lets only its member orgs' clients ${access[1]} it: act as a member org with --org <org> (the collection's policy in the chaincode's collections config names them)`];
  }
  // _lifecycle's refusals come framed so (a definition that differs from the committed one, a dropped collection): not a function name to check.
  if (LIFECYCLE_REFUSAL.test(chaincodeMessage)) {
    return [`_lifecycle refused this definition: compare it with the committed one (weft chaincode query-committed ${dirWord} --name <name> --json) and with each org's approval (weft chaincode check-commit-readiness ${dirWord} --name <name>)`];
  }
  return ['the chaincode refused the call: check the function name and arguments'];
}

/**
 * Turns a fabric-gateway error (EndorseError, SubmitError, CommitError, CommitStatusError) into a
 * WeftError that leads with the chaincode's own message, verbatim, and names the endorser that
 * produced it: never just "see attached details".
 */
export function gatewayFailure(err: unknown, what: string, dir?: string): Error {
  if (err instanceof WeftError) return err;
  const dirWord = commandDir(dir);
  const where = dir ?? '<dir>';
  const e = err as GatewayErrorLike;
  if (typeof e?.message !== 'string') return new Error(String(err));
  const details = (e.details ?? []).map((d) => ({ ...d, message: grpcErrorText(d.message ?? '') }));
  const lines = details.map((d) => `${d.mspId ?? '?'} ${d.address ?? ''}: ${d.message}`);
  const topMessage = grpcErrorText(e.message);
  const texts = [topMessage, ...details.map((d) => d.message)];
  const chaincode = texts.map((t) => CHAINCODE_RESPONSE.exec(t)).find((m) => m !== null);
  const undefinedChaincode = texts.some((t) => UNDEFINED_CHAINCODE.test(t));

  let message: string;
  let suggestions: string[];
  if (undefinedChaincode) {
    message = `${what} failed: the chaincode is not committed on this channel\n  ${lines.join('\n  ') || topMessage}`;
    suggestions = [
      `see what is committed: weft chaincode query-committed ${dirWord} [--channel <channel>]`,
      `deploy it: weft chaincode deploy ${dirWord} <project> --name <name>`,
      'if it is deployed on another channel of the network, name it: --channel <channel>',
    ];
  } else if (chaincode) {
    const from = details.find((d) => d.message.includes(chaincode[2]!));
    message = `${what} failed: ${chaincode[2]} (chaincode status ${chaincode[1]}${from ? `, endorser ${from.mspId} ${from.address}` : ''})`;
    suggestions = refusalSuggestions(chaincode[2]!, dirWord);
  } else if (e.code === GrpcStatus.UNAVAILABLE) {
    message = `${what} failed: ${topMessage}`;
    suggestions = [`is the network up? check with: weft network status ${dirWord}`];
  } else {
    message = lines.length > 0 ? `${what} failed: ${topMessage}\n  ${lines.join('\n  ')}` : `${what} failed: ${topMessage}`;
    suggestions = ccaasSuggestions(texts) ?? (e.code === GrpcStatus.DEADLINE_EXCEEDED ? deadlineSuggestions(where) : ['run again with --verbose for the full error', `check the peer logs under ${where}/logs`]);
  }
  return new ChaincodeError(
    'GATEWAY_FAILED',
    message,
    {
      ...(e.transactionId ? { transactionId: e.transactionId } : {}),
      ...(e.code !== undefined ? { grpcCode: e.code } : {}),
      ...(chaincode ? { chaincodeStatus: Number(chaincode[1]), chaincodeMessage: chaincode[2] } : {}),
      ...(undefinedChaincode ? { chaincodeNotCommitted: true } : {}),
      endorsers: lines,
      suggestions,
    },
    { cause: err },
  );
}
