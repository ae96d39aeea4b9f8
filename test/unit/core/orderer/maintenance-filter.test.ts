import { randomBytes } from 'node:crypto';
import { Config, ConfigGroup, ConfigUpdate, ConfigUpdateEnvelope, ConfigValue } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { ConsensusType } from '@hyperledger/fabric-protos/lib/orderer/configuration_pb';
import { readOrdererConfig, type ChannelConfig } from '../../../../core/orderer/channel-config';
import { maintenanceProblem } from '../../../../core/orderer/maintenance-filter';
import { buildChannelGroup, type ChannelDefinitionInput } from '../../../../core/protocol';
import { mspConfig } from '../protocol/msp-config-fixture';

/** A `ConsensusType.State` value. */
type ConsensusState = (typeof ConsensusType.State)[keyof typeof ConsensusType.State];

const NORMAL = ConsensusType.State.STATE_NORMAL;
const MAINTENANCE = ConsensusType.State.STATE_MAINTENANCE;

const definition: ChannelDefinitionInput = {
  channelId: 'mychannel',
  applicationOrgs: [{ mspId: 'Org1MSP', mspConfig: mspConfig('Org1MSP') }],
  ordererOrgs: [{ mspId: 'OrdererMSP', mspConfig: mspConfig('OrdererMSP'), endpoints: ['orderer.example.com:7050'] }],
  consensusType: { type: 'solo' },
};

/** A channel config in `state`, with `metadata` as the consensus metadata. */
function channelConfig(state: ConsensusState, options: { metadata?: Uint8Array; ordererCapability?: string } = {}): ChannelConfig {
  const group = buildChannelGroup({ ...definition, capabilities: { channel: 'V3_0', orderer: options.ordererCapability ?? 'V2_0', application: 'V2_5' } });
  const value = group.getGroupsMap().get('Orderer')!.getValuesMap().get('ConsensusType')!;
  const type = ConsensusType.deserializeBinary(value.getValue_asU8());
  type.setState(state);
  if (options.metadata !== undefined) type.setMetadata(options.metadata);
  value.setValue(type.serializeBinary());
  const config = new Config();
  config.setChannelGroup(group);
  return readOrdererConfig('mychannel', config);
}

/** The ConfigUpdateEnvelope bytes of an update whose write set holds `values` at /Channel/Orderer (and `channelValues` at /Channel). */
function updateWriting(values: string[], options: { channelValues?: string[]; otherGroup?: string; ordererGroups?: string[] } = {}): Uint8Array {
  const orderer = new ConfigGroup();
  for (const v of values) orderer.getValuesMap().set(v, new ConfigValue());
  for (const g of options.ordererGroups ?? []) orderer.getGroupsMap().set(g, new ConfigGroup());
  const write = new ConfigGroup();
  write.getGroupsMap().set('Orderer', orderer);
  for (const v of options.channelValues ?? []) write.getValuesMap().set(v, new ConfigValue());
  if (options.otherGroup !== undefined) write.getGroupsMap().set(options.otherGroup, new ConfigGroup());
  const update = new ConfigUpdate();
  update.setChannelId('mychannel');
  update.setWriteSet(write);
  const envelope = new ConfigUpdateEnvelope();
  envelope.setConfigUpdate(update.serializeBinary());
  return envelope.serializeBinary();
}

describe('maintenanceProblem (Fabric maintenancefilter.go inspect)', () => {
  it('lets a channel enter and leave maintenance with a ConsensusType-only update', () => {
    expect(maintenanceProblem(channelConfig(NORMAL), channelConfig(MAINTENANCE), updateWriting(['ConsensusType']))).toBeUndefined();
    expect(maintenanceProblem(channelConfig(MAINTENANCE), channelConfig(NORMAL), updateWriting(['ConsensusType']))).toBeUndefined();
  });

  it('leaves updates that keep the state alone, in either state', () => {
    expect(maintenanceProblem(channelConfig(NORMAL), channelConfig(NORMAL), updateWriting(['BatchSize', 'BatchTimeout'], { otherGroup: 'Application' }))).toBeUndefined();
    expect(maintenanceProblem(channelConfig(MAINTENANCE), channelConfig(MAINTENANCE), updateWriting(['BatchTimeout']))).toBeUndefined();
  });

  it.each([
    ['another orderer value', updateWriting(['ConsensusType', 'BatchTimeout']), /changes other values of \/Channel\/Orderer too \(BatchTimeout, ConsensusType\)/],
    ['a /Channel value', updateWriting(['ConsensusType'], { channelValues: ['Capabilities'] }), /changes values of \/Channel \(Capabilities\)/],
    ['another group', updateWriting(['ConsensusType'], { otherGroup: 'Application' }), /changes more than one group \(Application, Orderer\)/],
    ['an orderer org', updateWriting(['ConsensusType'], { ordererGroups: ['OrdererMSP'] }), /changes groups within \/Channel\/Orderer \(OrdererMSP\)/],
    ['no ConsensusType', updateWriting(['BatchTimeout']), /does not contain \/Channel\/Orderer\/ConsensusType/],
  ])('refuses entering maintenance together with %s', (_what, update, why) => {
    const problem = maintenanceProblem(channelConfig(NORMAL), channelConfig(MAINTENANCE), update);
    expect(problem).toMatch(/ConsensusType.State is changing from STATE_NORMAL to STATE_MAINTENANCE, so the update may change \/Channel\/Orderer\/ConsensusType only/);
    expect(problem).toMatch(why);
  });

  it('refuses a change of the consensus metadata while the state changes', () => {
    const next = channelConfig(MAINTENANCE, { metadata: randomBytes(8) });
    expect(maintenanceProblem(channelConfig(NORMAL), next, updateWriting(['ConsensusType']))).toMatch(/attempted to change ConsensusType.Metadata, but ConsensusType.State is changing/);
  });

  it('refuses maintenance without the ConsensusTypeMigration capability (orderer V1_1)', () => {
    const current = channelConfig(NORMAL, { ordererCapability: 'V1_1' });
    const next = channelConfig(MAINTENANCE, { ordererCapability: 'V1_1' });
    expect(maintenanceProblem(current, next, updateWriting(['ConsensusType']))).toMatch(/attempted to change ConsensusType.State to STATE_MAINTENANCE, but the channel has no maintenance mode/);
    expect(maintenanceProblem(current, channelConfig(NORMAL, { ordererCapability: 'V1_1' }), updateWriting(['BatchTimeout']))).toBeUndefined();
  });
});
