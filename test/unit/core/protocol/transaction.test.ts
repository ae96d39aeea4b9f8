import { Envelope, Header, HeaderType, Payload } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { Endorsement } from '@hyperledger/fabric-protos/lib/peer/proposal_response_pb';
import { ChaincodeActionPayload, ChaincodeEndorsedAction, Transaction, TransactionAction } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import {
  ProtocolErrorCode,
  buildEnvelope,
  buildErrorProposalResponse,
  buildProposal,
  buildProposalResponse,
  buildTransactionEnvelope,
  concatBytes,
  parseEndorserTransaction,
  parseProposalResponse as parseProposalResponseOf,
  parseEnvelope,
  parseSignedProposal,
  parseTransactionEnvelope,
  signProposal,
  transactionCreatorSignedData,
  transactionEndorsementSignedData,
} from '../../../../core/protocol';
import { expectProtocolError } from './expect-protocol-error';
import { TestSigner, newTestSigner, utf8 } from './test-signer';

const client = newTestSigner('Org1MSP', 'client');
const peer1 = newTestSigner('Org1MSP', 'peer0');
const peer2 = newTestSigner('Org2MSP', 'peer0');

function proposal() {
  const built = buildProposal({
    channelId: 'ch',
    chaincodeName: 'cc',
    args: [utf8('transfer'), utf8('a'), utf8('b')],
    transient: { secret: utf8('do-not-order') },
    creator: client.serialized,
  });
  return parseSignedProposal(signProposal(built.proposalBytes, client));
}

function respond(p: ReturnType<typeof proposal>, endorser: TestSigner, results = utf8('rwset')): Uint8Array {
  return buildProposalResponse({
    proposal: p,
    response: { status: 200, payload: utf8('done') },
    results,
    events: utf8('ev'),
    chaincodeId: { name: 'cc', version: '2' },
    endorser,
  });
}

/** The envelope as google-protobuf encodes it, for byte comparison with the hand encoder. */
function referenceEnvelope(p: ReturnType<typeof proposal>, prp: Uint8Array, endorsers: TestSigner[], signatures: Uint8Array[], signature?: Uint8Array): Uint8Array {
  const cea = new ChaincodeEndorsedAction();
  cea.setProposalResponsePayload(prp);
  cea.setEndorsementsList(
    endorsers.map((e, i) => {
      const m = new Endorsement();
      m.setEndorser(e.serialized);
      m.setSignature(signatures[i]);
      return m;
    }),
  );
  const cap = new ChaincodeActionPayload();
  cap.setChaincodeProposalPayload(p.payloadForTx);
  cap.setAction(cea);
  const action = new TransactionAction();
  action.setHeader(p.signatureHeader.bytes);
  action.setPayload(cap.serializeBinary());
  const tx = new Transaction();
  tx.setActionsList([action]);
  const header = new Header();
  header.setChannelHeader(p.channelHeader.bytes);
  header.setSignatureHeader(p.signatureHeader.bytes);
  const payload = new Payload();
  payload.setHeader(header);
  payload.setData(tx.serializeBinary());
  const env = new Envelope();
  env.setPayload(payload.serializeBinary());
  if (signature !== undefined) env.setSignature(signature);
  return env.serializeBinary();
}

describe('transactions', () => {
  it('encodes the envelope byte for byte as google-protobuf does, signed or not', () => {
    const p = proposal();
    const responses = [parseProposalResponseOf(respond(p, peer1)), parseProposalResponseOf(respond(p, peer2))];
    const signatures = responses.map((r) => r.endorsement?.signature ?? new Uint8Array(0));
    const prp = responses[0].payloadBytes;
    expect(buildTransactionEnvelope(p, responses)).toEqual(referenceEnvelope(p, prp, [peer1, peer2], signatures));
    const fixed = { serialized: client.serialized, sign: () => new Uint8Array(70).fill(5) };
    expect(buildTransactionEnvelope(p, responses, fixed)).toEqual(referenceEnvelope(p, prp, [peer1, peer2], signatures, new Uint8Array(70).fill(5)));
  });

  it('build → parse round trips, strips the transient map and gives the signed data', () => {
    const p = proposal();
    const bytes = buildTransactionEnvelope(p, [respond(p, peer1), respond(p, peer2), respond(p, peer1)], client);
    const tx = parseTransactionEnvelope(bytes);
    expect(tx.channelHeader.type).toBe(HeaderType.ENDORSER_TRANSACTION);
    expect(tx.txId).toBe(p.txId);
    expect(tx.channelId).toBe('ch');
    expect(tx.chaincodeName).toBe('cc');
    expect(tx.creator).toEqual(client.serialized);
    expect(tx.nonce).toEqual(p.nonce);
    expect(tx.timestamp).toEqual(p.timestamp);
    // Header bytes reused exactly as the client signed them in the proposal.
    expect(tx.channelHeader.bytes).toEqual(p.channelHeader.bytes);
    expect(tx.signatureHeader.bytes).toEqual(p.signatureHeader.bytes);
    expect(tx.action.chaincodeProposalPayload).toEqual(p.payloadForTx);
    expect(Buffer.from(bytes).includes(Buffer.from('do-not-order'))).toBe(false);
    expect(tx.action.invocation.args.map((a) => Buffer.from(a).toString())).toEqual(['transfer', 'a', 'b']);
    const action = tx.action.proposalResponsePayload.action;
    expect(action.results).toEqual(utf8('rwset'));
    expect(action.events).toEqual(utf8('ev'));
    expect(action.response.status).toBe(200);
    expect(action.chaincodeId.name).toBe('cc');
    // Duplicate endorser de-duplicated.
    expect(tx.action.endorsements.map((e) => e.endorser)).toEqual([peer1.serialized, peer2.serialized]);

    const creator = transactionCreatorSignedData(tx);
    expect(creator.identity).toEqual(client.serialized);
    expect(client.verify(creator.data, creator.signature)).toBe(true);
    const endorsements = transactionEndorsementSignedData(tx);
    expect(endorsements).toHaveLength(2);
    expect(endorsements[1].data).toEqual(concatBytes(tx.action.proposalResponsePayload.bytes, peer2.serialized));
    expect(peer1.verify(endorsements[0].data, endorsements[0].signature)).toBe(true);
    expect(peer2.verify(endorsements[1].data, endorsements[1].signature)).toBe(true);
  });

  it('builds an unsigned envelope without a signer (Gateway prepareTransaction)', () => {
    const p = proposal();
    const bytes = buildTransactionEnvelope(p, [respond(p, peer1)]);
    expect(Envelope.deserializeBinary(bytes).getSignature_asU8()).toHaveLength(0);
    expectProtocolError(() => parseTransactionEnvelope(bytes), ProtocolErrorCode.MissingField, 'envelope.signature');
  });

  it('refuses mismatched payloads, failed responses, no endorsements and a foreign signer', () => {
    const p = proposal();
    expectProtocolError(
      () => buildTransactionEnvelope(p, [respond(p, peer1), respond(p, peer2, utf8('other-rwset'))], client),
      ProtocolErrorCode.PayloadMismatch,
      'responses[1]',
    );
    expectProtocolError(
      () => buildTransactionEnvelope(p, [buildErrorProposalResponse(500, 'nope')], client),
      ProtocolErrorCode.BadResponse,
      'status 500',
    );
    expectProtocolError(() => buildTransactionEnvelope(p, [], client), ProtocolErrorCode.BadResponse);
    expectProtocolError(() => buildTransactionEnvelope(p, [respond(p, peer1)], peer2), ProtocolErrorCode.SignerMismatch);
  });

  it('rejects a config envelope, two actions, a tampered proposal hash and garbage', () => {
    const config = buildEnvelope({ type: HeaderType.CONFIG, channelId: 'ch', data: utf8('cfg'), signer: client });
    expectProtocolError(
      () => parseTransactionEnvelope(config),
      ProtocolErrorCode.WrongHeaderType,
      'envelope.payload.header.channel_header.type',
    );

    const p = proposal();
    const good = buildTransactionEnvelope(p, [respond(p, peer1)], client);
    const reassemble = (mutate: (tx: Transaction) => void): Uint8Array => {
      const env = Envelope.deserializeBinary(good);
      const payload = Payload.deserializeBinary(env.getPayload_asU8());
      const tx = Transaction.deserializeBinary(payload.getData_asU8());
      mutate(tx);
      payload.setData(tx.serializeBinary());
      env.setPayload(payload.serializeBinary());
      return env.serializeBinary();
    };
    expectProtocolError(
      () => parseTransactionEnvelope(reassemble((tx) => tx.addActions(tx.getActionsList()[0]))),
      ProtocolErrorCode.BadField,
      'envelope.payload.data.actions',
    );
    const tampered = reassemble((tx) => {
      const action = tx.getActionsList()[0];
      const cap = ChaincodeActionPayload.deserializeBinary(action.getPayload_asU8());
      cap.setChaincodeProposalPayload(Uint8Array.of(0x0a, 0x02, 0x0a, 0x00));
      action.setPayload(cap.serializeBinary());
    });
    // The committer never decodes the proposal payload: a changed one only breaks the proposal hash.
    expectProtocolError(() => parseTransactionEnvelope(tampered), ProtocolErrorCode.BadField, 'proposal_hash');
    const noEndorsedAction = reassemble((tx) => {
      const action = tx.getActionsList()[0];
      const cap = ChaincodeActionPayload.deserializeBinary(action.getPayload_asU8());
      cap.clearAction();
      action.setPayload(cap.serializeBinary());
    });
    expectProtocolError(
      () => parseTransactionEnvelope(noEndorsedAction),
      ProtocolErrorCode.MissingField,
      'envelope.payload.data.actions[0].payload.action',
    );
    const otherInput = reassemble((tx) => {
      const action = tx.getActionsList()[0];
      const cap = ChaincodeActionPayload.deserializeBinary(action.getPayload_asU8());
      const q = buildProposal({ channelId: 'ch', chaincodeName: 'cc', args: [utf8('steal')], creator: client.serialized });
      cap.setChaincodeProposalPayload(parseSignedProposal(signProposal(q.proposalBytes, client)).payloadForTx);
      action.setPayload(cap.serializeBinary());
    });
    expectProtocolError(() => parseTransactionEnvelope(otherInput), ProtocolErrorCode.BadField, 'proposal_hash');

    expectProtocolError(() => parseTransactionEnvelope(good.subarray(0, 40)), ProtocolErrorCode.Malformed, 'envelope');
    expectProtocolError(() => parseTransactionEnvelope(good, { maxBytes: 64 }), ProtocolErrorCode.TooLarge, 'envelope');
    expectProtocolError(() => parseTransactionEnvelope(utf8('garbage!')), ProtocolErrorCode.Malformed, 'envelope');
    expectProtocolError(() => parseTransactionEnvelope(Uint8Array.of(0x12, 0x01, 0x00)), ProtocolErrorCode.MissingField, 'envelope.payload');
  });

  it('checks txid and epoch also when parsing from a generic envelope (validator path)', () => {
    const built = buildProposal({ channelId: 'ch', chaincodeName: 'cc', args: [utf8('f')], creator: client.serialized, txId: 'forged' });
    const p = parseSignedProposal(signProposal(built.proposalBytes, client), { verifyTxId: false });
    const bytes = buildTransactionEnvelope(p, [respond(p, peer1)], client);
    const env = parseEnvelope(bytes, { path: 'block.data[0]' });
    expectProtocolError(
      () => parseEndorserTransaction(env, { path: 'block.data[0]' }),
      ProtocolErrorCode.BadTxId,
      'block.data[0].payload.header.channel_header.tx_id',
    );
    expect(parseEndorserTransaction(env, { verifyTxId: false }).txId).toBe('forged');
    expectProtocolError(() => parseEndorserTransaction(parseEnvelope(buildEnvelope({ type: HeaderType.CONFIG, channelId: 'ch', data: utf8('x') }))), ProtocolErrorCode.WrongHeaderType, 'CONFIG');
  });

  it('parses any envelope type generically and names a missing payload header', () => {
    const env = parseEnvelope(buildEnvelope({ type: HeaderType.CONFIG_UPDATE, channelId: 'ch', data: utf8('upd'), signer: client }));
    expect(env.channelHeader.type).toBe(HeaderType.CONFIG_UPDATE);
    expect(env.data).toEqual(utf8('upd'));
    expect(client.verify(env.payloadBytes, env.signature)).toBe(true);
    const headerless = new Envelope();
    const payload = new Payload();
    payload.setData(utf8('x'));
    headerless.setPayload(payload.serializeBinary());
    expectProtocolError(() => parseEnvelope(headerless.serializeBinary()), ProtocolErrorCode.MissingField, 'envelope.payload.header');
  });
});
