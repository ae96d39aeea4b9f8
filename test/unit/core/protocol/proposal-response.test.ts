import { ChaincodeID } from '@hyperledger/fabric-protos/lib/peer/chaincode_pb';
import { ChaincodeAction } from '@hyperledger/fabric-protos/lib/peer/proposal_pb';
import { Endorsement, ProposalResponse, ProposalResponsePayload, Response } from '@hyperledger/fabric-protos/lib/peer/proposal_response_pb';
import {
  ProtocolErrorCode,
  buildChaincodeErrorResponse,
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

/** The response as google-protobuf encodes it, for byte comparison with the hand encoder. */
function referenceResponse(hash: Uint8Array, r: { status: number; message: string; payload?: Uint8Array }, results: Uint8Array, events: Uint8Array | undefined, id: { name: string; version: string; path?: string }, endorser: Uint8Array, signature: Uint8Array): Uint8Array {
  const response = new Response();
  response.setStatus(r.status);
  response.setMessage(r.message);
  if (r.payload !== undefined) response.setPayload(r.payload);
  const ccid = new ChaincodeID();
  ccid.setName(id.name);
  ccid.setVersion(id.version);
  if (id.path !== undefined) ccid.setPath(id.path);
  const action = new ChaincodeAction();
  action.setResults(results);
  if (events !== undefined) action.setEvents(events);
  action.setResponse(response);
  action.setChaincodeId(ccid);
  const prp = new ProposalResponsePayload();
  prp.setProposalHash(hash);
  prp.setExtension$(action.serializeBinary());
  const e = new Endorsement();
  e.setEndorser(endorser);
  e.setSignature(signature);
  const pr = new ProposalResponse();
  pr.setVersion(1);
  pr.setResponse(response);
  pr.setPayload(prp.serializeBinary());
  pr.setEndorsement(e);
  return pr.serializeBinary();
}

describe('proposal responses', () => {
  it('encodes byte for byte as google-protobuf does (negative status, empty and large fields)', () => {
    const p = proposal();
    const signature = new Uint8Array(71).fill(3);
    const fixed = { serialized: peer.serialized, sign: () => signature };
    const cases = [
      { r: { status: 200, message: 'OK', payload: utf8('x'.repeat(300)) }, results: utf8('rw'), events: utf8('ev'), id: { name: 'cc', version: '1.0' } },
      { r: { status: -7, message: '' }, results: new Uint8Array(0), events: undefined, id: { name: 'cc', version: '', path: 'p' } },
      { r: { status: 0, message: 'ü', payload: new Uint8Array(0) }, results: new Uint8Array(20_000).fill(1), events: new Uint8Array(0), id: { name: 'n', version: 'v' } },
    ];
    for (const c of cases) {
      const built = buildProposalResponse({ proposal: p, response: c.r, results: c.results, events: c.events, chaincodeId: c.id, endorser: fixed });
      expect(built).toEqual(referenceResponse(p.proposalHash, c.r, c.results, c.events, c.id, peer.serialized, signature));
    }
  });

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

  it("answers a chaincode's status ≥ 500 as Fabric's endorser: the response and its payload, unendorsed; 400–499 the response only", () => {
    const p = proposal();
    const input = { proposal: p, response: { status: 500, message: 'asset locked' }, results: utf8('rwset'), chaincodeId: { name: 'cc', version: '1' } };
    const bytes = buildChaincodeErrorResponse(input);
    const reference = ProposalResponse.deserializeBinary(referenceResponse(p.proposalHash, { status: 500, message: 'asset locked' }, utf8('rwset'), undefined, input.chaincodeId, new Uint8Array(0), new Uint8Array(0)));
    reference.setVersion(0);
    reference.clearEndorsement();
    expect(Buffer.from(bytes).equals(Buffer.from(reference.serializeBinary()))).toBe(true);
    const r = parseProposalResponse(bytes);
    expect(r.response).toMatchObject({ status: 500, message: 'asset locked' });
    expect(r.payloadBytes.length).toBeGreaterThan(0);
    expect(r.endorsement).toBeUndefined();
    const notFound = parseProposalResponse(buildChaincodeErrorResponse({ ...input, response: { status: 404, message: 'no such asset' } }));
    expect(notFound.payloadBytes.length).toBe(0);
    expect(notFound.response).toMatchObject({ status: 404, message: 'no such asset' });
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
