/**
 * Fabric's `BlockSignatureVerifier` on a BFT channel, over real X.509 consenters (msp-x509) and
 * the real policy engine (policy-fabric): a SmartBFT block is signed by consenter ids, and only a
 * quorum of distinct consenters satisfies the BlockValidation policy configtxgen writes.
 */
import { sign as cryptoSign } from 'node:crypto';
import { Block, Metadata, MetadataSignature } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { Config } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { SignaturePolicy, SignaturePolicyEnvelope } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { MSPPrincipal } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import type { MspManager } from '../../../../core/msp';
import { ProtocolError } from '../../../../core/errors';
import { type BftConsenter, bftBlockValidationPolicy, bftQuorum, smartBftOptions } from '../../../../core/protocol/bft-config';
import { BlockMetadataIndex, blockHeaderBytes, newBlock, setBlockMetadata } from '../../../../core/protocol/block';
import { type BftBlockSigner, blockSignatureSignedData, parseBlockSignatures, signBlockBft } from '../../../../core/protocol/block-signatures';
import { concatBytes } from '../../../../core/protocol/bytes';
import { buildChannelGroup } from '../../../../core/protocol/config-block';
import { readChannelConfig } from '../../../../core/protocol/config-parse';
import { serializeIdentity } from '../../../../core/protocol/serialized-identity';
import type { SignedData } from '../../../../core/policy';
import { CURVE_ORDERS, createTestOrg, toLowS, X509MspProvider, type TestIdentity, type TestOrg } from '../../../../plugins/msp-x509';
import { FabricPolicyProvider } from '../../../../plugins/policy-fabric';
import { utf8 } from './test-signer';

const P256 = CURVE_ORDERS.prime256v1;

describe('BFT block signatures (consenters named by id)', () => {
  const provider = new FabricPolicyProvider();
  const mspProvider = new X509MspProvider();
  let orgs: TestOrg[];
  let ids: TestIdentity[];
  let consenters: BftConsenter[];
  let manager: MspManager;
  let signers: BftBlockSigner[];

  beforeAll(async () => {
    // Two orderer orgs, two consenters each: IDENTITY principals of different MSPs.
    orgs = await Promise.all(['OrdererAMSP', 'OrdererBMSP', 'Org1MSP'].map((mspId) => createTestOrg({ mspId })));
    ids = await Promise.all([0, 1, 2, 3].map((i) => orgs[i >> 1].issue(`orderer${i}`, { role: 'orderer' })));
    consenters = ids.map((id, i) => ({
      id: i + 1,
      host: `orderer${i}.example.com`,
      port: 7050 + i,
      mspId: id.mspId,
      identity: id.credentials,
      clientTlsCert: utf8(`client tls ${i}`),
      serverTlsCert: utf8(`server tls ${i}`),
    }));
    manager = mspProvider.createManager(orgs.slice(0, 2).map((o) => mspProvider.createMsp(o.mspConfig())));
    signers = ids.map((id, i) => ({
      id: i + 1,
      signer: {
        serialized: id.serialized,
        sign: (m: Uint8Array) => toLowS(new Uint8Array(cryptoSign('sha256', m, { key: id.privateKey, dsaEncoding: 'der' })), P256),
      },
    }));
  });

  /** A block signed by `by` as SmartBFT signs. */
  const blockSignedBy = (by: readonly BftBlockSigner[]): Block => {
    const block = newBlock(7, new Uint8Array(32).fill(1), [utf8('tx')]);
    signBlockBft(block, by, { lastConfigIndex: 0 });
    return block;
  };
  const satisfies = (signed: readonly SignedData[]): boolean => provider.newSignaturePolicy(bftBlockValidationPolicy(consenters), manager).evaluate(signed).satisfied;
  const bft = (block: Block): SignedData[] => blockSignatureSignedData(block, { consenters });
  const identityOf = (id: TestIdentity): Buffer => Buffer.from(serializeIdentity(id.mspId, id.credentials));

  it("computes SmartBFT's quorum ⌈(n+f+1)/2⌉, f = ⌊(n−1)/3⌋", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(bftQuorum)).toEqual([1, 2, 2, 3, 4, 4, 5, 6, 6, 7]);
  });

  it('writes BlockValidation as NOutOf(quorum, SignedBy(i)…) over IDENTITY principals of the consenters, as configtxgen', () => {
    const envelope = SignaturePolicyEnvelope.deserializeBinary(bftBlockValidationPolicy(consenters));
    const gate = envelope.getRule()!.getNOutOf()!;
    expect(gate.getN()).toBe(3);
    // SignedBy(0) is written: a oneof member keeps its zero value.
    expect(gate.getRulesList().map((r) => [r.getTypeCase(), r.getSignedBy()])).toEqual([0, 1, 2, 3].map((i) => [SignaturePolicy.TypeCase.SIGNED_BY, i]));
    expect(envelope.getIdentitiesList().map((p) => [p.getPrincipalClassification(), Buffer.from(p.getPrincipal_asU8())])).toEqual(
      ids.map((id) => [MSPPrincipal.Classification.IDENTITY, Buffer.from(serializeIdentity(id.mspId, id.credentials))]),
    );
  });

  it('a quorum (3 of 4) of consenters satisfies it; each signature covers value ‖ identifier_header ‖ header', () => {
    const block = blockSignedBy(signers.slice(1));
    const signed = bft(block);
    const parsed = parseBlockSignatures(block);
    expect(signed.map((s) => Buffer.from(s.identity))).toEqual(ids.slice(1).map(identityOf));
    expect(signed[0].data).toEqual(concatBytes(parsed.value, parsed.signatures[0].identifierHeader, blockHeaderBytes(block.getHeader()!)));
    expect(parsed.signatures[0].signatureHeader).toHaveLength(0);
    expect(satisfies(signed)).toBe(true);
  });

  it('one short of the quorum (2 of 4) does not', () => {
    const signed = bft(blockSignedBy(signers.slice(0, 2)));
    expect(signed.map((s) => Buffer.from(s.identity))).toEqual(ids.slice(0, 2).map(identityOf));
    expect(satisfies(signed)).toBe(false);
  });

  it('skips a signature whose id is not in the consenter set', () => {
    const stranger = { id: 9, signer: signers[2].signer };
    const short = bft(blockSignedBy([signers[0], signers[1], stranger]));
    expect(short).toHaveLength(2);
    expect(satisfies(short)).toBe(false);
    const enough = bft(blockSignedBy([signers[0], stranger, signers[1], signers[3]]));
    expect(enough).toHaveLength(3);
    expect(satisfies(enough)).toBe(true);
  });

  it('on a channel without BFT signatures (below V3_0) reads the empty signature header: no signer, not satisfied', () => {
    const block = blockSignedBy(signers);
    expect(satisfies(bft(block))).toBe(true);
    const signed = blockSignatureSignedData(block);
    expect(signed.map((s) => s.identity.length)).toEqual([0, 0, 0, 0]);
    expect(satisfies(signed)).toBe(false);
  });

  it('refuses forged signatures: a tampered one, and one orderer signing under the ids of others', () => {
    const block = blockSignedBy(signers.slice(0, 3));
    expect(satisfies(bft(block))).toBe(true);
    const tampered = bft(block).map((s, i) => (i === 2 ? { ...s, signature: Uint8Array.from(s.signature, (b, j) => (j === 10 ? b ^ 1 : b)) } : s));
    expect(satisfies(tampered)).toBe(false);
    const impersonated = blockSignedBy([1, 2, 3].map((id) => ({ id, signer: signers[0].signer })));
    expect(satisfies(bft(impersonated))).toBe(false);
  });

  it('counts a consenter signing several times once', () => {
    const repeated = bft(blockSignedBy([signers[0], signers[0], signers[0], signers[1]]));
    expect(repeated.map((s) => Buffer.from(s.identity))).toEqual([0, 0, 0, 1].map((i) => identityOf(ids[i])));
    expect(satisfies(repeated)).toBe(false);
    expect(satisfies(bft(blockSignedBy([signers[0], signers[0], signers[1], signers[2]])))).toBe(true);
  });

  it('refuses an identifier header that does not decode, naming the signature', () => {
    const block = newBlock(7, new Uint8Array(32).fill(1), [utf8('tx')]);
    const sig = new MetadataSignature();
    // identifier = a varint cut short.
    sig.setIdentifierHeader(Uint8Array.of(0x08, 0x80));
    sig.setSignature(Uint8Array.of(1));
    const md = new Metadata();
    md.addSignatures(sig);
    setBlockMetadata(block, BlockMetadataIndex.SIGNATURES, md.serializeBinary());
    expect(() => bft(block)).toThrow(ProtocolError);
    expect(() => bft(block)).toThrow(/signatures\[0\]\.identifier_header/);
  });

  it('reads the consenter mapping of a config with configtxgen-style BFT values', () => {
    const group = buildChannelGroup({
      channelId: 'bftchannel',
      acls: {},
      applicationOrgs: [{ mspId: 'Org1MSP', mspConfig: orgs[2].mspConfig(), anchorPeers: [] }],
      ordererOrgs: [{ mspId: 'OrdererAMSP', mspConfig: orgs[0].mspConfig(), endpoints: ['orderer0.example.com:7050'] }],
      consensusType: { type: 'BFT', metadata: smartBftOptions() },
      consenters,
    });
    const config = new Config();
    config.setChannelGroup(group);
    expect(readChannelConfig(config, config.serializeBinary()).consenters).toEqual(consenters);
  });
});
