import { MSPPrincipal, MSPRole } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import type { Identity } from '../../msp/identity';
import type { IdentityDeserializer } from '../../msp/msp';
import type { ParsedSignedProposal } from '../../protocol/proposal';
import type { Channel } from '../channel/channel';
import { PeerError } from '../peer-error';

/**
 * Why a proposal's signed data fails the policy guarding `resource` (Fabric's `aclmgmt`: the channel
 * config's ACL for `qscc/GetChainInfo` etc., else `defaultPolicy`), in Fabric's words without an
 * "access denied" frame, which callers add as their Fabric counterpart does; undefined when it passes.
 * The creator's signature was verified by the endorser, so it is not verified again.
 */
export function channelPolicyDenial(channel: Channel, defaultPolicy: string, proposal: ParsedSignedProposal, resource: string): { reason: string; policy: string } | undefined {
  const resources = channel.resources();
  const policyPath = resources.aclPolicyPath(resource, defaultPolicy);
  const signed = { data: proposal.proposalBytes, identity: proposal.creator, signature: proposal.signature };
  const result = resources.deserializer.withVerified([{ ...signed, valid: true }], () => resources.policy(policyPath).evaluate([signed]));
  if (result.satisfied) return undefined;
  return { reason: `failed evaluating policy on signed data during check policy on channel [${channel.id}] with policy [${policyPath}]: [${result.reason}]`, policy: policyPath };
}

/** {@link channelPolicyDenial} as a check: throws `PEER_ACCESS_DENIED` naming the resource. */
export function checkChannelPolicy(channel: Channel, defaultPolicy: string, proposal: ParsedSignedProposal, resource: string): void {
  const denial = channelPolicyDenial(channel, defaultPolicy, proposal, resource);
  if (denial !== undefined) {
    throw new PeerError('PEER_ACCESS_DENIED', `access denied for [${resource}]: ${denial.reason}`, { channelId: channel.id, policy: denial.policy, resource });
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

/**
 * Fabric's channel-less ("p-type") ACLs: installing and listing chaincode packages, approving for
 * this org, joining and listing channels. The creator is deserialized by the peer's own MSP whatever
 * channel the proposal names (Fabric's `CheckPolicyNoChannel`): a channel's config may define this
 * org's MSP id with another CA, and its admins must not administer this peer. The proposal's
 * signature was verified by the endorser over the same certificate, so it is not verified again.
 */
export class LocalPolicies {
  constructor(
    private readonly msp: IdentityDeserializer,
    readonly mspId: string,
  ) {}

  /** The creator must be an admin of this peer's MSP (Fabric's local `Admins` policy). */
  checkAdmin(proposal: ParsedSignedProposal, resource: string): void {
    this.check(proposal, resource, 'Admins', MSPRole.MSPRoleType.ADMIN);
  }

  /** The creator must be a member of this peer's MSP (Fabric's local `Members` policy). */
  checkMember(proposal: ParsedSignedProposal, resource: string): void {
    this.check(proposal, resource, 'Members', MSPRole.MSPRoleType.MEMBER);
  }

  /**
   * {@link checkAdmin} for a request that did not come through the endorser (Fabric's
   * `CheckACLNoChannel` over `SignedData`, as the snapshot service calls it): the signature over
   * `data` is verified here too.
   */
  checkAdminSigned(signed: { readonly identity: Uint8Array; readonly data: Uint8Array; readonly signature: Uint8Array }, resource: string): void {
    const creator = this.check(signed.identity, resource, 'Admins', MSPRole.MSPRoleType.ADMIN);
    if (!creator.verify(signed.data, signed.signature)) {
      throw new PeerError('PEER_ACCESS_DENIED', `access denied for [${resource}]: the signature over the request does not verify with the creator's certificate`, {
        resource,
        policy: 'Admins',
        mspId: creator.mspId,
      });
    }
  }

  private check(proposal: ParsedSignedProposal | Uint8Array, resource: string, policy: string, role: number): Identity {
    const required = `access denied for [${resource}]: the creator must be ${role === MSPRole.MSPRoleType.ADMIN ? 'an admin' : 'a member'} of ${this.mspId}`;
    let creator: Identity;
    try {
      creator = this.msp.deserializeIdentity(proposal instanceof Uint8Array ? proposal : proposal.creator);
    } catch (err) {
      throw new PeerError('PEER_ACCESS_DENIED', `${required} (the local MSP refused the creator: ${(err as Error).message})`, { resource, policy });
    }
    if (!creator.satisfiesPrincipal(rolePrincipal(this.mspId, role))) {
      let reason = 'not in that role';
      try {
        creator.validate();
      } catch (err) {
        reason = `the local MSP does not validate the creator: ${(err as Error).message}`;
      }
      throw new PeerError('PEER_ACCESS_DENIED', `${required} (${reason})`, { resource, policy, mspId: creator.mspId });
    }
    return creator;
  }
}
