/**
 * The BFT channel config rules of Fabric's SmartBFT orderer and configtxgen (which a peer's
 * NewBundle does not apply): capability, consenter mapping, BlockValidation, smartbft.Options.
 */
import { Policy } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { Config } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { ConsensusType } from '@hyperledger/fabric-protos/lib/orderer/configuration_pb';
import { Options } from '@hyperledger/fabric-protos/lib/orderer/smartbft/configuration_pb';
import { ProtocolError } from '../../../../core/errors';
import { type BftConsenter, addBftConsenters, bftBlockValidationPolicy, smartBftOptions } from '../../../../core/protocol/bft-config';
import { bftOrdererConfigProblem, checkBftOrdererConfig, smartBftOptionsProblem } from '../../../../core/protocol/bft-config-rules';
import { buildChannelGroup } from '../../../../core/protocol/config-block';
import { type ParsedChannelConfig, readChannelConfig } from '../../../../core/protocol/config-parse';
import { createTestOrg, type TestOrg } from '../../../../plugins/msp-x509';
import { utf8 } from './test-signer';

const BATCH = { maxMessageCount: 500, absoluteMaxBytes: 10 * 1024 * 1024 };

describe('BFT orderer config rules', () => {
  let orgs: TestOrg[];
  let consenters: BftConsenter[];

  beforeAll(async () => {
    orgs = await Promise.all(['OrdererMSP', 'Org1MSP'].map((mspId) => createTestOrg({ mspId })));
    consenters = [1, 2, 3, 4].map((id) => ({
      id,
      host: `orderer${id}.example.com`,
      port: 7050,
      mspId: 'OrdererMSP',
      identity: utf8(`enrollment certificate ${id}`),
      clientTlsCert: utf8(`client tls ${id}`),
      serverTlsCert: utf8(`server tls ${id}`),
    }));
  });

  /**
   * A config as configtxgen writes it for `OrdererType: BFT`, after `edit` (on the built Orderer
   * group's inputs). Built as etcdraft and made BFT afterwards: the builder itself refuses the
   * configs these rules refuse.
   */
  function bftConfig(
    edit: { channelCapability?: string; type?: string; metadata?: Uint8Array; consenters?: readonly BftConsenter[]; absoluteMaxBytes?: number } = {},
  ): ParsedChannelConfig {
    const group = buildChannelGroup({
      channelId: 'bft',
      acls: {},
      capabilities: { channel: edit.channelCapability ?? 'V3_0', orderer: 'V2_0', application: 'V2_5' },
      applicationOrgs: [{ mspId: 'Org1MSP', mspConfig: orgs[1].mspConfig(), anchorPeers: [] }],
      ordererOrgs: [{ mspId: 'OrdererMSP', mspConfig: orgs[0].mspConfig(), endpoints: ['orderer1.example.com:7050'] }],
      batchSize: { maxMessageCount: 500, absoluteMaxBytes: edit.absoluteMaxBytes ?? BATCH.absoluteMaxBytes, preferredMaxBytes: 1024 },
    });
    if ((edit.type ?? 'BFT') === 'BFT') {
      const orderer = group.getGroupsMap().get('Orderer')!;
      const consensus = new ConsensusType();
      consensus.setType('BFT');
      consensus.setMetadata(edit.metadata ?? smartBftOptions());
      orderer.getValuesMap().get('ConsensusType')!.setValue(consensus.serializeBinary());
      addBftConsenters(orderer, edit.consenters ?? consenters);
    }
    const config = new Config();
    config.setChannelGroup(group);
    return readChannelConfig(config, config.serializeBinary());
  }

  it('accepts the config configtxgen writes, and has nothing to say of a non-BFT one', () => {
    expect(bftOrdererConfigProblem(bftConfig())).toBeUndefined();
    expect(bftOrdererConfigProblem(bftConfig({ type: 'etcdraft', consenters: [] }))).toBeUndefined();
  });

  it('refuses BFT below channel capability V3_0, as configtxgen', () => {
    expect(bftOrdererConfigProblem(bftConfig({ channelCapability: 'V2_0' }))).toEqual({
      path: '/Channel/Capabilities',
      problem: 'orderer type BFT must be used with V3_0 channel capability',
    });
  });

  it('refuses an empty consenter mapping and an entry missing a field, naming it', () => {
    expect(bftOrdererConfigProblem(bftConfig({ consenters: [] }))).toEqual({ path: '/Channel/Orderer/Orderers', problem: 'BFT configuration did not specify any consenter' });
    const noServerTls = consenters.map((c, i) => (i === 2 ? { ...c, serverTlsCert: new Uint8Array(0) } : c));
    expect(bftOrdererConfigProblem(bftConfig({ consenters: noServerTls }))).toEqual({
      path: '/Channel/Orderer/Orderers.consenter_mapping[2].server_tls_cert',
      problem: 'consenter info in BFT configuration did not specify server TLS cert',
    });
  });

  it('refuses a BlockValidation policy other than the BFT one over the mapping, as SmartBFT’s ConfigBlockValidator', () => {
    const config = bftConfig();
    const policy = new Policy();
    policy.setType(Policy.PolicyType.SIGNATURE);
    // The same consenters in another order: another policy (Fabric compares with proto.Equal).
    policy.setValue(bftBlockValidationPolicy([...consenters].reverse()));
    config.config.getChannelGroup()!.getGroupsMap().get('Orderer')!.getPoliciesMap().get('BlockValidation')!.setPolicy(policy);
    expect(bftOrdererConfigProblem(config)).toMatchObject({ path: '/Channel/Orderer/BlockValidation', problem: expect.stringMatching(/^block validation policy should be the BFT signature policy NOutOf\(3, …\)/) });
  });

  it('refuses smartbft.Options SmartBFT refuses, with its messages', () => {
    const problem = (values: Partial<Options.AsObject>): string | undefined => smartBftOptionsProblem(smartBftOptions(values), BATCH);
    expect(problem({})).toBeUndefined();
    expect(problem({ leaderRotation: Options.Rotation.ROTATION_ON, decisionsPerLeader: 3 })).toBe('leader rotation must be turned off for this version or be unspecified');
    expect(problem({ viewChangeTimeout: '20 s' })).toBe('bad config metadata option ViewChangeTimeout: time: unknown unit " s" in duration "20 s"');
    expect(problem({ collectTimeout: '0s' })).toBe('config validation failed: CollectTimeout should be greater than zero');
    expect(problem({ requestPoolSize: 0 })).toBe('config validation failed: RequestPoolSize should be greater than zero');
    expect(problem({ requestForwardTimeout: '30s' })).toBe('config validation failed: RequestForwardTimeout is bigger than RequestComplainTimeout');
    expect(problem({ viewChangeResendInterval: '1m' })).toBe('config validation failed: ViewChangeResendInterval is bigger than ViewChangeTimeout');
    expect(smartBftOptionsProblem(Uint8Array.of(0x0a, 0x05), BATCH)).toMatch(/^failed to unmarshal consensus metadata: /);
  });

  it('takes the request batch limits from BatchSize, as the SmartBFT chain does, and names BatchSize for them', () => {
    // The options' own batch values are ignored; SmartBFT's default RequestMaxBytes (10 KiB) must fit AbsoluteMaxBytes.
    expect(bftOrdererConfigProblem(bftConfig({ metadata: smartBftOptions({ requestBatchMaxCount: 0, requestBatchMaxBytes: 1 }) }))).toBeUndefined();
    expect(bftOrdererConfigProblem(bftConfig({ absoluteMaxBytes: 4096 }))).toEqual({
      path: '/Channel/Orderer/BatchSize',
      problem: 'config validation failed: RequestMaxBytes is bigger than RequestBatchMaxBytes',
    });
  });

  it('is what the channel builder checks: a BFT definition without consenters is refused, one with them builds', () => {
    const definition = {
      channelId: 'bft',
      applicationOrgs: [{ mspId: 'Org1MSP', mspConfig: orgs[1].mspConfig(), anchorPeers: [] }],
      ordererOrgs: [{ mspId: 'OrdererMSP', mspConfig: orgs[0].mspConfig(), endpoints: ['orderer1.example.com:7050'] }],
      consensusType: { type: 'BFT', metadata: smartBftOptions() },
    };
    expect(() => buildChannelGroup(definition)).toThrow(/^invalid channel definition: the config it builds is one Fabric refuses: \/Channel\/Orderer\/Orderers: BFT configuration did not specify any consenter$/);
    const orderer = buildChannelGroup({ ...definition, consenters }).getGroupsMap().get('Orderer')!;
    expect(orderer.getValuesMap().has('Orderers')).toBe(true);
  });

  it('throws a typed error naming the path', () => {
    expect(() => checkBftOrdererConfig(bftConfig({ metadata: smartBftOptions({ leaderRotation: Options.Rotation.ROTATION_ON }) }))).toThrow(ProtocolError);
    expect(() => checkBftOrdererConfig(bftConfig({ metadata: smartBftOptions({ leaderRotation: Options.Rotation.ROTATION_ON }) }))).toThrow(
      '/Channel/Orderer/ConsensusType.metadata: leader rotation must be turned off for this version or be unspecified',
    );
    expect(() => checkBftOrdererConfig(bftConfig())).not.toThrow();
  });
});
