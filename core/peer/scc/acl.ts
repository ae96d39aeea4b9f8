import { MSPPrincipal, MSPRole } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import type { Identity } from '../../msp/identity';
import type { ParsedSignedProposal } from '../../protocol/proposal';
import type { Channel } from '../channel/channel';
import { PeerError } from '../peer-error';

/**
 * Checks a proposal's signed data against the policy guarding `resource` (Fabric's `aclmgmt`: the
 * channel config's ACL for `qscc/GetChainInfo` etc., else `defaultPolicy`). The creator's signature was
 * verified by the endorser, so it is not verified again. Throws `PEER_ACCESS_DENIED`.
 */
export function checkChannelPolicy(channel: Channel, defaultPolicy: string, proposal: ParsedSignedProposal, resource: string): void {
  const resources = channel.resources();
  const policyPath = resources.aclPolicyPath(resource, defaultPolicy);
  const signed = { data: proposal.proposalBytes, identity: proposal.creator, signature: proposal.signature };
  const result = resources.deserializer.withVerified([{ ...signed, valid: true }], () => resources.policy(policyPath).evaluate([signed]));
  if (!result.satisfied) {
    throw new PeerError(
      'PEER_ACCESS_DENIED',
      `access denied for [${resource}]: failed evaluating policy on signed data during check policy on channel [${channel.id}] with policy [${policyPath}]: [${result.reason}]`,
      { channelId: channel.id, policy: policyPath, resource },
    );
  }
}

function rolePrincipal(mspId: string, role: number): MSPPrincipal {
  const r = new MSPRole();
  r.setMspIdentifier(mspId);
  r.setRole(role as MSPRole.MSPRoleTypeMap[keyof MSPRole.MSPRoleTypeMap]);
  const p = new MSPPrincipal();
  p.setPrincipalClassification(MSPPrincipal.Classification.ROLE);
  p.setPrincipal(r.serializeBinary());
  return p;
}

/** The creator must be an admin of this peer's own MSP (Fabric's local `Admins` policy). */
export function checkLocalAdmin(creator: Identity, localMspId: string, resource: string): void {
  if (creator.mspId !== localMspId || !creator.satisfiesPrincipal(rolePrincipal(localMspId, MSPRole.MSPRoleType.ADMIN))) {
    throw new PeerError('PEER_ACCESS_DENIED', `access denied for [${resource}]: the creator must be an admin of ${localMspId} (creator is of ${creator.mspId})`, {
      resource,
      mspId: creator.mspId,
    });
  }
}

/** The creator must be a member of this peer's own MSP (Fabric's local `Members` policy). */
export function checkLocalMember(creator: Identity, localMspId: string, resource: string): void {
  if (creator.mspId !== localMspId) {
    throw new PeerError('PEER_ACCESS_DENIED', `access denied for [${resource}]: the creator must be a member of ${localMspId} (creator is of ${creator.mspId})`, {
      resource,
      mspId: creator.mspId,
    });
  }
}
