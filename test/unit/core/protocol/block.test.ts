import { createHash } from 'node:crypto';
import { Block, BlockHeader } from '@hyperledger/fabric-protos/lib/common/common_pb';
import {
  BlockMetadataIndex,
  ProtocolErrorCode,
  blockDataHash,
  blockEnvelopes,
  blockHeaderBytes,
  blockHeaderHash,
  blockNumber,
  getBlockMetadata,
  getLastConfigIndex,
  getTransactionsFilter,
  iterateEnvelopes,
  lastConfigMetadata,
  newBlock,
  parseBlock,
  setBlockMetadata,
  setTransactionsFilter,
  toHex,
} from '../../../../core/protocol';
import { expectProtocolError } from './expect-protocol-error';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

describe('block header hash (ASN.1 DER of number, previous_hash, data_hash)', () => {
  it('encodes a hand-built DER vector', () => {
    const bytes = blockHeaderBytes({ number: 1, previousHash: hex('0102'), dataHash: hex('03') });
    // SEQUENCE(10) { INTEGER 1, OCTET STRING 01 02, OCTET STRING 03 }
    expect(toHex(bytes)).toBe('300a020101040201020401' + '03');
  });

  it('encodes zero, empty hashes and sign-padded integers as Go encoding/asn1 does', () => {
    expect(toHex(blockHeaderBytes({ number: 0, previousHash: new Uint8Array(0), dataHash: new Uint8Array(0) }))).toBe(
      '3007020100' + '0400' + '0400',
    );
    expect(toHex(blockHeaderBytes({ number: 128, previousHash: new Uint8Array(0), dataHash: new Uint8Array(0) }))).toBe(
      '300802020080' + '0400' + '0400',
    );
    expect(toHex(blockHeaderBytes({ number: 2n ** 63n - 1n, previousHash: new Uint8Array(0), dataHash: new Uint8Array(0) }))).toBe(
      '300e02087fffffffffffffff' + '0400' + '0400',
    );
    expect(toHex(blockHeaderBytes({ number: 2n ** 63n, previousHash: new Uint8Array(0), dataHash: new Uint8Array(0) }))).toBe(
      '300f0209008000000000000000' + '0400' + '0400',
    );
  });

  it('uses long-form lengths beyond 127 bytes', () => {
    const big = new Uint8Array(200).fill(7);
    const bytes = blockHeaderBytes({ number: 5, previousHash: big, dataHash: new Uint8Array(0) });
    // 3 (int) + 3+200 (octet string, length 0x81 0xc8) + 2 = 208 = 0x81 0xd0
    expect(toHex(bytes.subarray(0, 3))).toBe('3081d0');
    expect(toHex(bytes.subarray(6, 9))).toBe('0481c8');
    expect(bytes).toHaveLength(3 + 208);
  });

  it('agrees with a real Fabric ledger: each header hash is the next block previous_hash', () => {
    // From hyperledger/fabric internal/ledgerutil/testdata/sample_prod (mychannel blockfile_000000):
    // block n's {number, previous_hash, data_hash} and block n+1's previous_hash.
    const chain = [
      { number: 0, previousHash: '', dataHash: '2aaa2d6e91d8b6ca889004b975328e114f9169c30fe437284385095cd5584104' },
      {
        number: 1,
        previousHash: 'c4a1491ab9a62e9125b3cbab3a782ea1f56e24c608620d85bb940585d059a2a1',
        dataHash: 'f38eb85e2157d17b41a4220a356ec22111851951df646ab1b30c3c8ad1627575',
      },
      {
        number: 2,
        previousHash: 'e785e7c8a054685b73763ab79750bd7e4ffe4fe377992f96a3618e19ea6b29d9',
        dataHash: 'dbb0455f14f0c504e3554487a2fd107d7ca4f9a144fd587b32df8021c7263c22',
      },
      { number: 3, previousHash: '0fe6b0856a5e8d74cea299466591035af24aafe455de11c2ef350d944b6c463e', dataHash: '' },
    ];
    for (let i = 0; i + 1 < chain.length; i++) {
      const h = chain[i];
      const hash = blockHeaderHash({ number: h.number, previousHash: hex(h.previousHash), dataHash: hex(h.dataHash) });
      expect(toHex(hash)).toBe(chain[i + 1].previousHash);
    }
  });

  it('accepts a proto BlockHeader', () => {
    const header = new BlockHeader();
    header.setNumber(9);
    header.setPreviousHash(hex('aa'));
    header.setDataHash(hex('bb'));
    const expected = createHash('sha256').update(Buffer.from('30090201090401aa0401bb', 'hex')).digest('hex');
    expect(toHex(blockHeaderHash(header))).toBe(expected);
  });
});

describe('blocks', () => {
  const envelopes = [hex('0a0101'), hex('0a0102'), hex('0a0103')];

  it('data hash is SHA-256 of the concatenated envelopes', () => {
    expect(toHex(blockDataHash(envelopes))).toBe(createHash('sha256').update(hex('0a01010a01020a0103')).digest('hex'));
  });

  it('newBlock → bytes → parseBlock round trips with five metadata slots', () => {
    const prev = new Uint8Array(32).fill(1);
    const block = newBlock(7, prev, envelopes);
    const bytes = block.serializeBinary();
    const parsed = parseBlock(bytes);
    expect(parsed.number).toBe(7);
    expect(parsed.previousHash).toEqual(prev);
    expect(parsed.dataHash).toEqual(blockDataHash(envelopes));
    expect(parsed.envelopes).toEqual(envelopes);
    expect(parsed.metadata).toHaveLength(5);
    expect(parsed.metadata.every((m) => m.length === 0)).toBe(true);
    expect(blockNumber(parsed.block)).toBe(7);
    expect(blockEnvelopes(parsed.block)).toEqual(envelopes);
    expect([...iterateEnvelopes(parsed.block)].map(([i]) => i)).toEqual([0, 1, 2]);
    // Re-serializing keeps the bytes (empty metadata slots are kept, as Go does).
    expect(Buffer.from(parsed.block.serializeBinary()).equals(Buffer.from(bytes))).toBe(true);
  });

  it('gets and sets the transactions filter and metadata slots', () => {
    const block = newBlock(1, new Uint8Array(32), envelopes);
    expect(getTransactionsFilter(block)).toHaveLength(0);
    setTransactionsFilter(block, Uint8Array.of(0, 11, 0));
    const parsed = parseBlock(block.serializeBinary());
    expect(getTransactionsFilter(parsed.block)).toEqual(Uint8Array.of(0, 11, 0));
    expectProtocolError(() => setTransactionsFilter(block, Uint8Array.of(0)), ProtocolErrorCode.BadInput, 'TRANSACTIONS_FILTER');
    setBlockMetadata(block, BlockMetadataIndex.COMMIT_HASH, hex('ff'));
    expect(getBlockMetadata(block, BlockMetadataIndex.COMMIT_HASH)).toEqual(hex('ff'));
  });

  it('reads the last config index from LAST_CONFIG when SIGNATURES is empty', () => {
    const block = newBlock(4, new Uint8Array(32), envelopes);
    setBlockMetadata(block, BlockMetadataIndex.LAST_CONFIG, lastConfigMetadata(3));
    expect(getLastConfigIndex(block)).toBe(3);
  });

  it('pads missing metadata slots when parsing', () => {
    const block = newBlock(2, new Uint8Array(32), envelopes);
    block.clearMetadata();
    const parsed = parseBlock(block.serializeBinary());
    expect(parsed.metadata).toHaveLength(5);
    expect(getTransactionsFilter(parsed.block)).toHaveLength(0);
  });

  it('rejects a wrong data hash, a missing header, garbage and oversized blocks', () => {
    const block = newBlock(3, new Uint8Array(32), envelopes);
    (block.getHeader() as BlockHeader).setDataHash(new Uint8Array(32));
    expectProtocolError(() => parseBlock(block.serializeBinary()), ProtocolErrorCode.BadField, 'block.header.data_hash');
    expect(parseBlock(block.serializeBinary(), { verifyDataHash: false }).number).toBe(3);

    const headerless = new Block();
    expectProtocolError(() => parseBlock(headerless.serializeBinary()), ProtocolErrorCode.MissingField, 'block.header');
    const good = newBlock(3, new Uint8Array(32), envelopes).serializeBinary();
    expectProtocolError(() => parseBlock(good.subarray(0, good.length - 3)), ProtocolErrorCode.Malformed, 'block');
    expectProtocolError(() => parseBlock(Uint8Array.of(0xff, 0xff, 0xff)), ProtocolErrorCode.Malformed, 'block');
    expectProtocolError(() => parseBlock(good, { maxBytes: 10 }), ProtocolErrorCode.TooLarge, 'block');
  });
});
