import { SignaturePolicy, SignaturePolicyEnvelope } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { ChaincodeCall as ChaincodeCallPb, ChaincodeInterest as ChaincodeInterestPb, ProposalResponse } from '@hyperledger/fabric-protos/lib/peer/proposal_response_pb';
import { type ChaincodeInterest, parseChaincodeInterest } from '../../../../core/protocol/chaincode-interest';
import { ProtocolErrorCode, buildProposal, buildProposalResponse, parseProposalResponse, parseSignedProposal, signProposal } from '../../../../core/protocol';
import { expectProtocolError } from './expect-protocol-error';
import { newTestSigner, utf8 } from './test-signer';

const client = newTestSigner('Org1MSP', 'client');
const peer = newTestSigner('Org1MSP', 'peer0');

function signedBy(index: number): Uint8Array {
  const rule = new SignaturePolicy();
  rule.setSignedBy(index);
  const envelope = new SignaturePolicyEnvelope();
  envelope.setRule(rule);
  return envelope.serializeBinary();
}

const INTEREST: ChaincodeInterest = {
  chaincodes: [
    { name: 'assets', collections: [], noPrivateReads: false, noPublicWrites: false, keyPolicies: [signedBy(0), signedBy(1)], disregardNamespacePolicy: true },
    { name: 'assets', collections: ['Org1MSPPrivate'], noPrivateReads: true, noPublicWrites: false, keyPolicies: [], disregardNamespacePolicy: false },
    { name: 'other', collections: [''], noPrivateReads: false, noPublicWrites: true, keyPolicies: [], disregardNamespacePolicy: false },
  ],
};

const built = buildProposal({ channelId: 'ch', chaincodeName: 'assets', args: [utf8('Put')], creator: client.serialized });
const proposal = parseSignedProposal(signProposal(built.proposalBytes, client));

function respond(interest: ChaincodeInterest | undefined): Uint8Array {
  return buildProposalResponse({ proposal, response: { status: 200 }, results: utf8('rwset'), chaincodeId: { name: 'assets', version: '1' }, endorser: peer, interest });
}

describe("a proposal response's chaincode interest (ProposalResponse.interest)", () => {
  it('encodes every ChaincodeCall field as google-protobuf decodes and re-encodes it', () => {
    const bytes = respond(INTEREST);
    expect(ProposalResponse.deserializeBinary(bytes).serializeBinary()).toEqual(bytes);
    const decoded = ProposalResponse.deserializeBinary(bytes).getInterest() as ChaincodeInterestPb;
    expect(decoded).toBeDefined();
    const calls = decoded.getChaincodesList().map((c) => ({
      name: c.getName(),
      collections: c.getCollectionNamesList(),
      noPrivateReads: c.getNoPrivateReads(),
      noPublicWrites: c.getNoPublicWrites(),
      keyPolicies: c.getKeyPoliciesList().map((p) => p.serializeBinary()),
      disregardNamespacePolicy: c.getDisregardNamespacePolicy(),
    }));
    expect(calls).toEqual(INTEREST.chaincodes);
  });

  it('leaves the signed parts alone: the response without an interest differs only by the field appended', () => {
    const withInterest = ProposalResponse.deserializeBinary(respond(INTEREST));
    const without = ProposalResponse.deserializeBinary(respond(undefined));
    expect(without.hasInterest()).toBe(false);
    expect(withInterest.getPayload_asU8()).toEqual(without.getPayload_asU8());
    expect(withInterest.getEndorsement()?.getEndorser_asU8()).toEqual(without.getEndorsement()?.getEndorser_asU8());
  });

  it('reads back what google-protobuf writes, and what it wrote itself', () => {
    const pb = new ChaincodeInterestPb();
    const call = new ChaincodeCallPb();
    call.setName('assets');
    call.setCollectionNamesList(['a', 'b']);
    call.setNoPrivateReads(true);
    call.setKeyPoliciesList([SignaturePolicyEnvelope.deserializeBinary(signedBy(2))]);
    pb.setChaincodesList([call, new ChaincodeCallPb()]);
    expect(parseChaincodeInterest(pb.serializeBinary())).toEqual({
      chaincodes: [
        { name: 'assets', collections: ['a', 'b'], noPrivateReads: true, noPublicWrites: false, keyPolicies: [signedBy(2)], disregardNamespacePolicy: false },
        { name: '', collections: [], noPrivateReads: false, noPublicWrites: false, keyPolicies: [], disregardNamespacePolicy: false },
      ],
    });
    expect(parseProposalResponse(respond(INTEREST)).interest).toEqual(INTEREST);
    expect(parseProposalResponse(respond(undefined)).interest).toBeUndefined();
  });

  it('refuses a malformed interest with an error naming the field', () => {
    const bytes = respond(undefined);
    // A ChaincodeInterest (field 7) holding a ChaincodeCall whose name claims 9 bytes but has 1.
    const broken = Uint8Array.from([...bytes, 0x3a, 0x05, 0x0a, 0x03, 0x0a, 0x09, 0x61]);
    expectProtocolError(() => parseProposalResponse(broken), ProtocolErrorCode.Malformed, 'proposal_response.interest.chaincodes');
  });
});
