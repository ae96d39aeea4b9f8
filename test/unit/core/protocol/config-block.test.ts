import { Envelope, HeaderType, Payload } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { Config, ConfigEnvelope, ConfigGroup } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { ImplicitMetaPolicy, Policy, SignaturePolicyEnvelope } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { MSPPrincipal, MSPRole } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import { MSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { BatchSize } from '@hyperledger/fabric-protos/lib/orderer/configuration_pb';
import { ConfigError } from '../../../../core/errors';
import {
  BlockMetadataIndex,
  ChannelDefinitionInput,
  DEFAULT_ACLS,
  ProtocolErrorCode,
  anyRole,
  buildConfigBlock,
  getBlockMetadata,
  getLastConfigIndex,
  isConfigBlock,
  newBlock,
  parseBlock,
  parseBlockSignatures,
  parseChannelConfig,
  parseConfigBlock,
  parseEnvelope,
  parseGoDuration,
} from '../../../../core/protocol';
import { expectProtocolError } from './expect-protocol-error';
import { mspConfig } from './msp-config-fixture';
import { utf8 } from './test-signer';

const definition: ChannelDefinitionInput = {
  channelId: 'mychannel',
  applicationOrgs: [
    { mspId: 'Org1MSP', mspConfig: mspConfig('Org1MSP'), anchorPeers: [{ host: 'peer0.org1.example.com', port: 7051 }] },
    { mspId: 'Org2MSP', mspConfig: mspConfig('Org2MSP').serializeBinary() },
  ],
  ordererOrgs: [{ mspId: 'OrdererMSP', name: 'OrdererOrg', mspConfig: mspConfig('OrdererMSP'), endpoints: ['orderer.example.com:7050'] }],
  consensusType: { type: 'solo' },
};

function channelGroup(bytes: Uint8Array): ConfigGroup {
  const block = parseBlock(bytes);
  const env = Envelope.deserializeBinary(block.envelopes[0]);
  const payload = Payload.deserializeBinary(env.getPayload_asU8());
  return (ConfigEnvelope.deserializeBinary(payload.getData_asU8()).getConfig() as Config).getChannelGroup() as ConfigGroup;
}

function policyOf(group: ConfigGroup, name: string): string {
  const policy = group.getPoliciesMap().get(name)?.getPolicy() as Policy;
  if (policy.getType() === Policy.PolicyType.IMPLICIT_META) {
    const imp = ImplicitMetaPolicy.deserializeBinary(policy.getValue_asU8());
    return `${['ANY', 'ALL', 'MAJORITY'][imp.getRule()]} ${imp.getSubPolicy()}`;
  }
  const env = SignaturePolicyEnvelope.deserializeBinary(policy.getValue_asU8());
  const principals = env.getIdentitiesList().map((p: MSPPrincipal) => {
    expect(p.getPrincipalClassification()).toBe(MSPPrincipal.Classification.ROLE);
    const role = MSPRole.deserializeBinary(p.getPrincipal_asU8());
    return `'${role.getMspIdentifier()}.${['member', 'admin', 'client', 'peer', 'orderer'][role.getRole()]}'`;
  });
  const rule = env.getRule()?.getNOutOf();
  expect(rule?.getN()).toBe(1);
  expect(rule?.getRulesList().map((r) => r.getSignedBy())).toEqual(principals.map((_p, i) => i));
  return `OR(${principals.join(', ')})`;
}

describe('config blocks', () => {
  const timestamp = new Date('2026-03-04T05:06:07.890Z');

  it('builds a genesis block structured like configtxgen output', () => {
    const block = buildConfigBlock(definition, { timestamp });
    const bytes = block.serializeBinary();
    const parsed = parseBlock(bytes);
    expect(parsed.number).toBe(0);
    expect(parsed.previousHash).toHaveLength(0);
    expect(parsed.envelopes).toHaveLength(1);
    expect(isConfigBlock(parsed.block)).toBe(true);
    expect(getLastConfigIndex(parsed.block)).toBe(0);
    expect(parseBlockSignatures(parsed.block).lastConfigIndex).toBe(0);
    expect(getBlockMetadata(parsed.block, BlockMetadataIndex.SIGNATURES).length).toBeGreaterThan(0);

    const env = parseEnvelope(parsed.envelopes[0], { types: [HeaderType.CONFIG] });
    expect(env.channelHeader.channelId).toBe('mychannel');
    expect(env.channelHeader.version).toBe(1);
    expect(env.channelHeader.timestamp?.toISOString()).toBe('2026-03-04T05:06:07.000Z');
    expect(env.signatureHeader.creator).toHaveLength(0);
    expect(env.signatureHeader.nonce).toHaveLength(24);
    expect(env.signature).toHaveLength(0);

    const channel = channelGroup(bytes);
    const keys = (g: ConfigGroup) => ({
      values: [...g.getValuesMap().keys()].sort(),
      policies: [...g.getPoliciesMap().keys()].sort(),
      groups: [...g.getGroupsMap().keys()].sort(),
    });
    expect(keys(channel)).toEqual({
      values: ['BlockDataHashingStructure', 'Capabilities', 'HashingAlgorithm'],
      policies: ['Admins', 'Readers', 'Writers'],
      groups: ['Application', 'Orderer'],
    });
    expect(policyOf(channel, 'Admins')).toBe('MAJORITY Admins');
    expect(policyOf(channel, 'Readers')).toBe('ANY Readers');
    const orderer = channel.getGroupsMap().get('Orderer') as ConfigGroup;
    expect(keys(orderer)).toEqual({
      values: ['BatchSize', 'BatchTimeout', 'Capabilities', 'ChannelRestrictions', 'ConsensusType'],
      policies: ['Admins', 'BlockValidation', 'Readers', 'Writers'],
      groups: ['OrdererOrg'],
    });
    expect(policyOf(orderer, 'BlockValidation')).toBe('ANY Writers');
    const ordererOrg = orderer.getGroupsMap().get('OrdererOrg') as ConfigGroup;
    expect(keys(ordererOrg)).toEqual({ values: ['Endpoints', 'MSP'], policies: ['Admins', 'Readers', 'Writers'], groups: [] });
    expect(policyOf(ordererOrg, 'Readers')).toBe("OR('OrdererMSP.member')");
    expect(policyOf(ordererOrg, 'Admins')).toBe("OR('OrdererMSP.admin')");
    const app = channel.getGroupsMap().get('Application') as ConfigGroup;
    expect(keys(app)).toEqual({
      values: ['ACLs', 'Capabilities'],
      policies: ['Admins', 'Endorsement', 'LifecycleEndorsement', 'Readers', 'Writers'],
      groups: ['Org1MSP', 'Org2MSP'],
    });
    expect(policyOf(app, 'LifecycleEndorsement')).toBe('MAJORITY Endorsement');
    const org1 = app.getGroupsMap().get('Org1MSP') as ConfigGroup;
    expect(keys(org1)).toEqual({ values: ['AnchorPeers', 'MSP'], policies: ['Admins', 'Endorsement', 'Readers', 'Writers'], groups: [] });
    expect(policyOf(org1, 'Readers')).toBe("OR('Org1MSP.admin', 'Org1MSP.peer', 'Org1MSP.client')");
    expect(policyOf(org1, 'Writers')).toBe("OR('Org1MSP.admin', 'Org1MSP.client')");
    expect(policyOf(org1, 'Endorsement')).toBe("OR('Org1MSP.peer')");
    expect(keys(app.getGroupsMap().get('Org2MSP') as ConfigGroup).values).toEqual(['MSP']); // no anchors → no value

    // mod_policy "Admins" and version 0 everywhere.
    const walk = (g: ConfigGroup): void => {
      expect(g.getModPolicy()).toBe('Admins');
      g.getValuesMap().forEach((v) => expect([v.getModPolicy(), v.getVersion()]).toEqual(['Admins', 0]));
      g.getPoliciesMap().forEach((p) => expect([p.getModPolicy(), p.getVersion()]).toEqual(['Admins', 0]));
      g.getGroupsMap().forEach(walk);
    };
    walk(channel);
  });

  it('round trips through parseConfigBlock into a typed view', () => {
    const bytes = buildConfigBlock(definition, { timestamp }).serializeBinary();
    const cfg = parseConfigBlock(bytes);
    expect(cfg.channelId).toBe('mychannel');
    expect(cfg.sequence).toBe(0);
    expect(cfg.lastUpdate).toBeUndefined();
    expect(cfg.hashingAlgorithm).toBe('SHA256');
    expect(cfg.capabilities).toEqual({ channel: ['V3_0'], orderer: ['V2_0'], application: ['V2_5'] });
    expect([...cfg.msps.keys()].sort()).toEqual(['OrdererMSP', 'Org1MSP', 'Org2MSP']);
    expect(cfg.msps.get('Org2MSP')?.getRootCertsList_asU8()).toEqual(mspConfig('Org2MSP').getRootCertsList_asU8());
    expect(cfg.ordererOrgs).toEqual([{ name: 'OrdererOrg', mspId: 'OrdererMSP', endpoints: ['orderer.example.com:7050'] }]);
    expect(cfg.ordererEndpoints.get('OrdererMSP')).toEqual(['orderer.example.com:7050']);
    expect(cfg.anchorPeers.get('Org1MSP')).toEqual([{ host: 'peer0.org1.example.com', port: 7051 }]);
    expect(cfg.anchorPeers.get('Org2MSP')).toEqual([]);
    expect(cfg.ordererAddresses).toEqual([]);
    expect(cfg.batchSize).toEqual({ maxMessageCount: 500, absoluteMaxBytes: 10 * 1024 * 1024, preferredMaxBytes: 2 * 1024 * 1024 });
    expect(cfg.batchTimeout).toBe('2s');
    expect(cfg.batchTimeoutMs).toBe(2000);
    expect(cfg.consensusType).toEqual({ type: 'solo', metadata: new Uint8Array(0), state: 0 });
    expect(Object.fromEntries(cfg.acls)).toEqual(DEFAULT_ACLS);
    expect(cfg.hasApplication).toBe(true);
    // The config bytes parse on their own to the same view.
    const again = parseChannelConfig(cfg.configBytes, { channelId: 'mychannel' });
    expect(again.batchSize).toEqual(cfg.batchSize);
    expect([...again.msps.keys()]).toEqual([...cfg.msps.keys()]);
  });

  it('applies overrides: batch settings, consensus metadata, org and group policies', () => {
    const cfg = parseConfigBlock(
      buildConfigBlock({
        ...definition,
        batchSize: { maxMessageCount: 10, absoluteMaxBytes: 4096, preferredMaxBytes: 1024 },
        batchTimeout: '1m30s',
        consensusType: { type: 'etcdraft', metadata: utf8('raft-meta') },
        applicationOrgs: [{ mspId: 'Org1MSP', mspConfig: mspConfig('Org1MSP'), policies: { Endorsement: anyRole('Org1MSP', ['member']) } }],
        policies: { application: { Endorsement: { type: 'implicitMeta', rule: 'ANY', subPolicy: 'Endorsement' } } },
      }),
    );
    expect(cfg.batchSize.maxMessageCount).toBe(10);
    expect(cfg.batchTimeoutMs).toBe(90_000);
    expect(cfg.consensusType.metadata).toEqual(utf8('raft-meta'));
    const app = (cfg.config.getChannelGroup() as ConfigGroup).getGroupsMap().get('Application') as ConfigGroup;
    expect(policyOf(app, 'Endorsement')).toBe('ANY Endorsement');
    expect(policyOf(app.getGroupsMap().get('Org1MSP') as ConfigGroup, 'Endorsement')).toBe("OR('Org1MSP.member')");
  });

  it('rejects an invalid definition with a ConfigError naming the path', () => {
    const expectConfigError = (input: ChannelDefinitionInput, fragment: string) => {
      let err: unknown;
      try {
        buildConfigBlock(input);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).code).toBe('CHANNEL_DEFINITION_INVALID');
      expect((err as ConfigError).message).toContain(fragment);
    };
    expectConfigError({ ...definition, channelId: 'My_Channel' }, 'channelId');
    expectConfigError({ ...definition, ordererOrgs: [] }, 'ordererOrgs');
    expectConfigError({ ...definition, batchTimeout: 'soon' }, 'batchTimeout');
    expectConfigError({ ...definition, batchSize: { maxMessageCount: 1, absoluteMaxBytes: 10, preferredMaxBytes: 20 } }, 'preferredMaxBytes');
    expectConfigError({ ...definition, applicationOrgs: [{ mspId: 'Org1MSP', mspConfig: mspConfig('Other') }] }, 'applicationOrgs.0.mspConfig');
    expectConfigError(
      { ...definition, ordererOrgs: [{ mspId: 'OrdererMSP', mspConfig: mspConfig('OrdererMSP'), endpoints: ['nohost'] }] },
      'ordererOrgs.0.endpoints.0',
    );
  });

  it('rejects blocks that are not config blocks and configs missing required values', () => {
    expect(isConfigBlock(newBlock(1, new Uint8Array(32), [utf8('junk')]))).toBe(false);
    expectProtocolError(() => parseConfigBlock(newBlock(1, new Uint8Array(32), [])), ProtocolErrorCode.BadField, 'block.data');
    const cfg = parseConfigBlock(buildConfigBlock(definition));
    const config = Config.deserializeBinary(cfg.configBytes);
    const orderer = (config.getChannelGroup() as ConfigGroup).getGroupsMap().get('Orderer') as ConfigGroup;
    orderer.getValuesMap().del('BatchTimeout');
    expectProtocolError(() => parseChannelConfig(config.serializeBinary()), ProtocolErrorCode.MissingField, '/Channel/Orderer/BatchTimeout');
    const zero = new BatchSize();
    orderer.getValuesMap().get('BatchSize')?.setValue(zero.serializeBinary());
    expectProtocolError(() => parseChannelConfig(config.serializeBinary()), ProtocolErrorCode.BadField, '/Channel/Orderer/BatchSize');
    (config.getChannelGroup() as ConfigGroup).getGroupsMap().del('Orderer');
    expectProtocolError(() => parseChannelConfig(config.serializeBinary()), ProtocolErrorCode.MissingField, '/Channel/Orderer');
    const mspBroken = Config.deserializeBinary(cfg.configBytes);
    const org1 = ((mspBroken.getChannelGroup() as ConfigGroup).getGroupsMap().get('Application') as ConfigGroup).getGroupsMap().get('Org1MSP') as ConfigGroup;
    org1.getValuesMap().get('MSP')?.setValue(Uint8Array.of(0x12, 0x05, 0x01));
    expectProtocolError(() => parseChannelConfig(mspBroken.serializeBinary()), ProtocolErrorCode.Malformed, '/Channel/Application/Org1MSP/MSP');
    expectProtocolError(() => parseChannelConfig(cfg.configBytes, { maxBytes: 10 }), ProtocolErrorCode.TooLarge, 'config');
  });

  it('lists a non-FABRIC (idemix) org MSP instead of failing the whole channel', () => {
    const cfg = parseConfigBlock(buildConfigBlock(definition));
    const config = Config.deserializeBinary(cfg.configBytes);
    const org2 = ((config.getChannelGroup() as ConfigGroup).getGroupsMap().get('Application') as ConfigGroup).getGroupsMap().get('Org2MSP') as ConfigGroup;
    const idemix = new MSPConfig();
    idemix.setType(1);
    org2.getValuesMap().get('MSP')?.setValue(idemix.serializeBinary());
    const view = parseChannelConfig(config.serializeBinary());
    expect([...view.msps.keys()].sort()).toEqual(['OrdererMSP', 'Org1MSP']);
    expect(view.unsupportedMsps).toEqual([{ path: '/Channel/Application/Org2MSP/MSP', type: 1 }]);
    expect(view.applicationOrgs.map((o) => o.mspId)).toEqual(['Org1MSP', 'Org2MSP']);
  });

  it('parses Go durations as Fabric writes BatchTimeout', () => {
    expect(parseGoDuration('2s')).toBe(2000);
    expect(parseGoDuration('250ms')).toBe(250);
    expect(parseGoDuration('1m30s')).toBe(90_000);
    expect(parseGoDuration('1.5h')).toBe(5_400_000);
    expect(parseGoDuration('0')).toBe(0);
    expect(parseGoDuration('2')).toBeUndefined();
    expect(parseGoDuration('2s junk')).toBeUndefined();
    expect(parseGoDuration('')).toBeUndefined();
  });
});
