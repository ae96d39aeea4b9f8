import { ConfigUpdate } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { ProtocolErrorCode, decode, guard } from '../../../../core/protocol';
import { expectProtocolError } from './expect-protocol-error';

/** 70,000 bytes of 'k' (0x6b): each is a start-group tag of field 13, so google-protobuf recurses once per byte. */
const NESTED_GROUPS = Buffer.alloc(70_000, 'k');

describe('decode and guard', () => {
  it('turn a stack overflow in google-protobuf (groups nested without end) into PROTOCOL_MALFORMED naming the path', () => {
    const err = expectProtocolError(() => decode(ConfigUpdate, NESTED_GROUPS, 'config_update_envelope.config_update'), ProtocolErrorCode.Malformed);
    expect(err.message).toBe('config_update_envelope.config_update: cannot decode 70000 bytes: groups or messages nested too deeply');
    const guarded = expectProtocolError(() => guard('config_envelope', () => ConfigUpdate.deserializeBinary(NESTED_GROUPS)), ProtocolErrorCode.Malformed);
    expect(guarded.message).toBe('config_envelope: groups or messages nested too deeply');
  });

  it('name a decoder failure by its own message', () => {
    const err = expectProtocolError(() => decode(ConfigUpdate, Uint8Array.of(0x0a, 0x05, 0x61), 'update'), ProtocolErrorCode.Malformed, 'update: cannot decode 3 bytes: ');
    expect(err.message).not.toMatch(/nested too deeply/);
  });
});
