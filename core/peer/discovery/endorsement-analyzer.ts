import { EndorsementDescriptor, Layout } from '@hyperledger/fabric-protos/lib/discovery/protocol_pb';
import type { MSPPrincipal } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import type { ChaincodeCall, ChaincodeInterest } from '@hyperledger/fabric-protos/lib/peer/proposal_response_pb';
import type { Identity } from '../../msp/identity';
import type { Policy, PrincipalSet } from '../../policy';
import type { Channel } from '../channel/channel';
import { type CollectionDefinition, collectionOf, implicitCollectionMspId, lifecycleEndorsementPolicy } from '../lifecycle/collections';
import type { LifecycleCache } from '../lifecycle/lifecycle-cache';
import { LIFECYCLE_NAMESPACE } from '../lifecycle/lifecycle-state';
import { toHex } from '../../protocol/bytes';
import { decodeApplicationPolicy, decodeSignatureEnvelope, encodeSignatureEnvelope } from '../../protocol/policy-wire';
import type { EndorsementPolicies } from '../validation/endorsement-policies';
import { peersMessage } from './discovery-results';
import type { ChannelMember } from './membership';
import { mergePolicies, principalKey } from './principal-merge';

/** What discovery knows of a chaincode on a channel (Fabric's `chaincode.Metadata`). */
interface ChaincodeMetadata {
  readonly name: string;
  /** The definition's sequence, which peers announce as the chaincode's version. */
  readonly version: string;
  readonly policy: Policy;
  /** What Fabric tells the chaincode's policy apart from its collections' by (see {@link policyIdentity}). */
  readonly policyIdentity: string;
  readonly collections: readonly CollectionDefinition[];
}

/** A collection's own endorsement policy, with its {@link policyIdentity}. */
interface CollectionPolicy {
  readonly policy: Policy;
  readonly identity: string;
}

/**
 * Service discovery's endorsement analysis (Fabric's `discovery/endorsement`): for a chaincode
 * interest, the principal combinations that satisfy every policy involved (chaincode, collection
 * and key-level policies, merged), each principal a group `G0`, `G1`, …, and the channel's peers
 * that can endorse for each group: peers satisfying its principal, running the chaincodes at the
 * committed sequence, and members of the collections read. A layout is kept when the groups have
 * enough such peers. Errors carry Fabric's messages.
 */
export class EndorsementAnalyzer {
  constructor(
    private readonly policies: EndorsementPolicies,
    private readonly lifecycle: LifecycleCache,
  ) {}

  /** The endorsement descriptor of `interest`; throws with Fabric's message when there is none. */
  descriptor(channel: Channel, interest: ChaincodeInterest, members: readonly ChannelMember[]): EndorsementDescriptor {
    const calls = interest.getChaincodesList();
    const { authorized, withChaincode, identities } = this.peersByCriteria(channel, calls, members);
    const principalSets = this.principalSets(channel, calls);

    const groups = new Map<string, { name: string; principal: MSPPrincipal }>();
    for (const set of principalSets) {
      for (const p of set) {
        const key = principalKey(p);
        if (!groups.has(key)) groups.set(key, { name: `G${groups.size}`, principal: p });
      }
    }
    const satisfying = new Map<string, ChannelMember[]>();
    for (const { name, principal } of groups.values()) {
      satisfying.set(
        name,
        authorized.filter((m) => satisfies(identities.get(m.pkiId), principal)),
      );
    }
    let layouts = principalSets
      .map((set) => {
        const quantities = new Map<string, number>();
        for (const p of set) {
          const group = (groups.get(principalKey(p)) as { name: string }).name;
          quantities.set(group, (quantities.get(group) ?? 0) + 1);
        }
        return quantities;
      })
      .filter((q) => [...q].every(([group, n]) => (satisfying.get(group)?.length ?? 0) >= n));
    if (layouts.length === 0) throw new Error('no peer combination can satisfy the endorsement policy');

    const used = new Set(layouts.flatMap((q) => [...q.keys()]));
    const endorsers = new Map<string, ChannelMember[]>();
    for (const [group, peers] of satisfying) {
      if (!used.has(group)) continue;
      const running = peers.filter((m) => withChaincode.has(m.pkiId));
      if (running.length > 0) endorsers.set(group, running);
    }
    layouts = layouts.filter((q) => [...q].every(([group, n]) => (endorsers.get(group)?.length ?? 0) >= n));
    if (layouts.length === 0) throw new Error('required chaincodes are not installed on sufficient peers');

    const descriptor = new EndorsementDescriptor();
    descriptor.setChaincode(calls[0]?.getName() ?? '');
    for (const [group, peers] of endorsers) descriptor.getEndorsersByGroupsMap().set(group, peersMessage(peers));
    descriptor.setLayoutsList(
      layouts.map((q) => {
        const layout = new Layout();
        for (const [group, n] of q) layout.getQuantitiesByGroupMap().set(group, n);
        return layout;
      }),
    );
    return descriptor;
  }

  /**
   * The channel members a chaincode call chain may be endorsed by (Fabric's `peersByCriteria`):
   * `authorized`, the members of every collection the calls read, and among the channel's members
   * the PKI-IDs of those running every chaincode at its committed sequence, and the members'
   * identities by PKI-ID. With `requireChaincode`, `authorized` holds only those running them.
   */
  peersByCriteria(
    channel: Channel,
    calls: readonly ChaincodeCall[],
    members: readonly ChannelMember[],
    requireChaincode = false,
  ): { authorized: ChannelMember[]; withChaincode: Set<string>; identities: Map<string, Identity> } {
    const identities = identitiesOf(channel, members);
    if (calls.length === 0) return { authorized: [...members], withChaincode: new Set(members.map((m) => m.pkiId)), identities };
    const metadata: ChaincodeMetadata[] = [];
    const collectionPrincipals: (readonly MSPPrincipal[])[] = [];
    for (const call of calls) {
      const md = this.metadata(channel, call.getName());
      if (md === undefined) throw new Error(`No metadata was found for chaincode ${call.getName()} in channel ${channel.id}`);
      metadata.push(md);
      if (call.getCollectionNamesList().length === 0 || call.getNoPrivateReads()) continue;
      for (const name of call.getCollectionNamesList()) {
        const collection = collectionOf(md, name);
        if (collection === undefined) throw new Error(`collection ${name} doesn't exist in collection config for chaincode ${call.getName()}`);
        collectionPrincipals.push(decodeSignatureEnvelope(collection.memberOrgsPolicy, `collection ${name} member_orgs_policy`).getIdentitiesList());
      }
    }
    const withChaincode = new Set(
      members.filter((m) => metadata.every((md) => m.chaincodes.some((c) => c.name === md.name && c.version === md.version))).map((m) => m.pkiId),
    );
    const authorized = members.filter(
      (m) =>
        (!requireChaincode || withChaincode.has(m.pkiId)) &&
        collectionPrincipals.every((principals) => principals.some((p) => satisfies(identities.get(m.pkiId), p))),
    );
    return { authorized, withChaincode, identities };
  }

  /** Fabric's `computePrincipalSets`: each chaincode's policies (the chaincode's, then its collections'), key-level policies merged as one, all merged. */
  private principalSets(channel: Channel, calls: readonly ChaincodeCall[]): PrincipalSet[] {
    const policySets: (readonly PrincipalSet[])[] = [];
    const setsOf = (policy: Policy): readonly PrincipalSet[] => {
      const sets = policy.principalSets?.();
      if (sets === undefined) throw new Error('policy not found');
      if (sets.length === 0) throw new Error('endorsement policy cannot be satisfied');
      return sets;
    };
    for (const call of calls) {
      let policies = this.policiesOf(channel, call);
      if (call.getDisregardNamespacePolicy()) {
        if (call.getKeyPoliciesList().length === 0 && policies.length === 1) {
          throw new Error(
            `requested to disregard chaincode ${call.getName()}'s policy but key and collection policies are missing, either ` +
              'disable DisregardNamespacePolicy or specify at least one key policy or at least one collection policy',
          );
        }
        policies = policies.slice(1);
      }
      for (const p of policies) policySets.push(setsOf(p));
    }
    const keyPolicies = calls.flatMap((c) => c.getKeyPoliciesList());
    if (keyPolicies.length > 0) {
      const resources = channel.resources();
      // A client's key policy may nest as deep as its request decoded: encoded without recursion.
      policySets.push(mergePolicies(keyPolicies.map((k) => setsOf(this.policies.signaturePolicy(encodeSignatureEnvelope(k), resources)))));
    }
    return mergePolicies(policySets);
  }

  /**
   * Fabric's `PoliciesByChaincode` (discovery/support/chaincode/support.go): the chaincode's policy,
   * or the distinct policies of the collections named, the chaincode's standing in for a collection
   * without one. Distinct as Fabric compares them: by the signature policy each converts to, so an
   * implicit collection's policy equal to the chaincode's own counts once.
   */
  private policiesOf(channel: Channel, call: ChaincodeCall): Policy[] {
    const md = this.metadata(channel, call.getName());
    if (md === undefined) throw new Error('policy not found');
    const names = call.getCollectionNamesList();
    if (names.length === 0) return [md.policy];
    const out = new Map<string, Policy>();
    for (const name of names) {
      const collection = collectionOf(md, name);
      const own = collection === undefined ? undefined : this.collectionPolicy(channel, collection);
      if (own === undefined) {
        if (!out.has(md.policyIdentity)) out.set(md.policyIdentity, md.policy);
      } else if (!out.has(own.identity)) out.set(own.identity, own.policy);
    }
    return [...out.values()];
  }

  /**
   * A collection's own endorsement policy. An implicit collection's is any member of its org, as
   * Fabric's discovery has it (`MetadataProvider.Metadata`, core/chaincode/lifecycle/metadata_provider.go,
   * `SignedByMspMember`), though its validator applies the org's `Endorsement` policy when the
   * channel defines one (`ImplicitCollectionEndorsementPolicyAsBytes`).
   */
  private collectionPolicy(channel: Channel, collection: CollectionDefinition): CollectionPolicy | undefined {
    const resources = channel.resources();
    if (implicitCollectionMspId(collection.name) !== undefined) {
      const policy = this.policies.signaturePolicy(collection.memberOrgsPolicy, resources);
      return { policy, identity: signatureIdentity(collection.memberOrgsPolicy, `collection ${collection.name} policy`) };
    }
    if (collection.endorsementPolicy === undefined) return undefined;
    const policy = this.policies.applicationPolicy(collection.endorsementPolicy, resources);
    return { policy, identity: policyIdentity(collection.endorsementPolicy, `collection ${collection.name} endorsement_policy`) };
  }

  private metadata(channel: Channel, name: string): ChaincodeMetadata | undefined {
    const resources = channel.resources();
    // `_lifecycle`: what validation applies, the channel's LifecycleEndorsement or Fabric's majority default without one.
    const d = name === LIFECYCLE_NAMESPACE ? { sequence: 1, validationParameter: lifecycleEndorsementPolicy(resources), collections: [] } : this.lifecycle.definition(channel.ledger, name);
    if (d === undefined) return undefined;
    try {
      const policy = this.policies.applicationPolicy(d.validationParameter, resources);
      return { name, version: String(d.sequence), policy, policyIdentity: policyIdentity(d.validationParameter, `chaincode ${name} validation_parameter`), collections: d.collections };
    } catch {
      return undefined;
    }
  }
}

/**
 * What Fabric's `PoliciesByChaincode` tells an `ApplicationPolicy` apart by: the marshaled
 * `SignaturePolicyEnvelope` its metadata provider converts it to. A signature policy is compared
 * by its canonical encoding; a channel policy reference by its path (Fabric compares what the
 * referenced policy converts to, which tells apart every two paths but those converting alike).
 */
function policyIdentity(applicationPolicy: Uint8Array, path: string): string {
  const policy = decodeApplicationPolicy(applicationPolicy, path);
  const envelope = policy.getSignaturePolicy();
  return envelope === undefined ? `ref:${policy.getChannelConfigPolicyReference()}` : `sp:${toHex(encodeSignatureEnvelope(envelope))}`;
}

function signatureIdentity(envelope: Uint8Array, path: string): string {
  return `sp:${toHex(encodeSignatureEnvelope(decodeSignatureEnvelope(envelope, path)))}`;
}

/** Each member's identity as the channel's MSPs deserialize it (absent when they cannot). */
function identitiesOf(channel: Channel, members: readonly ChannelMember[]): Map<string, Identity> {
  const out = new Map<string, Identity>();
  const { deserializer } = channel.resources();
  for (const m of members) {
    try {
      out.set(m.pkiId, deserializer.deserializeIdentity(m.identity));
    } catch {
      // A member the channel no longer recognises satisfies no principal.
    }
  }
  return out;
}

function satisfies(identity: Identity | undefined, principal: MSPPrincipal): boolean {
  if (identity === undefined) return false;
  try {
    return identity.satisfiesPrincipal(principal);
  } catch {
    return false;
  }
}

