import type { Config } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { Capabilities, Capability } from '@hyperledger/fabric-protos/lib/common/configuration_pb';
import { ConfigGroup, ConfigValue } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { MSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { ConsensusType } from '@hyperledger/fabric-protos/lib/orderer/configuration_pb';
import { type ChannelDefinitionInput, allowsConsensusTypeMigration, buildConfigBlock, configSuccessionProblem, parseConfigBlock } from '../../../../core/protocol';
import { mspConfig } from './msp-config-fixture';
import { utf8 } from './test-signer';

const definition: ChannelDefinitionInput = {
  channelId: 'mychannel',
  applicationOrgs: [{ mspId: 'Org1MSP', mspConfig: mspConfig('Org1MSP') }],
  ordererOrgs: [{ mspId: 'OrdererMSP', name: 'OrdererOrg', mspConfig: mspConfig('OrdererMSP'), endpoints: ['orderer.example.com:7050'] }],
  consensusType: { type: 'solo' },
};

const current = (): Config => parseConfigBlock(buildConfigBlock(definition)).config;
const groups = (c: Config) => (c.getChannelGroup() as ConfigGroup).getGroupsMap();
const changed = (edit: (c: Config) => void): Config => {
  const c = current();
  edit(c);
  return c;
};

function setMspId(org: ConfigGroup | undefined, mspId: string): void {
  const value = org?.getValuesMap().get('MSP') as ConfigValue;
  const msp = MSPConfig.deserializeBinary(value.getValue_asU8());
  msp.setConfig(mspConfig(mspId).serializeBinary());
  value.setValue(msp.serializeBinary());
}

describe('configSuccessionProblem (Fabric Bundle.ValidateNew)', () => {
  it('lets a config follow with changed values, new orgs and dropped orgs', () => {
    const next = changed((c) => {
      groups(c).get('Application')?.getGroupsMap().del('Org1MSP');
      const org2 = new ConfigGroup();
      groups(c).get('Application')?.getGroupsMap().set('Org2MSP', org2);
      groups(c).get('Orderer')?.getValuesMap().get('BatchTimeout')?.setValue(utf8('ignored by this check'));
    });
    expect(configSuccessionProblem(current(), next)).toBeUndefined();
  });

  it.each([
    ['dropping the Orderer group', (c: Config) => groups(c).del('Orderer'), /current config has orderer section, but new config does not/],
    ['dropping the Application group', (c: Config) => groups(c).del('Application'), /current config has application section, but new config does not/],
    [
      'changing the consensus type',
      (c: Config) => {
        const type = new ConsensusType();
        type.setType('etcdraft');
        groups(c).get('Orderer')?.getValuesMap().get('ConsensusType')?.setValue(type.serializeBinary());
      },
      /attempted to change consensus type from solo to etcdraft/,
    ],
    ['renaming an application org MSP', (c: Config) => setMspId(groups(c).get('Application')?.getGroupsMap().get('Org1MSP'), 'Other'), /application org Org1MSP attempted to change MSP ID from Org1MSP to Other/],
    ['renaming an orderer org MSP', (c: Config) => setMspId(groups(c).get('Orderer')?.getGroupsMap().get('OrdererOrg'), 'Other'), /orderer org OrdererOrg attempted to change MSP ID from OrdererMSP to Other/],
    ['adding a Consortiums group', (c: Config) => groups(c).set('Consortiums', new ConfigGroup()), /current config has no consortiums section, but new config does/],
  ])('refuses %s', (_what, edit, why) => {
    expect(configSuccessionProblem(current(), changed(edit))).toMatch(why);
  });

  const withCapabilities = (channel: string, orderers = definition.ordererOrgs): Config => {
    // NewBundle refuses a V3_0 config whose orderer org has no endpoints, so the builder will not
    // write one: build it at V2_0 and raise the capability by hand, as a forged block could.
    const built = channel === 'V3_0' && orderers.some((o) => (o.endpoints ?? []).length === 0) ? 'V2_0' : channel;
    const config = parseConfigBlock(buildConfigBlock({ ...definition, ordererOrgs: orderers, capabilities: { channel: built, orderer: 'V2_0', application: 'V2_5' } })).config;
    const caps = new Capabilities();
    caps.getCapabilitiesMap().set(channel, new Capability());
    (config.getChannelGroup() as ConfigGroup).getValuesMap().get('Capabilities')?.setValue(caps.serializeBinary());
    return config;
  };

  it("lets peers follow a consensus type migration where the channel's capabilities allow one (Fabric's ConsensusTypeMigration)", () => {
    const toRaft = (c: Config): Config => {
      const type = new ConsensusType();
      type.setType('etcdraft');
      groups(c).get('Orderer')?.getValuesMap().get('ConsensusType')?.setValue(type.serializeBinary());
      return c;
    };
    for (const channel of ['V1_4_2', 'V2_0', 'V3_0']) {
      expect(allowsConsensusTypeMigration(withCapabilities(channel))).toBe(true);
      expect(configSuccessionProblem(withCapabilities(channel), toRaft(withCapabilities(channel)), { consensusTypeChange: true })).toBeUndefined();
    }
    expect(allowsConsensusTypeMigration(withCapabilities('V1_3'))).toBe(false);
  });

  it('refuses moving a channel to V3_0 while an orderer org names no endpoints of its own', () => {
    const noEndpoints = [{ ...definition.ordererOrgs[0]!, endpoints: [] }];
    expect(configSuccessionProblem(withCapabilities('V2_0', noEndpoints), withCapabilities('V3_0', noEndpoints))).toBe('illegal orderer config update detected: endpoints of org OrdererOrg are missing');
    expect(configSuccessionProblem(withCapabilities('V2_0'), withCapabilities('V3_0'))).toBeUndefined();
    // Already at V3_0: nothing moves, nothing is checked (Fabric's isOldV3).
    expect(configSuccessionProblem(withCapabilities('V3_0', noEndpoints), withCapabilities('V3_0', noEndpoints))).toBeUndefined();
  });
});
