import { ChaincodeError } from '../../../core/errors';
import { nearNames } from '../near-names';
import type { NetworkLayout, UserLayout } from '../network/network-layout';
import { queryCommitted } from './lifecycle';

/**
 * Runs an invoke or query and, when the Gateway answers that the channel has not defined the
 * chaincode (`chaincodeNotCommitted`, from {@link gatewayFailure}), names the chaincodes the channel
 * has: a name one typo away from one of them is offered first (`did you mean --name assets?`).
 * Listing them is `_lifecycle`'s QueryChaincodeDefinitions as the caller's org Admin; where that
 * Admin's key is not here (`KEY_NOT_HERE`), or the listing fails otherwise, the refusal stays as it was.
 */
export async function namingCommittedChaincodes<T>(layout: NetworkLayout, user: UserLayout, chaincode: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (!(err instanceof ChaincodeError) || err.details.chaincodeNotCommitted !== true) throw err;
    const committed = await committedNames(layout, user);
    if (committed === undefined) throw err;
    const near = nearNames(chaincode, committed);
    const channel = layout.spec.channel.name;
    const listed = `committed on ${channel}: ${committed.length > 0 ? committed.join(', ') : 'none'}`;
    const earlier = Array.isArray(err.details.suggestions) ? (err.details.suggestions as string[]) : [];
    throw new ChaincodeError(err.code, `${err.message}\n  ${listed}`, {
      ...err.details,
      committed,
      suggestions: [...(near.length > 0 ? [`did you mean ${near.map((n) => `--name ${n}`).join(' or ')}?`] : []), ...earlier],
    }, { cause: err.cause });
  }
}

async function committedNames(layout: NetworkLayout, user: UserLayout): Promise<string[] | undefined> {
  const org = layout.spec.orgs.find((o) => o.mspId === user.mspId);
  if (org === undefined) return undefined;
  try {
    return (await queryCommitted(layout, org, undefined)).map((d) => d.name);
  } catch {
    return undefined;
  }
}
