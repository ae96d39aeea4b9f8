import { type CommittedDefinition, committedDefinitionsOf, type EndorsementPolicyRef, queryCommitted } from '../chaincode/lifecycle';
import type { ChaincodePolicyUse } from './channel-config-flags';
import { readingPeer } from './network-access';
import type { NetworkLayout } from './network-layout';
import { orgsWithKeysHere } from './org-keys';

/**
 * The channel policies the chaincode definitions committed on the channel name (`_lifecycle`
 * QueryChaincodeDefinitions on this directory's reading peer, as its org's Admin): a definition's
 * validation parameter and its collections' endorsement policies, when they are a
 * channel_config_policy_reference (Fabric's `--channel-config-policy`) rather than a signature policy.
 */
export async function chaincodePolicyUses(layout: NetworkLayout): Promise<ChaincodePolicyUse[]> {
  const peer = readingPeer(layout);
  const org = orgsWithKeysHere(layout).find((o) => o.mspId === peer.mspId) ?? orgsWithKeysHere(layout)[0]!;
  return policyUses(await queryCommitted(layout, org, undefined, peer));
}

/** The channel policy references in a QueryChaincodeDefinitionsResult (`_lifecycle`'s answer, as bytes). */
export function policyUsesIn(payload: Uint8Array): ChaincodePolicyUse[] {
  return policyUses(committedDefinitionsOf(payload));
}

function policyUses(definitions: readonly CommittedDefinition[]): ChaincodePolicyUse[] {
  const uses: ChaincodePolicyUse[] = [];
  const add = (chaincode: string, use: string, ref: EndorsementPolicyRef | undefined): void => {
    if (ref !== undefined && 'channelConfigPolicy' in ref && ref.channelConfigPolicy !== '') uses.push({ chaincode, use, policy: ref.channelConfigPolicy });
  };
  for (const d of definitions) {
    add(d.name, 'endorsement', d.endorsementPolicy);
    for (const c of d.collections) add(d.name, `collection ${c.name} endorsement`, c.endorsementPolicy);
  }
  return uses;
}
