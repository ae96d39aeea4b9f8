import { SerializedIdentity } from '@hyperledger/fabric-protos/lib/msp/identities_pb';
import { ProtocolErrorCode, parseSerializedIdentity, serializeIdentity } from '../../../../core/protocol';
import { expectProtocolError } from './expect-protocol-error';
import { utf8 } from './test-signer';

describe('serialized identities', () => {
  it('round trips msp id and id bytes', () => {
    const bytes = serializeIdentity('Org1MSP', utf8('PEM'));
    expect(parseSerializedIdentity(bytes)).toEqual({ mspId: 'Org1MSP', idBytes: utf8('PEM') });
  });

  it('names the missing field, truncation and size', () => {
    const noMsp = new SerializedIdentity();
    noMsp.setIdBytes(utf8('PEM'));
    expectProtocolError(() => parseSerializedIdentity(noMsp.serializeBinary(), 'creator'), ProtocolErrorCode.MissingField, 'creator.mspid');
    expectProtocolError(() => parseSerializedIdentity(serializeIdentity('Org1MSP', new Uint8Array(0))), ProtocolErrorCode.MissingField, 'id_bytes');
    const good = serializeIdentity('Org1MSP', utf8('PEM'));
    expectProtocolError(() => parseSerializedIdentity(good.subarray(0, 5)), ProtocolErrorCode.Malformed, 'serialized_identity');
    expectProtocolError(() => parseSerializedIdentity(good, 'x', { maxBytes: 4 }), ProtocolErrorCode.TooLarge, 'x');
    expectProtocolError(() => parseSerializedIdentity(new Uint8Array(0)), ProtocolErrorCode.MissingField, 'serialized_identity');
  });
});
