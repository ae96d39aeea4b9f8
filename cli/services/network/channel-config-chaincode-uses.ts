import { QueryChaincodeDefinitionsArgs } from '@hyperledger/fabric-protos/lib/peer/lifecycle/lifecycle_pb';
import { decodeApplicationPolicy } from '../../../core/protocol/policy-wire';
import { decodeCommittedDefinitions } from '../chaincode/lifecycle-results';
import { loadClientIdentity } from '../client/client-identity';
import { withPeerClient } from '../client/peer-client';
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
  const channel = layout.spec.channel.name;
  const peer = readingPeer(layout);
  const org = orgsWithKeysHere(layout).find((o) => o.mspId === peer.mspId) ?? orgsWithKeysHere(layout)[0]!;
  const admin = loadClientIdentity(layout.user(org, 'Admin'));
  const payload = await withPeerClient(layout.spec, peer, admin, (c) =>
    c.call(admin.signer, channel, '_lifecycle', ['QueryChaincodeDefinitions', new QueryChaincodeDefinitionsArgs().serializeBinary()]),
  );
  return policyUsesIn(payload);
}

/** The channel policy references in a QueryChaincodeDefinitionsResult (`_lifecycle`'s answer, as bytes). */
export function policyUsesIn(payload: Uint8Array): ChaincodePolicyUse[] {
  const uses: ChaincodePolicyUse[] = [];
  decodeCommittedDefinitions(payload)
    .getChaincodeDefinitionsList()
    .forEach((d, i) => {
      const own = decodeApplicationPolicy(d.getValidationParameter_asU8(), `query_chaincode_definitions_result.chaincode_definitions[${i}].validation_parameter`).getChannelConfigPolicyReference();
      if (own !== '') uses.push({ chaincode: d.getName(), use: 'endorsement', policy: own });
      for (const c of d.getCollections()?.getConfigList() ?? []) {
        const collection = c.getStaticCollectionConfig();
        const ref = collection?.getEndorsementPolicy()?.getChannelConfigPolicyReference() ?? '';
        if (ref !== '') uses.push({ chaincode: d.getName(), use: `collection ${collection!.getName()} endorsement`, policy: ref });
      }
    });
  return uses;
}
