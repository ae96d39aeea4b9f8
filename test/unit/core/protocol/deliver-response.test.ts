import { DeliverResponse } from '@hyperledger/fabric-protos/lib/orderer/ab_pb';
import { Status } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { ProtocolErrorCode, blockDataHash, newBlock, parseBlock } from '../../../../core/protocol';
import { deliverResponseBlock } from '../../../../core/protocol/deliver-response';
import { cat, len, vint } from '../../../support/raw-protobuf';
import { expectProtocolError } from './expect-protocol-error';

/*
 * A Fabric peer's deliver client receives `orderer.DeliverResponse` through gRPC's protobuf-go codec
 * and switches on its oneof (`oneof Type { Status status = 1; Block block = 2; }`). protobuf-go
 * (google.golang.org/protobuf internal/impl/codec_field.go:52-68, `initOneofFieldCoders`) decodes
 * a member seen again into the value already held when it is the same member (merge) and starts a
 * new value when it is the other one (replace); a member with another wire type is an unknown field
 * (decode.go:176-226). Weft's block puller took the first `block` field and ignored the rest.
 */
describe('the block of a DeliverResponse, as protobuf-go reads it', () => {
  const envelopes = [Uint8Array.of(0x0a, 0x01, 0x01)];
  const block = newBlock(4, new Uint8Array(32).fill(2), envelopes).serializeBinary();

  it('returns the block of a plain response as a view of the bytes, and nothing for a status', () => {
    const res = new DeliverResponse();
    res.setBlock(newBlock(4, new Uint8Array(32).fill(2), envelopes));
    const bytes = res.serializeBinary();
    const got = deliverResponseBlock(bytes) as Uint8Array;
    expect(got).toEqual(block);
    expect(got.buffer).toBe(bytes.buffer);
    const status = new DeliverResponse();
    status.setStatus(Status.SUCCESS);
    expect(deliverResponseBlock(status.serializeBinary())).toBeUndefined();
  });

  it('merges a block sent in two parts', () => {
    const header = cat(vint(1, 9), len(3, blockDataHash(envelopes)));
    const got = deliverResponseBlock(cat(len(2, len(1, header)), len(2, len(2, len(1, envelopes[0])))));
    const parsed = parseBlock(got as Uint8Array);
    expect(parsed.number).toBe(9);
    expect(parsed.envelopes).toEqual(envelopes);
  });

  it('lets the last member of the oneof win: a status after a block is a status, a block after a status a block', () => {
    expect(deliverResponseBlock(cat(len(2, block), vint(1, Status.SUCCESS)))).toBeUndefined();
    expect(deliverResponseBlock(cat(len(2, block), vint(1, 0)))).toBeUndefined();
    expect(deliverResponseBlock(cat(vint(1, Status.NOT_FOUND), len(2, block)))).toEqual(block);
    // The block before the status is dropped with it, not merged into the one after.
    const next = newBlock(5, new Uint8Array(32), envelopes).serializeBinary();
    expect(deliverResponseBlock(cat(len(2, block), vint(1, 200), len(2, next)))).toEqual(next);
  });

  it('skips a member with another wire type and refuses malformed bytes', () => {
    expect(deliverResponseBlock(cat(len(1, Uint8Array.of(1)), vint(2, 3), len(2, block)))).toEqual(block);
    expect(deliverResponseBlock(cat(len(2, block), vint(2, 3)))).toEqual(block);
    expectProtocolError(() => deliverResponseBlock(cat(len(2, block), Uint8Array.of(0x12, 0x09, 0x01))), ProtocolErrorCode.Malformed, 'deliver_response');
  });
});
