import { Metadata, SignatureHeader } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { BlockMetadataIndex, getBlockMetadata, newBlock, setBlockMetadata } from '../../../../core/protocol/block';
import { blockSignatureSignedData, parseBlockSignatures, signBlock } from '../../../../core/protocol/block-signatures';
import { cat, len, vint } from '../../../support/raw-protobuf';
import { newTestSigner } from './test-signer';

/*
 * Fabric's BlockSignatureVerifier (protoutil/blockutils.go:246-300) reads the SIGNATURES slot with
 * protobuf-go: a known field with another wire type is skipped (internal/impl/decode.go:176-226), a
 * message field seen twice is merged (codec_field.go:183-186). The signed data are the bytes of
 * Metadata.value and MetadataSignature.signature_header as decoded, so they survive.
 */
describe('block signatures read as protobuf-go reads them', () => {
  const orderer = newTestSigner('OrdererMSP', 'orderer1');

  it('skips mistyped fields in Metadata, MetadataSignature and SignatureHeader: the same signed data', () => {
    const block = newBlock(5, new Uint8Array(32).fill(3), [Uint8Array.of(0x0a, 0x01, 0x01)]);
    signBlock(block, orderer, { lastConfigIndex: 2 });
    const expected = blockSignatureSignedData(block);
    const md = Metadata.deserializeBinary(getBlockMetadata(block, BlockMetadataIndex.SIGNATURES));
    const sig = md.getSignaturesList()[0];
    const shdr = SignatureHeader.deserializeBinary(sig.getSignatureHeader_asU8());
    // The signature header keeps its bytes (they are signed); the creator is read from them as Go does.
    const crafted = cat(
      vint(1, 1),
      len(1, md.getValue_asU8()),
      vint(2, 7),
      len(2, cat(vint(1, 3), len(1, sig.getSignatureHeader_asU8()), len(2, sig.getSignature_asU8()), vint(3, 1))),
    );
    setBlockMetadata(block, BlockMetadataIndex.SIGNATURES, crafted);
    expect(blockSignatureSignedData(block)).toEqual(expected);
    expect(parseBlockSignatures(block).signatures[0].creator).toEqual(shdr.getCreator_asU8());
    expect(parseBlockSignatures(block).lastConfigIndex).toBe(2);
  });

  it('merges a last_config sent twice in the OrdererBlockMetadata value', () => {
    const block = newBlock(6, new Uint8Array(32), [Uint8Array.of(0x0a, 0x01, 0x01)]);
    setBlockMetadata(block, BlockMetadataIndex.SIGNATURES, len(1, cat(len(1, vint(1, 4)), len(1, new Uint8Array(0)))));
    expect(parseBlockSignatures(block).lastConfigIndex).toBe(4);
  });
});
