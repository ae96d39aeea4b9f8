import { Config, ConfigGroup, ConfigUpdate } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { ProtocolErrorCode, buildConfigBlock, parseConfigBlock } from '../../../../core/protocol';
import { canonicalBytes, decodeConfigProto, unknownFields } from '../../../../core/protocol/config-decode';
import { ConfigGroupSchema, ConfigSchema, ConfigUpdateSchema } from '../../../../core/protocol/config-schemas';
import { expectProtocolError } from './expect-protocol-error';
import { mspConfig } from './msp-config-fixture';

const cat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));
const len = (field: number, content: Uint8Array): Uint8Array => cat(Uint8Array.of(field * 8 + 2, content.length), content);
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('protobuf-go-conformant config decoding', () => {
  it('reads a well-formed config exactly as google-protobuf does', () => {
    const bytes = parseConfigBlock(
      buildConfigBlock({
        channelId: 'mychannel',
        applicationOrgs: [{ mspId: 'Org1MSP', mspConfig: mspConfig('Org1MSP'), anchorPeers: [{ host: 'peer0', port: 7051 }] }],
        ordererOrgs: [{ mspId: 'OrdererMSP', mspConfig: mspConfig('OrdererMSP'), endpoints: ['orderer:7050'] }],
      }),
    ).configBytes;
    expect(decodeConfigProto(Config, ConfigSchema, bytes, 'config').toObject()).toEqual(Config.deserializeBinary(bytes).toObject());
  });

  it('replaces a map entry whose key comes again, and reads an entry without a value as an empty message', () => {
    const entry = (key: string, group: Uint8Array): Uint8Array => len(2, cat(len(1, text(key)), len(2, group)));
    // Groups A (version 1), A again (mod_policy X), B with no value at all.
    const bytes = cat(entry('A', Uint8Array.of(0x08, 0x01)), entry('A', len(5, text('X'))), len(2, len(1, text('B'))));
    const group = decodeConfigProto(ConfigGroup, ConfigGroupSchema, bytes, 'group');
    const expected = new ConfigGroup();
    expected.setModPolicy('X');
    expect(group.getGroupsMap().get('A')?.toObject()).toEqual(expected.toObject());
    expect(group.getGroupsMap().get('B')?.toObject()).toEqual(new ConfigGroup().toObject());
  });

  it('reads the last of a repeated scalar, drops unknown fields and writes one canonical encoding', () => {
    const bytes = cat(Uint8Array.of(0x08, 0x05), Uint8Array.of(0xf8, 0x01, 0x07), Uint8Array.of(0x08, 0x00), len(5, text('Admins')));
    expect([...canonicalBytes(bytes, ConfigGroupSchema, 'group')]).toEqual([...len(5, text('Admins'))]);
  });

  it("checks a config update's isolated data keys (map<string, bytes>) and channel id as UTF-8", () => {
    const isolated = len(5, cat(len(1, text('k')), len(2, Uint8Array.of(0xff))));
    const update = decodeConfigProto(ConfigUpdate, ConfigUpdateSchema, cat(len(1, text('ch')), isolated), 'update');
    expect(update.getChannelId()).toBe('ch');
    expect([...(update.getIsolatedDataMap().get('k') as Uint8Array)]).toEqual([0xff]);
    expectProtocolError(() => decodeConfigProto(ConfigUpdate, ConfigUpdateSchema, len(5, len(1, Uint8Array.of(0xc0, 0x80))), 'update'), ProtocolErrorCode.Malformed, 'UTF-8');
    expectProtocolError(() => decodeConfigProto(ConfigUpdate, ConfigUpdateSchema, len(1, Uint8Array.of(0xed, 0xa0, 0x80)), 'update'), ProtocolErrorCode.Malformed, 'UTF-8');
  });

  it('keeps a leading byte order mark, as Go strings do', () => {
    const update = decodeConfigProto(ConfigUpdate, ConfigUpdateSchema, len(1, Uint8Array.of(0xef, 0xbb, 0xbf, 0x61)), 'update');
    expect(update.getChannelId()).toBe('\ufeffa');
  });

  it('refuses truncated input and field number 0 as protobuf-go does', () => {
    expectProtocolError(() => canonicalBytes(Uint8Array.of(0x12, 0x05, 0x01), ConfigSchema, 'config'), ProtocolErrorCode.Malformed, 'config');
    expectProtocolError(() => canonicalBytes(Uint8Array.of(0x00, 0x01), ConfigSchema, 'config'), ProtocolErrorCode.Malformed, 'config');
  });

  it("lists the unknown fields protobuf-go keeps (a known field with another wire type is one), not a map entry's", () => {
    const entry = len(2, cat(len(1, text('A')), len(2, Uint8Array.of(0x48, 0x01)), Uint8Array.of(0x18, 0x01)));
    const bytes = cat(Uint8Array.of(0x48, 0x01), entry, Uint8Array.of(0x28, 0x01));
    expect(unknownFields(bytes, ConfigGroupSchema, 'g')).toEqual(['g.9', 'g.2["A"].9', 'g.5']);
    expect(unknownFields(cat(len(5, text('Admins'))), ConfigGroupSchema, 'g')).toEqual([]);
  });
});
