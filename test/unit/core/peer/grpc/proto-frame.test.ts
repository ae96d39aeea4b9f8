import { Block, BlockHeader } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { DeliverResponse } from '@hyperledger/fabric-protos/lib/peer/events_pb';
import { statusResponse } from '../../../../../core/peer/deliver/deliver-service';
import { lengthDelimitedField, readLengthDelimitedField } from '../../../../../core/peer/grpc/proto-frame';

describe('hand-framed Deliver responses', () => {
  it('wraps stored block bytes as DeliverResponse.block without re-encoding them', () => {
    const header = new BlockHeader();
    header.setNumber(300);
    header.setDataHash(new Uint8Array(200).fill(7));
    const block = new Block();
    block.setHeader(header);
    const bytes = block.serializeBinary();
    const res = DeliverResponse.deserializeBinary(lengthDelimitedField(2, bytes));
    expect(res.getTypeCase()).toBe(DeliverResponse.TypeCase.BLOCK);
    expect(res.getBlock()?.serializeBinary()).toEqual(bytes);
  });

  it('encodes statuses as DeliverResponse.status', () => {
    for (const status of [200, 400, 403, 404, 503]) expect(DeliverResponse.deserializeBinary(statusResponse(status)).getStatus()).toBe(status);
  });

  it('reads a length-delimited field back without decoding it, skipping other fields', () => {
    const block = new Uint8Array(300).fill(5);
    const framed = Uint8Array.from([0x08, 0x96, 0x01, ...lengthDelimitedField(2, block)]);
    expect(readLengthDelimitedField(framed, 2)).toEqual(block);
    expect(readLengthDelimitedField(statusResponse(200), 2)).toBeUndefined();
    expect(() => readLengthDelimitedField(framed.subarray(0, framed.length - 1), 2)).toThrow(/runs past the end/);
  });
});
