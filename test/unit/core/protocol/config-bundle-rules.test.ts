import { HeaderType } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { BlockDataHashingStructure, Capabilities, Capability, HashingAlgorithm, OrdererAddresses } from '@hyperledger/fabric-protos/lib/common/configuration_pb';
import { Config, ConfigEnvelope, ConfigGroup, ConfigValue } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { MSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { BatchSize, BatchTimeout } from '@hyperledger/fabric-protos/lib/orderer/configuration_pb';
import { ACLs, APIResource } from '@hyperledger/fabric-protos/lib/peer/configuration_pb';
import { ConfigError } from '../../../../core/errors';
import { type ChannelDefinitionInput, ProtocolErrorCode, buildConfigBlock, buildEnvelope, newBlock, parseChannelConfig, parseConfigBlock } from '../../../../core/protocol';
import { parseGoDurationNanos } from '../../../../core/protocol/go-time-duration';
import { expectProtocolError } from './expect-protocol-error';
import { mspConfig } from './msp-config-fixture';

/**
 * The checks of Fabric's `channelconfig.NewBundle` that every node runs on a config before it
 * applies it (common/channelconfig: channel.go, orderer.go, application.go, organization.go,
 * msp.go, util.go), and config bytes decoded as protobuf-go decodes them. A config one Fabric node
 * refuses and a Weft node applies (or the reverse) forks a mixed channel.
 */
const definition: ChannelDefinitionInput = {
  channelId: 'mychannel',
  applicationOrgs: [{ mspId: 'Org1MSP', mspConfig: mspConfig('Org1MSP') }],
  ordererOrgs: [{ mspId: 'OrdererMSP', name: 'OrdererOrg', mspConfig: mspConfig('OrdererMSP'), endpoints: ['orderer.example.com:7050'] }],
  consensusType: { type: 'etcdraft' },
};

const base = (caps?: ChannelDefinitionInput['capabilities']): Config => Config.deserializeBinary(parseConfigBlock(buildConfigBlock({ ...definition, capabilities: caps })).configBytes);
const root = (c: Config): ConfigGroup => c.getChannelGroup() as ConfigGroup;
const group = (c: Config, ...names: string[]): ConfigGroup => names.reduce((g, n) => g.getGroupsMap().get(n) as ConfigGroup, root(c));

function setValue(g: ConfigGroup, key: string, bytes: Uint8Array): void {
  const v = new ConfigValue();
  v.setModPolicy('Admins');
  v.setValue(bytes);
  g.getValuesMap().set(key, v);
}

function edited(edit: (c: Config) => void, caps?: ChannelDefinitionInput['capabilities']): Uint8Array {
  const c = base(caps);
  edit(c);
  return c.serializeBinary();
}

const cat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));
/** A length-delimited field `field` holding `content` (content shorter than 128 bytes). */
const len = (field: number, content: Uint8Array): Uint8Array => cat(Uint8Array.of(field * 8 + 2, content.length), content);
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('config bytes decode as protobuf-go decodes them', () => {
  it('reads a known field sent with another wire type as an unknown field, where google-protobuf throws', () => {
    const size = new BatchSize();
    size.setMaxMessageCount(7);
    size.setAbsoluteMaxBytes(1000);
    size.setPreferredMaxBytes(100);
    // Field 1 as a length-delimited field first: protobuf-go keeps it as an unknown field.
    const bytes = cat(len(1, Uint8Array.of(5)), size.serializeBinary());
    expect(() => BatchSize.deserializeBinary(bytes)).toThrow();
    const view = parseChannelConfig(edited((c) => setValue(group(c, 'Orderer'), 'BatchSize', bytes)));
    expect(view.batchSize).toEqual({ maxMessageCount: 7, absoluteMaxBytes: 1000, preferredMaxBytes: 100 });
  });

  it('refuses a string that is not UTF-8, which google-protobuf reads silently', () => {
    const timeout = len(1, cat(text('2s'), Uint8Array.of(0xff)));
    expect(BatchTimeout.deserializeBinary(timeout).getTimeout()).toBe('2s');
    expectProtocolError(() => parseChannelConfig(edited((c) => setValue(group(c, 'Orderer'), 'BatchTimeout', timeout))), ProtocolErrorCode.Malformed, 'not valid UTF-8');
    // In a map key and a mod_policy of the config tree itself, and in a value no node uses.
    const badKey = cat(edited(() => undefined), len(2, len(2, cat(len(1, Uint8Array.of(0x4f, 0xc3)), len(2, new Uint8Array(0))))));
    expectProtocolError(() => parseChannelConfig(badKey), ProtocolErrorCode.Malformed, 'not valid UTF-8');
    expectProtocolError(
      () => parseChannelConfig(edited((c) => setValue(group(c, 'Orderer'), 'KafkaBrokers', len(1, Uint8Array.of(0x80))))),
      ProtocolErrorCode.Malformed,
      '/Channel/Orderer/KafkaBrokers',
    );
  });

  it('merges a config sent in two occurrences, as protobuf-go merges a repeated singular message', () => {
    const whole = base();
    const first = new Config();
    first.setSequence(9);
    const second = new Config();
    second.setChannelGroup(root(whole));
    const data = cat(len(1, first.serializeBinary()), long(1, second.serializeBinary()));
    // google-protobuf keeps only the second occurrence.
    expect(ConfigEnvelope.deserializeBinary(data).getConfig()?.getSequence()).toBe(0);
    const envelope = buildEnvelope({ type: HeaderType.CONFIG, channelId: 'mychannel', data, version: 1 });
    const parsed = parseConfigBlock(newBlock(0, new Uint8Array(0), [envelope]));
    expect(parsed.sequence).toBe(9);
    expect(parsed.batchTimeout).toBe('2s');
  });
});

/** A length-delimited field of any length. */
function long(field: number, content: Uint8Array): Uint8Array {
  const size: number[] = [];
  for (let v = content.length; ; v = Math.floor(v / 128)) {
    if (v < 128) {
      size.push(v);
      break;
    }
    size.push((v % 128) | 0x80);
  }
  return cat(Uint8Array.of(field * 8 + 2, ...size), content);
}

function capabilities(...names: string[]): Uint8Array {
  const caps = new Capabilities();
  for (const n of names) caps.getCapabilitiesMap().set(n, new Capability());
  return caps.serializeBinary();
}

function addresses(...list: string[]): Uint8Array {
  const a = new OrdererAddresses();
  a.setAddressesList(list);
  return a.serializeBinary();
}

describe("the rules of Fabric's NewBundle", () => {
  it.each<[string, (c: Config) => void, string]>([
    ['a value key no Fabric group has', (c) => setValue(group(c, 'Application'), 'Foo', new Uint8Array(0)), 'Unexpected key Foo'],
    ['a value key of another group', (c) => setValue(group(c, 'Application', 'Org1MSP'), 'Endpoints', addresses('a:1')), 'Unexpected key Endpoints'],
    ['a channel group other than Orderer, Application and Consortiums', (c) => root(c).getGroupsMap().set('Extra', new ConfigGroup()), 'Disallowed channel group: Extra'],
    ['an org with sub-groups', (c) => group(c, 'Application', 'Org1MSP').getGroupsMap().set('Sub', new ConfigGroup()), 'does not allow sub-groups'],
    [
      'a hashing algorithm other than SHA256 and SHA3_256',
      (c) => {
        const h = new HashingAlgorithm();
        h.setName('MD5');
        setValue(root(c), 'HashingAlgorithm', h.serializeBinary());
      },
      'Unknown hashing algorithm type',
    ],
    [
      'a block data hashing width other than MaxUint32',
      (c) => {
        const w = new BlockDataHashingStructure();
        w.setWidth(16);
        setValue(root(c), 'BlockDataHashingStructure', w.serializeBinary());
      },
      'width only supported at MaxUint32',
    ],
    ['global OrdererAddresses under V3_0', (c) => setValue(root(c), 'OrdererAddresses', addresses('o:7050')), 'not allowed with V3_0'],
    ['a V3_0 orderer org without endpoints', (c) => group(c, 'Orderer', 'OrdererOrg').getValuesMap().del('Endpoints'), 'endpoints are empty: [OrdererOrg]'],
    ['a batch timeout Go reads as 0 (fractions of a nanosecond are truncated)', (c) => setValue(group(c, 'Orderer'), 'BatchTimeout', len(1, text('0.0000000001s'))), 'non-positive'],
    ['a batch timeout past 2^63-1 ns', (c) => setValue(group(c, 'Orderer'), 'BatchTimeout', len(1, text('9999999999h'))), 'invalid duration'],
    [
      'an MSP type neither FABRIC nor IDEMIX',
      (c) => {
        const msp = new MSPConfig();
        msp.setType(2);
        setValue(group(c, 'Application', 'Org1MSP'), 'MSP', msp.serializeBinary());
      },
      'unsupported msp type 2',
    ],
    [
      'one MSP ID defined twice with different configs',
      (c) => {
        const msp = new MSPConfig();
        const other = mspConfig('OrdererMSP');
        other.addAdmins(text('another admin'));
        msp.setConfig(other.serializeBinary());
        setValue(group(c, 'Application', 'Org1MSP'), 'MSP', msp.serializeBinary());
      },
      'two different versions of MSP: OrdererMSP',
    ],
    ['channel capabilities while the Orderer group has none', (c) => group(c, 'Orderer').getValuesMap().del('Capabilities'), 'without orderer support first'],
  ])('refuses %s', (_what, edit, message) => {
    const err = expectProtocolError(() => parseChannelConfig(edited(edit)), ProtocolErrorCode.BadField);
    expect(err.message).toContain(message);
  });

  it('refuses an org without an MSP (Fabric sets up an empty one: no MSP ID)', () => {
    const err = expectProtocolError(() => parseChannelConfig(edited((c) => group(c, 'Application', 'Org1MSP').getValuesMap().del('MSP'))), ProtocolErrorCode.MissingField);
    expect(err.message).toContain('MSP for org Org1MSP has empty MSP ID');
  });

  it('refuses, below channel V1_4_2, org endpoints and a config naming no orderer address', () => {
    const old = { channel: 'V1_3', orderer: 'V1_1', application: 'V1_3' };
    const view = parseChannelConfig(edited(() => undefined, old));
    expect(view.ordererAddresses).toEqual(['orderer.example.com:7050']);
    const endpoints = (c: Config) => setValue(group(c, 'Orderer', 'OrdererOrg'), 'Endpoints', addresses('o:7050'));
    expect(expectProtocolError(() => parseChannelConfig(edited(endpoints, old)), ProtocolErrorCode.BadField).message).toContain('cannot contain endpoints value until V1_4_2');
    const none = (c: Config) => root(c).getValuesMap().del('OrdererAddresses');
    expect(expectProtocolError(() => parseChannelConfig(edited(none, old)), ProtocolErrorCode.BadField).message).toContain('Must set some OrdererAddresses');
  });

  it('refuses ACLs below application V1_2, and keeps their references as Fabric resolves them', () => {
    const acls = new ACLs();
    for (const [resource, ref] of [
      ['peer/Propose', 'Writers'],
      ['qscc/GetChainInfo', '/Channel/Application/Readers'],
      ['event/Block', ''],
    ]) {
      const api = new APIResource();
      api.setPolicyRef(ref);
      acls.getAclsMap().set(resource, api);
    }
    const view = parseChannelConfig(edited((c) => setValue(group(c, 'Application'), 'ACLs', acls.serializeBinary())));
    expect([...view.acls.entries()].sort()).toEqual([
      ['peer/Propose', '/Channel/Application/Writers'],
      ['qscc/GetChainInfo', '/Channel/Application/Readers'],
    ]);
    const v11 = (c: Config) => {
      setValue(group(c, 'Application'), 'Capabilities', capabilities('V1_1'));
      setValue(group(c, 'Application'), 'ACLs', acls.serializeBinary());
    };
    expect(expectProtocolError(() => parseChannelConfig(edited(v11)), ProtocolErrorCode.BadField).message).toContain('ACLs may not be specified');
  });

  it('accepts what Fabric accepts: SHA3_256, a signed Go duration, one MSP in two orgs, no ConsensusType', () => {
    const view = parseChannelConfig(
      edited((c) => {
        const h = new HashingAlgorithm();
        h.setName('SHA3_256');
        setValue(root(c), 'HashingAlgorithm', h.serializeBinary());
        setValue(group(c, 'Orderer'), 'BatchTimeout', len(1, text('+1.5s')));
        group(c, 'Application').getGroupsMap().set('Copy', group(c, 'Orderer', 'OrdererOrg').clone());
        group(c, 'Application', 'Copy').getValuesMap().del('Endpoints');
        group(c, 'Orderer').getValuesMap().del('ConsensusType');
      }),
    );
    expect(view.batchTimeoutMs).toBe(1500);
    expect(view.applicationOrgs.map((o) => o.mspId)).toEqual(['OrdererMSP', 'Org1MSP']);
    expect(view.consensusType.type).toBe('');
  });

  it("builds only configs Fabric accepts: the builder refuses a V3_0 orderer org without endpoints", () => {
    expect(() => buildConfigBlock({ ...definition, ordererOrgs: [{ ...definition.ordererOrgs[0]!, endpoints: [] }] })).toThrow(ConfigError);
    expect(() => buildConfigBlock({ ...definition, batchTimeout: '0.0000000001s' })).toThrow(ConfigError);
  });
});

describe("Go's time.ParseDuration", () => {
  it.each([
    ['2s', 2_000_000_000n],
    ['+2s', 2_000_000_000n],
    ['-1m', -60_000_000_000n],
    ['1.5h', 5_400_000_000_000n],
    ['1h2m3s4ms5us6ns', 3_723_004_005_006n],
    ['1.s', 1_000_000_000n],
    ['.5ms', 500_000n],
    ['0', 0n],
    ['0.0000000001s', 0n],
    ['2\u00b5s', 2000n],
    ['9223372036854775807ns', 9_223_372_036_854_775_807n],
  ])('reads %s', (input, nanos) => {
    expect(parseGoDurationNanos(input)).toBe(nanos);
  });

  it.each(['', '2', 's', '.s', '2x', '2s junk', '9223372036854775808ns', '9999999999h', '--1s'])('refuses %j', (input) => {
    expect(() => parseGoDurationNanos(input)).toThrow(/^time: /);
  });
});
