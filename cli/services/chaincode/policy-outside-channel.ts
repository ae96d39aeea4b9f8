import type { MSPPrincipal } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import { describeCollections, principalMspId } from '../../../core/peer/lifecycle/collections';
import { parsePolicyExpression } from '../../../core/policy/policy-expression';
import { decodeApplicationPolicy } from '../../../core/protocol/policy-wire';
import type { NetworkLayout } from '../network/network-layout';
import type { ChaincodeDefinition } from './lifecycle';

/** The MSP ids `identities` name that are not among `members`, each once, in the policy's order. */
function outside(identities: readonly MSPPrincipal[], members: readonly string[]): string[] {
  return [...new Set(identities.flatMap((p) => principalMspId(p) ?? []))].filter((msp) => !members.includes(msp));
}

/**
 * Warnings for a definition whose endorsement policies (`--policy`, and each collection's
 * `endorsementPolicy`) name an MSP that is not a member of the layout's channel. Fabric commits such
 * a definition, and then no peer of that MSP can endorse: a policy that needs it fails every
 * invoke with ENDORSEMENT_POLICY_FAILURE. A collection's member `policy` needs no warning: the
 * peer refuses an approval whose members are not in the channel. A `/Channel/...` reference names
 * no MSP. The policy is parsed here, so a caller checks its syntax first.
 */
export function policyOutsideChannelWarnings(layout: NetworkLayout, def: Pick<ChaincodeDefinition, 'policy' | 'collections'>): string[] {
  const channel = layout.spec.channel.name;
  const members = layout.spec.orgs.map((o) => o.mspId);
  const named = (msps: readonly string[], where: string): string =>
    `${where} names ${msps.join(', ')}, ${msps.length === 1 ? 'which is not a member' : 'which are not members'} of channel ${channel} (its members: ${members.join(', ')}): ` +
    `no peer of ${msps.length === 1 ? 'it' : 'them'} can endorse, so unless the policy is met without ${msps.length === 1 ? 'it' : 'them'}, every invoke will fail ENDORSEMENT_POLICY_FAILURE`;
  const warnings: string[] = [];
  if (def.policy !== undefined && !def.policy.startsWith('/Channel/')) {
    const msps = outside(parsePolicyExpression(def.policy).getIdentitiesList(), members);
    if (msps.length > 0) warnings.push(named(msps, `the endorsement policy ${def.policy}`));
  }
  for (const c of describeCollections(def.collections)) {
    if (c.endorsementPolicy === undefined) continue;
    const envelope = decodeApplicationPolicy(c.endorsementPolicy, `collection ${c.name} endorsementPolicy`).getSignaturePolicy();
    const msps = envelope === undefined ? [] : outside(envelope.getIdentitiesList(), members);
    if (msps.length > 0) warnings.push(named(msps, `collection ${c.name}'s endorsementPolicy`));
  }
  return warnings;
}
