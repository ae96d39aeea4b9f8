import { X509Certificate, createHash, verify } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ChannelHeader, Header, HeaderType, SignatureHeader } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { SerializedIdentity } from '@hyperledger/fabric-protos/lib/msp/identities_pb';
import { ChaincodeProposalPayload, Proposal, SignedProposal } from '@hyperledger/fabric-protos/lib/peer/proposal_pb';
import {
  ProtocolErrorCode,
  buildProposal,
  computeProposalHash,
  computeTxId,
  parseBlock,
  parseSignedProposal,
  proposalPayloadForTx,
  signProposal,
} from '../../../../core/protocol';
import { expectProtocolError } from './expect-protocol-error';
import { newTestSigner, utf8 } from './test-signer';

const signer = newTestSigner();

function signedProposal(overrides: Partial<Parameters<typeof buildProposal>[0]> = {}): Uint8Array {
  const built = buildProposal({
    channelId: 'mychannel',
    chaincodeName: 'basic',
    args: [utf8('CreateAsset'), utf8('asset1'), utf8('blue')],
    transient: { secret: utf8('s3cret') },
    creator: signer.serialized,
    ...overrides,
  });
  return signProposal(built.proposalBytes, signer);
}

describe('proposals', () => {
  it('build → sign → parse round trips every field and keeps the signed bytes', () => {
    const nonce = new Uint8Array(24).fill(9);
    const timestamp = new Date('2026-01-02T03:04:05.678Z');
    const built = buildProposal({
      channelId: 'mychannel',
      chaincodeName: 'basic',
      args: [utf8('ReadAsset'), utf8('asset1')],
      transient: new Map([['k', utf8('v')]]),
      creator: signer.serialized,
      nonce,
      timestamp,
    });
    expect(built.txId).toBe(computeTxId(nonce, signer.serialized));
    const bytes = signProposal(built.proposalBytes, signer);
    const p = parseSignedProposal(bytes);
    expect(p.bytes).toBe(bytes);
    expect(Buffer.from(p.proposalBytes).equals(Buffer.from(built.proposalBytes))).toBe(true);
    expect(signer.verify(p.proposalBytes, p.signature)).toBe(true);
    expect(p.channelId).toBe('mychannel');
    expect(p.channelHeader.type).toBe(HeaderType.ENDORSER_TRANSACTION);
    expect(p.channelHeader.epoch).toBe(0);
    expect(p.txId).toBe(built.txId);
    expect(p.timestamp?.toISOString()).toBe(timestamp.toISOString());
    expect(p.creator).toEqual(signer.serialized);
    expect(p.nonce).toEqual(nonce);
    expect(p.chaincodeName).toBe('basic');
    expect(p.args.map((a) => Buffer.from(a).toString())).toEqual(['ReadAsset', 'asset1']);
    expect(p.isInit).toBe(false);
    expect(Buffer.from(p.transient.get('k') ?? []).toString()).toBe('v');
    expect(p.channelHeader.bytes).toEqual(built.channelHeaderBytes);
    expect(p.signatureHeader.bytes).toEqual(built.signatureHeaderBytes);
    expect(p.payloadBytes).toEqual(built.payloadBytes);
  });

  it('computes Fabric proposal hash over header parts and the payload without transient data', () => {
    const p = parseSignedProposal(signedProposal());
    const stripped = new ChaincodeProposalPayload();
    stripped.setInput(p.inputBytes);
    const expected = createHash('sha256')
      .update(p.channelHeader.bytes)
      .update(p.signatureHeader.bytes)
      .update(stripped.serializeBinary())
      .digest();
    expect(Buffer.from(p.proposalHash).equals(expected)).toBe(true);
    expect(p.payloadForTx).toEqual(proposalPayloadForTx(p.inputBytes));
    expect(p.payloadForTx.length).toBeLessThan(p.payloadBytes.length); // transient stripped
    expect(computeProposalHash(p.channelHeader.bytes, p.signatureHeader.bytes, p.payloadForTx)).toEqual(p.proposalHash);
    // The transient map does not change the hash.
    const nonce = p.nonce;
    const timestamp = p.timestamp;
    const a = parseSignedProposal(signedProposal({ nonce, timestamp, transient: { x: utf8('1') } }));
    const b = parseSignedProposal(signedProposal({ nonce, timestamp, transient: { x: utf8('2') } }));
    expect(a.proposalHash).toEqual(b.proposalHash);
  });

  it('rejects a wrong txid unless told not to check it', () => {
    const bytes = signedProposal({ txId: 'deadbeef' });
    expectProtocolError(() => parseSignedProposal(bytes), ProtocolErrorCode.BadTxId, 'channel_header.tx_id');
    expect(parseSignedProposal(bytes, { verifyTxId: false }).txId).toBe('deadbeef');
  });

  it('rejects hostile inputs with a code naming the field', () => {
    const good = signedProposal();
    expectProtocolError(() => parseSignedProposal(new Uint8Array(0)), ProtocolErrorCode.MissingField, 'signed_proposal');
    expectProtocolError(() => parseSignedProposal(good.subarray(0, good.length - 5)), ProtocolErrorCode.Malformed, 'signed_proposal');
    expectProtocolError(() => parseSignedProposal(good, { maxBytes: 100 }), ProtocolErrorCode.TooLarge, 'signed_proposal');
    // Garbage is malformed framing (an end-group tag with no group), as Go's proto.Unmarshal says.
    expectProtocolError(() => parseSignedProposal(utf8('hello world garbage')), ProtocolErrorCode.Malformed, 'signed_proposal');
    // Well-formed bytes with only unknown fields still lack the required ones.
    expectProtocolError(() => parseSignedProposal(Uint8Array.from([0x78, 0x01])), ProtocolErrorCode.MissingField, 'proposal_bytes');

    const unsigned = new SignedProposal();
    unsigned.setProposalBytes(buildProposal({ channelId: 'c', chaincodeName: 'cc', args: [], creator: signer.serialized }).proposalBytes);
    expectProtocolError(() => parseSignedProposal(unsigned.serializeBinary()), ProtocolErrorCode.MissingField, 'signed_proposal.signature');
  });

  function withHeader(mutate: (chdr: ChannelHeader, shdr: SignatureHeader) => void, payload?: Uint8Array): Uint8Array {
    const parsed = parseSignedProposal(signedProposal());
    const chdr = ChannelHeader.deserializeBinary(parsed.channelHeader.bytes);
    const shdr = SignatureHeader.deserializeBinary(parsed.signatureHeader.bytes);
    mutate(chdr, shdr);
    const header = new Header();
    header.setChannelHeader(chdr.serializeBinary());
    header.setSignatureHeader(shdr.serializeBinary());
    const proposal = new Proposal();
    proposal.setHeader(header.serializeBinary());
    proposal.setPayload(payload ?? parsed.payloadBytes);
    return signProposal(proposal.serializeBinary(), signer);
  }

  it('rejects a wrong header type, missing creator, nonce, extension and chaincode spec', () => {
    const wrongType = withHeader((c) => c.setType(HeaderType.CONFIG_UPDATE));
    const err = expectProtocolError(() => parseSignedProposal(wrongType), ProtocolErrorCode.WrongHeaderType, 'channel_header.type');
    expect(err.message).toContain('ENDORSER_TRANSACTION');
    expect(err.message).toContain('CONFIG_UPDATE');
    expectProtocolError(
      () => parseSignedProposal(withHeader((_c, s) => s.setCreator(new Uint8Array(0)))),
      ProtocolErrorCode.MissingField,
      'signed_proposal.proposal_bytes.header.signature_header.creator',
    );
    expectProtocolError(
      () => parseSignedProposal(withHeader((c) => c.setEpoch(3))),
      ProtocolErrorCode.BadField,
      'signed_proposal.proposal_bytes.header.channel_header.epoch',
    );
    expectProtocolError(
      () => parseSignedProposal(withHeader((_c, s) => s.setNonce(new Uint8Array(0)))),
      ProtocolErrorCode.MissingField,
      'signature_header.nonce',
    );
    expectProtocolError(
      () => parseSignedProposal(withHeader((c) => c.setExtension$(new Uint8Array(0)))),
      ProtocolErrorCode.MissingField,
      'channel_header.extension',
    );
    expectProtocolError(
      () => parseSignedProposal(withHeader(() => undefined, Uint8Array.of(0x0a, 0x00))),
      ProtocolErrorCode.MissingField,
      'signed_proposal.proposal_bytes.payload.input',
    );
    expectProtocolError(
      () => parseSignedProposal(withHeader(() => undefined, Uint8Array.of(0x0a, 0x02, 0x0a, 0x00))),
      ProtocolErrorCode.MissingField,
      'payload.input.chaincode_spec.input',
    );
    const noChannelHeader = new Header();
    noChannelHeader.setSignatureHeader(new Uint8Array(3));
    const proposal = new Proposal();
    proposal.setHeader(noChannelHeader.serializeBinary());
    expectProtocolError(
      () => parseSignedProposal(signProposal(proposal.serializeBinary(), signer)),
      ProtocolErrorCode.MissingField,
      'signed_proposal.proposal_bytes.header.channel_header',
    );
  });

  it("takes the CONFIG-typed cscc JoinChain proposal Fabric 2.4.9's `peer channel join` sends, as Fabric's endorser does", () => {
    // Captured from Fabric's own CLI (test/fixtures/fabric-2.4.9/peer-cli/README.md): it builds
    // JoinChain with `CreateProposalFromCIS(HeaderType_CONFIG, "", …)`, and Fabric's
    // `UnpackedProposal.Validate` accepts ENDORSER_TRANSACTION and CONFIG.
    const bytes = fs.readFileSync(path.join(__dirname, '../../../fixtures/fabric-2.4.9/peer-cli/channel-join-signed-proposal.bin'));
    const parsed = parseSignedProposal(bytes);
    expect(parsed.channelHeader.type).toBe(HeaderType.CONFIG);
    expect(parsed.channelId).toBe('');
    expect(parsed.chaincodeName).toBe('cscc');
    expect(parsed.args.map((a, i) => (i === 0 ? Buffer.from(a).toString() : a.length > 0))).toEqual(['JoinChain', true]);
    expect(parseBlock(parsed.args[1]).number).toBe(0);
    const creator = SerializedIdentity.deserializeBinary(parsed.creator);
    expect(creator.getMspid()).toBe('Org1MSP');
    const cert = new X509Certificate(Buffer.from(creator.getIdBytes_asU8()));
    expect(verify('sha256', parsed.proposalBytes, cert.publicKey, parsed.signature)).toBe(true);
  });

  it('refuses to build with a missing creator or chaincode name', () => {
    expectProtocolError(
      () => buildProposal({ channelId: 'c', chaincodeName: '', args: [], creator: signer.serialized }),
      ProtocolErrorCode.BadInput,
      'chaincode_id.name',
    );
    expectProtocolError(
      () => buildProposal({ channelId: 'c', chaincodeName: 'cc', args: [], creator: new Uint8Array(0) }),
      ProtocolErrorCode.BadInput,
      'creator',
    );
  });
});
