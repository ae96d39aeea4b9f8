/** Builders of Fabric collection config packages for the `_lifecycle` tests, as `peer lifecycle` CLI JSON would give them. */
import type { SignaturePolicyEnvelope } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { CollectionConfig, CollectionConfigPackage, CollectionPolicyConfig, StaticCollectionConfig } from '@hyperledger/fabric-protos/lib/peer/collection_pb';
import { ApplicationPolicy } from '@hyperledger/fabric-protos/lib/peer/policy_pb';
import { parsePolicyExpression } from '../../core/policy/policy-expression';

export interface CollectionSpec {
  readonly name: string;
  /** A policy expression, an envelope, or `null` for a collection without a member orgs policy. Default: both test orgs. */
  readonly policy?: string | SignaturePolicyEnvelope | null;
  readonly requiredPeerCount?: number;
  readonly maximumPeerCount?: number;
  readonly blockToLive?: number;
  readonly memberOnlyRead?: boolean;
  readonly memberOnlyWrite?: boolean;
  /** The collection's own endorsement policy: an expression, or a channel policy reference starting with '/'. */
  readonly endorsement?: string;
}

export const BOTH_ORGS = "OR('Org1MSP.member', 'Org2MSP.member')";

export function staticCollection(spec: CollectionSpec): StaticCollectionConfig {
  const c = new StaticCollectionConfig();
  c.setName(spec.name);
  const policy = spec.policy === undefined ? BOTH_ORGS : spec.policy;
  if (policy !== null) {
    const member = new CollectionPolicyConfig();
    member.setSignaturePolicy(typeof policy === 'string' ? parsePolicyExpression(policy) : policy);
    c.setMemberOrgsPolicy(member);
  }
  c.setRequiredPeerCount(spec.requiredPeerCount ?? 0);
  c.setMaximumPeerCount(spec.maximumPeerCount ?? 1);
  c.setBlockToLive(spec.blockToLive ?? 0);
  c.setMemberOnlyRead(spec.memberOnlyRead ?? true);
  c.setMemberOnlyWrite(spec.memberOnlyWrite ?? false);
  if (spec.endorsement !== undefined) {
    const ep = new ApplicationPolicy();
    if (spec.endorsement.startsWith('/')) ep.setChannelConfigPolicyReference(spec.endorsement);
    else ep.setSignaturePolicy(parsePolicyExpression(spec.endorsement));
    c.setEndorsementPolicy(ep);
  }
  return c;
}

/** A package of `StaticCollectionConfig`s, in the order given. */
export function collectionPackage(...specs: readonly (CollectionSpec | StaticCollectionConfig)[]): CollectionConfigPackage {
  const pkg = new CollectionConfigPackage();
  pkg.setConfigList(
    specs.map((s) => {
      const config = new CollectionConfig();
      config.setStaticCollectionConfig(s instanceof StaticCollectionConfig ? s : staticCollection(s));
      return config;
    }),
  );
  return pkg;
}
