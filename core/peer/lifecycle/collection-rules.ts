import { SignaturePolicyEnvelope } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { MSPPrincipal } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import { ApplicationPolicy } from '@hyperledger/fabric-protos/lib/peer/policy_pb';
import type { Channel } from '../channel/channel';
import { PeerError } from '../peer-error';
import { type CollectionDefinition, principalMspId, signaturePolicyError } from './collections';

/**
 * The collection checks of Fabric's `_lifecycle` `validateInput` that need the channel or the
 * committed definition (`validateCollectionConfigMemberOrgsPolicy`,
 * `validateCollConfigsAgainstCommittedDef`), with Fabric's messages. The channel config may change
 * after endorsement; like Fabric, these catch mistakes in the definition, they promise nothing
 * about later configs. Each throws `PeerError` (`PEER_LIFECYCLE`).
 */

function collectionError(message: string, details: Record<string, unknown>): PeerError {
  return new PeerError('PEER_LIFECYCLE', message, { field: 'collections', ...details });
}

/**
 * Every org a member orgs policy names must be an MSP of the channel (Fabric asks the channel's
 * MSP manager, so orderer orgs count too), every identity must deserialize there, and an own
 * endorsement policy must be usable on this channel.
 */
export function checkCollectionsOnChannel(collections: readonly CollectionDefinition[], channel: Channel): void {
  const resources = channel.resources();
  for (const c of collections) {
    for (const principal of SignaturePolicyEnvelope.deserializeBinary(c.memberOrgsPolicy).getIdentitiesList()) {
      if (principal.getPrincipalClassification() === MSPPrincipal.Classification.IDENTITY) {
        try {
          resources.deserializer.deserializeIdentity(principal.getPrincipal_asU8());
        } catch {
          throw collectionError(`collection-name: ${c.name} -- contains an identity that is not part of the channel`, { collection: c.name });
        }
        continue;
      }
      const mspId = principalMspId(principal);
      if (mspId !== undefined && resources.msps.getMsp(mspId) === undefined) {
        throw collectionError(`collection-name: ${c.name} -- collection member '${mspId}' is not part of the channel`, {
          collection: c.name,
          mspId,
          channelMsps: resources.msps.mspIds(),
        });
      }
    }
    checkEndorsementPolicy(c, channel);
  }
}

/**
 * Not a Fabric check: Fabric stores any collection endorsement policy, and a policy it cannot
 * resolve fails the validation of every write it guards. Here a collection's own policy must be a
 * signature policy that compiles or a reference to a policy the channel defines, so the mistake
 * shows when the definition is approved, not once private writes start failing.
 */
function checkEndorsementPolicy(c: CollectionDefinition, channel: Channel): void {
  if (c.endorsementPolicy === undefined) return;
  const policy = ApplicationPolicy.deserializeBinary(c.endorsementPolicy);
  const envelope = policy.getSignaturePolicy();
  const reference = policy.getChannelConfigPolicyReference();
  if (policy.getTypeCase() === ApplicationPolicy.TypeCase.SIGNATURE_POLICY && envelope !== undefined) {
    const invalid = signaturePolicyError(envelope);
    if (invalid !== undefined) throw collectionError(`collection-name: ${c.name} -- invalid endorsement policy: ${invalid}`, { collection: c.name });
    return;
  }
  if (policy.getTypeCase() !== ApplicationPolicy.TypeCase.CHANNEL_CONFIG_POLICY_REFERENCE || reference === '') {
    throw collectionError(
      `collection-name: ${c.name} -- endorsement policy is empty: set a signature policy or a channel config policy reference, or leave it unset to use the chaincode's`,
      { collection: c.name },
    );
  }
  if (channel.resources().policies.getPolicy(reference) === undefined) {
    throw collectionError(`collection-name: ${c.name} -- endorsement policy '${reference}' is not defined for channel '${channel.id}'`, {
      collection: c.name,
      policy: reference,
      channelId: channel.id,
    });
  }
}

/**
 * Fabric's `validateCollConfigsAgainstCommittedDef`: a new definition keeps every committed
 * collection, each with its block-to-live (peers purge by it; changing it would purge differently
 * on peers that saw the change at different heights). New collections may be added.
 */
export function checkCollectionsAgainstCommitted(proposed: readonly CollectionDefinition[], committed: readonly CollectionDefinition[]): void {
  if (committed.length === 0) return;
  if (proposed.length === 0) {
    throw collectionError('the proposed collection config does not contain previously defined collections', { committed: committed.map((c) => c.name) });
  }
  const byName = new Map(proposed.map((c) => [c.name, c]));
  for (const old of committed) {
    const next = byName.get(old.name);
    if (next === undefined) throw collectionError(`existing collection [${old.name}] missing in the proposed collection configuration`, { collection: old.name });
    if (next.blockToLive !== old.blockToLive) {
      throw collectionError(`the BlockToLive in an existing collection [${old.name}] modified. Existing value [${old.blockToLive}]`, {
        collection: old.name,
        blockToLive: old.blockToLive,
        proposed: next.blockToLive,
      });
    }
  }
}
