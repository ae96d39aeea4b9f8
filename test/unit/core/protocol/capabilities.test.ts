import { Config } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { ProtocolError } from '../../../../core/errors';
import { buildChannelGroup, type ChannelDefinitionInput } from '../../../../core/protocol';
import { requiredCapabilities, SUPPORTED_CAPABILITIES, unsupportedCapability } from '../../../../core/protocol/capabilities';
import { mspConfig } from './msp-config-fixture';

const definition: ChannelDefinitionInput = {
  channelId: 'mychannel',
  applicationOrgs: [{ mspId: 'Org1MSP', mspConfig: mspConfig('Org1MSP') }],
  ordererOrgs: [{ mspId: 'OrdererMSP', mspConfig: mspConfig('OrdererMSP'), endpoints: ['orderer.example.com:7050'] }],
  consensusType: { type: 'solo' },
};

function config(capabilities: ChannelDefinitionInput['capabilities']): Config {
  const c = new Config();
  c.setChannelGroup(buildChannelGroup({ ...definition, capabilities }));
  return c;
}

describe('capabilities (Fabric common/capabilities)', () => {
  it('reads the names each level requires', () => {
    expect(requiredCapabilities(config({ channel: 'V3_0', orderer: 'V2_0', application: 'V2_5' }))).toEqual({
      channel: ['V3_0'],
      orderer: ['V2_0'],
      application: ['V2_5'],
    });
  });

  it('supports exactly the names Fabric 3 knows', () => {
    expect(SUPPORTED_CAPABILITIES).toEqual({
      channel: ['V1_1', 'V1_3', 'V1_4_2', 'V1_4_3', 'V2_0', 'V3_0'],
      orderer: ['V1_1', 'V1_4_2', 'V2_0'],
      application: ['V1_1', 'V1_2', 'V1_3', 'V1_4_2', 'V2_0', 'V2_5', 'V1_1_PVTDATA_EXPERIMENTAL', 'V1_1_RESOURCETREE_EXPERIMENTAL'],
    });
    const every = requiredCapabilities(config({ channel: 'V1_4_3', orderer: 'V1_4_2', application: 'V1_2' }));
    expect(unsupportedCapability(every, ['channel', 'orderer', 'application'])).toBeUndefined();
  });

  it.each([
    [{ channel: 'V9_9', orderer: 'V2_0', application: 'V2_5' }, ['channel', 'orderer'], 'channel', 'V9_9', '/Channel/Capabilities', /config requires unsupported channel capabilities: Channel capability V9_9 is required but not supported/],
    [{ channel: 'V3_0', orderer: 'V3_0', application: 'V2_5' }, ['channel', 'orderer'], 'orderer', 'V3_0', '/Channel/Orderer/Capabilities', /Orderer capability V3_0 is required but not supported.*supports V1_1, V1_4_2, V2_0/],
    [{ channel: 'V3_0', orderer: 'V2_0', application: 'V2_6' }, ['channel', 'application'], 'application', 'V2_6', '/Channel/Application/Capabilities', /Application capability V2_6/],
  ] as const)('names the first unsupported one: %o', (caps, levels, level, name, path, message) => {
    const found = unsupportedCapability(requiredCapabilities(config(caps)), levels);
    expect(found).toMatchObject({ level, name, path });
    expect(found?.message).toMatch(message);
  });

  it('checks only the levels it is asked for (the orderer ignores application capabilities, a peer orderer ones)', () => {
    const required = requiredCapabilities(config({ channel: 'V3_0', orderer: 'V9_9', application: 'V9_9' }));
    expect(unsupportedCapability(required, ['channel'])).toBeUndefined();
    expect(unsupportedCapability(required, ['channel', 'application'])?.level).toBe('application');
  });

  it('throws a ProtocolError naming a Capabilities value that does not decode', () => {
    const c = config({ channel: 'V3_0', orderer: 'V2_0', application: 'V2_5' });
    c.getChannelGroup()!.getGroupsMap().get('Orderer')!.getValuesMap().get('Capabilities')!.setValue(Buffer.from([0xff, 0xff]));
    expect(() => requiredCapabilities(c)).toThrow(ProtocolError);
    expect(() => requiredCapabilities(c)).toThrow(/\/Channel\/Orderer\/Capabilities/);
  });

  it('reads a config without groups or Capabilities values as requiring nothing', () => {
    expect(requiredCapabilities(new Config())).toEqual({ channel: [], orderer: [], application: [] });
  });
});
