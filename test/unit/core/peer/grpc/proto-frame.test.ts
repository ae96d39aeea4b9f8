import { Block, BlockHeader } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { DeliverResponse } from '@hyperledger/fabric-protos/lib/peer/events_pb';
import { statusResponse } from '../../../../../core/peer/deliver/deliver-service';
import { lengthDelimitedField } from '../../../../../core/peer/grpc/proto-frame';

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
});
