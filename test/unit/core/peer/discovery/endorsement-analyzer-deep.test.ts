/**
 * A key policy a client sends in a discovery query may nest as deep as its request decoded: the
 * analyzer hands it on encoded byte for byte, without recursing as deep as it nests (a stack
 * overflow would answer the query by how much stack was left).
 */
import { SignaturePolicyEnvelope } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { ChaincodeCall, ChaincodeInterest } from '@hyperledger/fabric-protos/lib/peer/proposal_response_pb';
import type { Channel } from '../../../../../core/peer/channel/channel';
import { EndorsementAnalyzer } from '../../../../../core/peer/discovery/endorsement-analyzer';
import type { LifecycleCache } from '../../../../../core/peer/lifecycle/lifecycle-cache';
import type { ChaincodeDefinition } from '../../../../../core/peer/lifecycle/lifecycle-state';
import { decodeSignatureEnvelopeInto } from '../../../../../core/protocol/policy-wire';
import type { EndorsementPolicies } from '../../../../../core/peer/validation/endorsement-policies';
import type { Policy } from '../../../../../core/policy';
import { rolePrincipal } from '../../../../../core/policy';
import { deepRule, envelopeBytes } from '../../../../support/deep-policy-bytes';

describe('EndorsementAnalyzer with deep key policies', () => {
  it('passes a 4990-gate key policy to the policy provider as its exact bytes', () => {
    const keyPolicy = envelopeBytes(deepRule(4990));
    const seen: Uint8Array[] = [];
    const policy: Policy = { evaluate: () => ({ satisfied: true }), principalSets: () => [[rolePrincipal('Org1MSP', 'member')]] } as unknown as Policy;
    const policies = {
      signaturePolicy: (bytes: Uint8Array) => {
        seen.push(bytes);
        return policy;
      },
      applicationPolicy: () => policy,
    } as unknown as EndorsementPolicies;
    const definition = { name: 'cc', sequence: 1, validationParameter: new Uint8Array(0), collections: [] } as unknown as ChaincodeDefinition;
    const lifecycle = { definition: () => definition } as unknown as LifecycleCache;
    const channel = { id: 'ch1', ledger: {}, resources: () => ({ deserializer: { deserializeIdentity: () => ({}) } }) } as unknown as Channel;

    // Built top down, as a decoder that keeps to Go's depth would build it: a google-protobuf
    // setter walks (recursively) the whole subtree it is handed.
    const interest = new ChaincodeInterest();
    const call = new ChaincodeCall();
    interest.addChaincodes(call);
    call.setName('cc');
    const envelope = new SignaturePolicyEnvelope();
    call.addKeyPolicies(envelope);
    decodeSignatureEnvelopeInto(keyPolicy, envelope, 1, 'key policy');

    // No channel members: the analysis gets past the policies and finds no peers.
    expect(() => new EndorsementAnalyzer(policies, lifecycle).descriptor(channel, interest, [])).toThrow('no peer combination can satisfy the endorsement policy');
    expect(seen).toEqual([keyPolicy]);
  });
});
