import type { DeployResult } from './deploy';
import { shellWord } from '../../../core/node/shell-word';

/** The flags of a `weft chaincode deploy` run that its suggested next commands must repeat. */
export interface DeployFlagsGiven {
  readonly channel?: string;
  readonly policy?: string;
  readonly initRequired: boolean;
  readonly collectionsConfig?: string;
}

/**
 * What `weft chaincode deploy` prints after its summary line: the command to try next once the
 * definition is committed, or the deploy the missing orgs run on their hosts. A command copied
 * from here must act on the same channel (without `--channel` it would reach the default one,
 * where the chaincode may not be defined) and, for the other orgs, approve the very same
 * definition (an approval of another policy or collections config does not count).
 */
export function deployNextSteps(dir: string, result: DeployResult, given: DeployFlagsGiven): string[] {
  const channel = given.channel === undefined ? '' : ` --channel ${given.channel}`;
  if (result.committed) {
    // Until its Init ran, a chaincode deployed with --init-required answers every other call with an error.
    return given.initRequired
      ? [`try: weft chaincode invoke ${shellWord(dir)}${channel} --name ${result.name} --is-init <function> [args...]`]
      : [`try: weft chaincode query ${shellWord(dir)}${channel} --name ${result.name} <function> [args...]`];
  }
  const same = [
    ...(given.policy === undefined ? [] : [`--policy ${policyWord(given.policy)}`]),
    ...(given.initRequired ? ['--init-required'] : []),
    ...(given.collectionsConfig === undefined ? [] : ['--collections-config <same file>']),
  ];
  return [
    `next, on ${result.waitingFor.length === 1 ? 'its host' : 'their hosts'}: weft chaincode deploy <dir> <same source>${channel} --name ${result.name} --version ${result.version} --sequence ${result.sequence}${same.map((f) => ` ${f}`).join('')}`,
  ];
}

/**
 * A policy as one shell word: double-quoted as Fabric's docs write it (`"OR('Org1MSP.member')"`,
 * whose single quotes need no escaping there), unless it holds a character a shell expands or
 * ends inside double quotes.
 */
function policyWord(policy: string): string {
  return /["$`\\!]/.test(policy) ? shellWord(policy) : `"${policy}"`;
}
