import type { SignedData } from '../../policy/policy';
import type { ChannelResources } from '../channel/channel-resources';
import type { CollectionDefinition } from '../lifecycle/collections';
import type { EndorsementPolicies } from '../validation/endorsement-policies';

/**
 * Whether the signer of `signed` satisfies the collection's member orgs policy (Fabric's
 * `AccessFilter`), roles included: a collection of `OR('Org1MSP.peer')` admits Org1's peers, not
 * its clients. The signature was verified by the caller (the endorser, Deliver's access check), so
 * it is not verified again. Without policies, membership falls back to the signer's MSP id.
 */
export function signerIsMember(
  policies: Pick<EndorsementPolicies, 'signaturePolicy'> | undefined,
  resources: ChannelResources,
  collection: CollectionDefinition,
  signed: SignedData,
  signerMspId: string,
): boolean {
  if (policies === undefined || collection.memberOrgsPolicy.length === 0) return collection.memberMspIds.includes(signerMspId);
  const policy = policies.signaturePolicy(collection.memberOrgsPolicy, resources);
  return resources.deserializer.withVerified([{ ...signed, valid: true }], () => policy.evaluate([signed])).satisfied;
}
