import { ProposalResponse } from '@hyperledger/fabric-protos/lib/peer/proposal_response_pb';
import {
  ProtocolErrorCode,
  buildErrorProposalResponse,
  buildProposal,
  buildProposalResponse,
  concatBytes,
  endorsementSignedData,
  parseProposalResponse,
  parseSignedProposal,
  signProposal,
} from '../../../../core/protocol';
import { expectProtocolError } from './expect-protocol-error';
import { newTestSigner, utf8 } from './test-signer';

const client = newTestSigner('Org1MSP', 'client');
const peer = newTestSigner('Org1MSP', 'peer0');

function proposal() {
  const built = buildProposal({ channelId: 'ch', chaincodeName: 'cc', args: [utf8('put'), utf8('k')], creator: client.serialized });
  return parseSignedProposal(signProposal(built.proposalBytes, client));
}

describe('proposal responses', () => {
  it('build → parse round trips and the endorsement signs payload ‖ endorser', () => {
    const p = proposal();
    const bytes = buildProposalResponse({
      proposal: p,
      response: { status: 200, message: 'OK', payload: utf8('result') },
      results: utf8('rwset-bytes'),
      events: utf8('event-bytes'),
      chaincodeId: { name: 'cc', version: '1.0' },
      endorser: peer,
    });
    const r = parseProposalResponse(bytes);
    expect(r.version).toBe(1);
    expect(r.response).toEqual({ status: 200, message: 'OK', payload: utf8('result') });
    expect(r.payload?.proposalHash).toEqual(p.proposalHash);
    expect(r.payload?.action.results).toEqual(utf8('rwset-bytes'));
    expect(r.payload?.action.events).toEqual(utf8('event-bytes'));
    expect(r.payload?.action.response.payload).toEqual(utf8('result'));
    expect(r.payload?.action.chaincodeId).toEqual({ name: 'cc', version: '1.0', path: '' });
    expect(r.endorsement?.endorser).toEqual(peer.serialized);
    const endorsement = r.endorsement as NonNullable<typeof r.endorsement>;
    const signed = endorsementSignedData(r.payloadBytes, endorsement);
    expect(signed.data).toEqual(concatBytes(r.payloadBytes, peer.serialized));
    expect(signed.identity).toEqual(peer.serialized);
    expect(peer.verify(signed.data, signed.signature)).toBe(true);
  });

  it('refuses to endorse an error status and builds an unendorsed error response', () => {
    const p = proposal();
    expectProtocolError(
      () =>
        buildProposalResponse({
          proposal: p,
          response: { status: 500, message: 'boom' },
          results: new Uint8Array(0),
          chaincodeId: { name: 'cc', version: '1' },
          endorser: peer,
        }),
      ProtocolErrorCode.BadInput,
      'status',
    );
    const r = parseProposalResponse(buildErrorProposalResponse(500, 'chaincode failed'));
    expect(r.response.status).toBe(500);
    expect(r.response.message).toBe('chaincode failed');
    expect(r.endorsement).toBeUndefined();
    expect(r.payload).toBeUndefined();
  });

  it('rejects an endorsement without payload, truncated and oversized input', () => {
    const good = buildProposalResponse({
      proposal: proposal(),
      response: { status: 200 },
      results: utf8('x'),
      chaincodeId: { name: 'cc', version: '1' },
      endorser: peer,
    });
    const pr = ProposalResponse.deserializeBinary(good);
    pr.setPayload(new Uint8Array(0));
    expectProtocolError(() => parseProposalResponse(pr.serializeBinary()), ProtocolErrorCode.MissingField, 'proposal_response.payload');
    expectProtocolError(() => parseProposalResponse(good.subarray(0, good.length - 4)), ProtocolErrorCode.Malformed, 'proposal_response');
    expectProtocolError(() => parseProposalResponse(good, { maxBytes: 16 }), ProtocolErrorCode.TooLarge, 'proposal_response');
    const noSig = ProposalResponse.deserializeBinary(good);
    noSig.getEndorsement()?.setSignature(new Uint8Array(0));
    expectProtocolError(
      () => parseProposalResponse(noSig.serializeBinary()),
      ProtocolErrorCode.MissingField,
      'proposal_response.endorsement.signature',
    );
  });
});
