import { QueryApprovedChaincodeDefinitionArgs, type QueryApprovedChaincodeDefinitionResult } from '@hyperledger/fabric-protos/lib/peer/lifecycle/lifecycle_pb';
import { ChaincodeError } from '../../../core/errors';
import { loadClientIdentity } from '../client/client-identity';
import { withPeerClient } from '../client/peer-client';
import type { NetworkLayout } from '../network/network-layout';
import type { PeerOrgSpec } from '../network/network-spec';
import { decodeApprovedDefinition } from './lifecycle-results';

/**
 * What `org` approved for chaincode `name` at `sequence` (`_lifecycle QueryApprovedChaincodeDefinition`
 * on the org's first peer, as its Admin: an org's approvals are in its own implicit collection, which
 * only its peers hold), with the package ID it approved; undefined when it approved nothing there.
 * Kept apart from `lifecycle.ts`, which it would otherwise import for the Admin, so that
 * `hasApproved` there can be built on it without an import cycle.
 */
export function approvedDefinition(layout: NetworkLayout, org: PeerOrgSpec, name: string, sequence: number): Promise<QueryApprovedChaincodeDefinitionResult | undefined> {
  const args = new QueryApprovedChaincodeDefinitionArgs();
  args.setName(name);
  args.setSequence(sequence);
  const peer = layout.peersOf(org)[0]!;
  const admin = loadClientIdentity(layout.user(org, 'Admin'));
  return withPeerClient(layout.spec, peer, admin, async (c) => {
    const r = await c.propose(admin.signer, layout.spec.channel.name, '_lifecycle', ['QueryApprovedChaincodeDefinition', args.serializeBinary()]);
    if (r.response.status >= 400) {
      if (/could not fetch approved chaincode definition/.test(r.response.message)) return undefined;
      throw new ChaincodeError('LIFECYCLE_QUERY_FAILED', `QueryApprovedChaincodeDefinition ${name} sequence ${sequence} on ${peer.id}: ${r.response.message}`, { peer: peer.id });
    }
    return decodeApprovedDefinition(r.response.payload);
  });
}

/** The package ID `org` approved for `name` at `sequence` ('' for an approval without a package); undefined when it approved nothing there. */
export async function approvedPackageId(layout: NetworkLayout, org: PeerOrgSpec, name: string, sequence: number): Promise<string | undefined> {
  const approved = await approvedDefinition(layout, org, name, sequence);
  return approved === undefined ? undefined : (approved.getSource()?.getLocalPackage()?.getPackageId() ?? '');
}
