import { ApplicationPolicy } from '@hyperledger/fabric-protos/lib/peer/policy_pb';
import type { Channel } from '../channel/channel';
import { PeerError } from '../peer-error';
import { type CollectionDefinition, type CollectionMembership, signaturePolicyError } from './collections';
import { decodeApplicationPolicy } from '../../protocol/policy-wire';

/**
 * The collection checks of Fabric's `_lifecycle` `validateInput` that need the channel or the
 * committed definition (the membership half of `validateCollectionConfigMemberOrgsPolicy`,
 * `validateCollConfigsAgainstCommittedDef`), with Fabric's messages, and one of Weft's own. The
 * channel config may change after endorsement; like Fabric, these catch mistakes in the
 * definition, they promise nothing about later configs. Each throws `PeerError` (`PEER_LIFECYCLE`).
 */

function collectionError(message: string, details: Record<string, unknown>): PeerError {
  return new PeerError('PEER_LIFECYCLE', message, { field: 'collections', ...details });
}

/**
 * The channel's answer to whether a member orgs policy's principals belong to it, for
 * `parseCollections`: Fabric asks the channel's MSP manager, so orderer orgs count too.
 */
export function channelMembership(channel: Channel): CollectionMembership {
  const resources = channel.resources();
  return {
    hasMsp: (mspId) => resources.msps.getMsp(mspId) !== undefined,
    knowsIdentity: (identity) => {
      try {
        resources.deserializer.deserializeIdentity(identity);
        return true;
      } catch {
        return false;
      }
    },
    mspIds: () => resources.msps.mspIds(),
  };
}

/** {@link checkEndorsementPolicy} of each collection, in package order. */
export function checkCollectionEndorsementPolicies(collections: readonly CollectionDefinition[], channel: Channel): void {
  for (const c of collections) checkEndorsementPolicy(c, channel);
}

/**
 * Not a Fabric check: Fabric stores any collection endorsement policy, and a policy it cannot
 * resolve fails the validation of every write it guards. Here a collection's own policy must be a
 * signature policy that compiles or a reference to a policy the channel defines, so the mistake
 * shows when the definition is approved, not once private writes start failing. Run after every
 * Fabric check, so that any definition Fabric refuses is refused with Fabric's message.
 */
function checkEndorsementPolicy(c: CollectionDefinition, channel: Channel): void {
  if (c.endorsementPolicy === undefined) return;
  // This peer's own encoding of a policy it decoded as protobuf-go: it decodes again.
  const policy = decodeApplicationPolicy(c.endorsementPolicy, 'collection.endorsement_policy');
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
