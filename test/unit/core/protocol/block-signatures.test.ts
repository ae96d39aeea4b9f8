import {
  BlockMetadataIndex,
  blockHeaderBytes,
  blockSignatureSignedData,
  concatBytes,
  getBlockMetadata,
  getLastConfigIndex,
  newBlock,
  parseBlock,
  parseBlockSignatures,
  signBlock,
} from '../../../../core/protocol';
import { newTestSigner, utf8 } from './test-signer';

describe('block signatures', () => {
  const orderer1 = newTestSigner('OrdererMSP', 'orderer1');
  const orderer2 = newTestSigner('OrdererMSP', 'orderer2');

  it('signs value ‖ signature_header ‖ header bytes and returns SignedData for validation', () => {
    const block = newBlock(5, new Uint8Array(32).fill(3), [utf8('env1')]);
    signBlock(block, [orderer1, orderer2], { lastConfigIndex: 2, consenterMetadata: utf8('raft') });
    const parsed = parseBlock(block.serializeBinary());
    const sigs = parseBlockSignatures(parsed.block);
    expect(sigs.lastConfigIndex).toBe(2);
    expect(sigs.signatures).toHaveLength(2);
    expect(sigs.signatures[0].creator).toEqual(orderer1.serialized);
    expect(sigs.signatures[0].nonce).toHaveLength(24);
    expect(getLastConfigIndex(parsed.block)).toBe(2);
    expect(getBlockMetadata(parsed.block, BlockMetadataIndex.LAST_CONFIG).length).toBeGreaterThan(0);

    const signed = blockSignatureSignedData(parsed.block);
    expect(signed).toHaveLength(2);
    expect(signed[0].data).toEqual(concatBytes(sigs.value, sigs.signatures[0].signatureHeader, blockHeaderBytes(parsed.block.getHeader()!)));
    expect(orderer1.verify(signed[0].data, signed[0].signature)).toBe(true);
    expect(orderer2.verify(signed[1].data, signed[1].signature)).toBe(true);
    expect(signed[1].identity).toEqual(orderer2.serialized);
  });

  it('a signature no longer verifies once the header changes', () => {
    const block = newBlock(1, new Uint8Array(32), [utf8('a')]);
    signBlock(block, orderer1, { lastConfigIndex: 0 });
    block.getHeader()!.setNumber(2);
    const [signed] = blockSignatureSignedData(block);
    expect(orderer1.verify(signed.data, signed.signature)).toBe(false);
  });

  it('an unsigned block has no signatures', () => {
    const block = newBlock(1, new Uint8Array(32), [utf8('a')]);
    expect(parseBlockSignatures(block)).toEqual({
      value: new Uint8Array(0),
      lastConfigIndex: undefined,
      consenterMetadata: new Uint8Array(0),
      signatures: [],
    });
    expect(blockSignatureSignedData(block)).toEqual([]);
  });
});
