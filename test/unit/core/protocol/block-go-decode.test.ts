import { LastConfig, Metadata, OrdererBlockMetadata } from '@hyperledger/fabric-protos/lib/common/common_pb';
import {
  BlockMetadataIndex,
  ProtocolErrorCode,
  blockDataHash,
  getBlockMetadata,
  getLastConfigIndex,
  newBlock,
  parseBlock,
  setBlockMetadata,
} from '../../../../core/protocol';
import { cat, len, tag, vint } from '../../../support/raw-protobuf';
import { expectProtocolError } from './expect-protocol-error';

/*
 * Blocks and their metadata are read as a Fabric peer reads them: `protoutil.UnmarshalBlock` and
 * `GetMetadataFromBlock` / `GetLastConfigIndexFromBlock` (protoutil/unmarshalers.go:23,
 * protoutil/blockutils.go:125,183) call protobuf-go's `proto.Unmarshal`. Its rules, in
 * google.golang.org/protobuf/internal/impl (vendored in Fabric):
 *  - a known field with another wire type is an unknown field, skipped (decode.go:176-226:
 *    `consumeMessageInfo` and the scalar consumers return errUnknown on a wire type mismatch,
 *    codec_field.go:176);
 *  - a singular message field seen again is decoded into the same message: merged
 *    (codec_field.go:183-186), so a `repeated bytes` field inside it grows across occurrences;
 *  - a scalar or bytes field seen again: the last one wins;
 *  - unknown fields, groups included, are skipped (protowire.ConsumeFieldValue).
 * google-protobuf's `deserializeBinary`, which Weft used, throws "Assertion failed" on the first
 * and keeps only the last occurrence of a message on the second.
 */

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);
const env = (n: number): Uint8Array => len(1, bytes(n, n, n));
const group = (field: number, ...inner: Uint8Array[]): Uint8Array => cat(tag(field, 3), ...inner, tag(field, 4));
const slots = (n: number): Uint8Array => cat(...Array.from({ length: n }, () => len(1, new Uint8Array(0))));
const header = (number: number, previousHash: Uint8Array, dataHash: Uint8Array): Uint8Array =>
  cat(vint(1, number), len(2, previousHash), len(3, dataHash));

describe('blocks decoded as protobuf-go decodes them', () => {
  const envelopes = [env(1), env(2), env(3)];
  const prev = new Uint8Array(32).fill(9);

  it('skips a known field that arrives with another wire type, at every level', () => {
    const block = cat(
      vint(1, 4), // Block.header as a varint: unknown
      len(1, cat(len(1, bytes(1)), header(6, prev, blockDataHash(envelopes)), vint(2, 1), vint(3, 1))),
      vint(2, 7), // Block.data as a varint
      len(2, cat(vint(1, 5), ...envelopes.map((e) => len(1, e)))),
      len(3, cat(vint(1, 3), slots(5))),
    );
    const parsed = parseBlock(block);
    expect(parsed.number).toBe(6);
    expect(parsed.previousHash).toEqual(prev);
    expect(parsed.envelopes).toEqual(envelopes);
    expect(parsed.metadata).toHaveLength(5);
  });

  it('merges a header sent twice: fields of both, the later occurrence winning a field both carry', () => {
    const dataHash = blockDataHash(envelopes);
    const block = cat(
      len(1, cat(vint(1, 8), len(2, bytes(1)))),
      len(2, cat(...envelopes.map((e) => len(1, e)))),
      len(1, cat(len(2, prev), len(3, dataHash))),
    );
    const parsed = parseBlock(block);
    // google-protobuf kept the second header only: number 0.
    expect(parsed.number).toBe(8);
    expect(parsed.previousHash).toEqual(prev);
    expect(parsed.dataHash).toEqual(dataHash);
  });

  it('joins the entries of data and metadata sent twice, in wire order, and hashes all of them', () => {
    const block = cat(
      len(2, len(1, envelopes[0])),
      len(1, header(2, prev, blockDataHash(envelopes))),
      len(3, slots(2)),
      len(2, cat(len(1, envelopes[1]), len(1, envelopes[2]))),
      len(3, cat(slots(2), len(1, bytes(0, 0, 0)))),
    );
    const parsed = parseBlock(block);
    expect(parsed.envelopes).toEqual(envelopes);
    expect(parsed.metadata).toHaveLength(5);
    expect(getBlockMetadata(parsed.block, BlockMetadataIndex.TRANSACTIONS_FILTER)).toEqual(bytes());
    expect(parsed.metadata[4]).toEqual(bytes(0, 0, 0));
  });

  it('reads the last of a repeated header number and skips unknown fields and groups', () => {
    const block = cat(
      len(1, cat(vint(1, 50), header(3, prev, blockDataHash(envelopes)), vint(9, 1))),
      group(7, vint(1, 1), len(2, bytes(5)), group(8)),
      len(2, cat(...envelopes.map((e) => len(1, e)), group(4, vint(1, 1)))),
      len(15, bytes(1, 2)),
    );
    const parsed = parseBlock(block);
    expect(parsed.number).toBe(3);
    expect(parsed.envelopes).toEqual(envelopes);
  });

  it('keeps each envelope as the exact bytes received (views into the block, never re-encoded)', () => {
    const odd = cat(len(2, bytes(7)), len(1, bytes(6))); // signature before payload: not protobuf-go's marshal order
    const block = cat(len(1, header(1, prev, blockDataHash([odd]))), len(2, len(1, odd)));
    const parsed = parseBlock(block);
    expect(parsed.envelopes[0]).toEqual(odd);
    expect(parsed.envelopes[0].buffer).toBe(block.buffer);
    expect(parsed.envelopes[0].byteOffset).toBe(block.length - odd.length);
  });

  it('refuses what protobuf-go refuses, within the size bound', () => {
    const good = newBlock(1, prev, envelopes).serializeBinary();
    expectProtocolError(() => parseBlock(good, { maxBytes: good.length - 1 }), ProtocolErrorCode.TooLarge, 'block');
    expectProtocolError(() => parseBlock('x' as unknown as Uint8Array), ProtocolErrorCode.BadInput, 'block');
    expectProtocolError(() => parseBlock(cat(tag(1, 2), [5], bytes(1))), ProtocolErrorCode.Malformed, 'block');
    expectProtocolError(() => parseBlock(cat(good, bytes(0x00, 0x01))), ProtocolErrorCode.Malformed, 'field number 0');
    expectProtocolError(() => parseBlock(cat(good, tag(5, 7))), ProtocolErrorCode.Malformed, 'wire type 7');
    expectProtocolError(() => parseBlock(cat(good, group(5, vint(1, 1)).subarray(0, 3))), ProtocolErrorCode.Malformed, 'group');
    // A malformed header, inside the block: protobuf-go fails the whole Unmarshal.
    expectProtocolError(() => parseBlock(cat(len(1, cat(tag(2, 2), [9], bytes(1))), good)), ProtocolErrorCode.Malformed, 'block.header');
    expectProtocolError(() => parseBlock(cat(len(1, vint(1, 2 ** 60)))), ProtocolErrorCode.BadField, 'block.header.number');
  });
});

describe('block metadata decoded as protobuf-go decodes it', () => {
  const lastConfig = (index: number): Uint8Array => {
    const lc = new LastConfig();
    lc.setIndex(index);
    return lc.serializeBinary();
  };
  const block = (): ReturnType<typeof newBlock> => newBlock(9, new Uint8Array(32), [env(1)]);

  it('merges a last_config sent twice in OrdererBlockMetadata (google-protobuf replaced it, index 0)', () => {
    const obm = cat(len(1, lastConfig(7)), len(2, bytes(1)), len(1, new Uint8Array(0)));
    const b = block();
    setBlockMetadata(b, BlockMetadataIndex.SIGNATURES, len(1, obm));
    expect(getLastConfigIndex(b)).toBe(7);
  });

  it('skips known fields with another wire type in Metadata, OrdererBlockMetadata and LastConfig', () => {
    const obm = cat(vint(1, 3), len(1, cat(len(1, bytes(1)), vint(1, 12))), vint(2, 1));
    const b = block();
    setBlockMetadata(b, BlockMetadataIndex.SIGNATURES, cat(vint(1, 1), len(1, obm), vint(2, 4)));
    expect(getLastConfigIndex(b)).toBe(12);

    // Pre-1.4.1 blocks: SIGNATURES without a value, the index in LAST_CONFIG.
    const old = block();
    setBlockMetadata(old, BlockMetadataIndex.SIGNATURES, new Metadata().serializeBinary());
    setBlockMetadata(old, BlockMetadataIndex.LAST_CONFIG, cat(len(1, cat(len(1, bytes(2)), vint(1, 5), vint(7, 1))), vint(2, 0)));
    expect(getLastConfigIndex(old)).toBe(5);
  });

  it('still refuses malformed metadata, naming the slot', () => {
    const b = block();
    setBlockMetadata(b, BlockMetadataIndex.SIGNATURES, cat(len(1, bytes(0x0a, 0x05, 1))));
    expectProtocolError(() => getLastConfigIndex(b), ProtocolErrorCode.Malformed, 'block.metadata[SIGNATURES].value');
    const noLastConfig = new OrdererBlockMetadata();
    noLastConfig.setConsenterMetadata(bytes(1));
    setBlockMetadata(b, BlockMetadataIndex.SIGNATURES, len(1, noLastConfig.serializeBinary()));
    expectProtocolError(() => getLastConfigIndex(b), ProtocolErrorCode.MissingField, 'last_config');
  });
});
