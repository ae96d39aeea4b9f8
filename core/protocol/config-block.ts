import { Block, HeaderType, Metadata } from '@hyperledger/fabric-protos/lib/common/common_pb';
import {
  BlockDataHashingStructure,
  Capabilities,
  Capability,
  HashingAlgorithm,
  OrdererAddresses,
} from '@hyperledger/fabric-protos/lib/common/configuration_pb';
import { Config, ConfigEnvelope, ConfigGroup, ConfigPolicy, ConfigValue } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { FabricMSPConfig, MSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { BatchSize, BatchTimeout, ChannelRestrictions, ConsensusType } from '@hyperledger/fabric-protos/lib/orderer/configuration_pb';
import { ACLs, APIResource, AnchorPeer, AnchorPeers } from '@hyperledger/fabric-protos/lib/peer/configuration_pb';
import type { Message } from 'google-protobuf';
import { ConfigError, ProtocolError } from '../errors';
import { BlockMetadataIndex, lastConfigMetadata, newBlock, setBlockMetadata } from './block';
import { BFT_CONSENSUS_TYPE, addBftConsenters } from './bft-config';
import { checkBftOrdererConfig } from './bft-config-rules';
import { ordererBlockMetadataValue } from './block-signatures';
import { decode } from './bounded-decode';
import { ChannelDefinition, ChannelDefinitionInput, DEFAULT_ACLS, validateChannelDefinition } from './channel-definition';
import { readChannelConfig } from './config-parse';
import { ConfigPolicyInput, anyRole, meta, toPolicy } from './config-policies';
import { applicationAcls, orgSpecificOrdererEndpoints } from './config-rules';
import { buildEnvelope } from './envelope';

/** configtxgen sets every mod_policy to the group's Admins policy. */
const ADMINS = 'Admins';
/** Go's math.MaxUint32: BlockDataHashingStructure width meaning "flat hash". */
const MAX_UINT32 = 4294967295;

type Policies = Readonly<Record<string, ConfigPolicyInput>>;

function newGroup(): ConfigGroup {
  const group = new ConfigGroup();
  group.setModPolicy(ADMINS);
  return group;
}

function addValue(group: ConfigGroup, key: string, value: Message, modPolicy = ADMINS): void {
  const cv = new ConfigValue();
  cv.setValue(value.serializeBinary());
  cv.setModPolicy(modPolicy);
  group.getValuesMap().set(key, cv);
}

function addPolicies(group: ConfigGroup, defaults: Policies, overrides: Policies | undefined): void {
  for (const [name, input] of Object.entries({ ...defaults, ...overrides })) {
    const cp = new ConfigPolicy();
    cp.setPolicy(toPolicy(input));
    cp.setModPolicy(ADMINS);
    group.getPoliciesMap().set(name, cp);
  }
}

function capabilities(name: string): Capabilities {
  const caps = new Capabilities();
  caps.getCapabilitiesMap().set(name, new Capability());
  return caps;
}

function mspValue(mspId: string, config: FabricMSPConfig | Uint8Array, path: string): MSPConfig {
  const fabric = config instanceof FabricMSPConfig ? config : decode(FabricMSPConfig, config, path);
  if (fabric.getName() !== mspId) {
    throw new ConfigError(
      'CHANNEL_DEFINITION_INVALID',
      `${path}: FabricMSPConfig.name is ${JSON.stringify(fabric.getName())}, expected the org's mspId ${JSON.stringify(mspId)}`,
      { path },
    );
  }
  const msp = new MSPConfig();
  msp.setType(0); // FABRIC
  msp.setConfig(fabric.serializeBinary());
  return msp;
}

/** Fabric's `OrgSpecificOrdererEndpoints`: below channel V1_4_2 an orderer org may not carry Endpoints. */
function orgEndpoints(def: ChannelDefinition): boolean {
  return orgSpecificOrdererEndpoints([def.capabilities.channel]);
}

function ordererGroup(def: ChannelDefinition): ConfigGroup {
  const group = newGroup();
  addPolicies(
    group,
    { Readers: meta('ANY', 'Readers'), Writers: meta('ANY', 'Writers'), Admins: meta('MAJORITY', 'Admins'), BlockValidation: meta('ANY', 'Writers') },
    def.policies.orderer,
  );
  const size = new BatchSize();
  size.setMaxMessageCount(def.batchSize.maxMessageCount);
  size.setAbsoluteMaxBytes(def.batchSize.absoluteMaxBytes);
  size.setPreferredMaxBytes(def.batchSize.preferredMaxBytes);
  addValue(group, 'BatchSize', size);
  const timeout = new BatchTimeout();
  timeout.setTimeout(def.batchTimeout);
  addValue(group, 'BatchTimeout', timeout);
  addValue(group, 'ChannelRestrictions', new ChannelRestrictions());
  addValue(group, 'Capabilities', capabilities(def.capabilities.orderer));
  const consensus = new ConsensusType();
  consensus.setType(def.consensusType.type);
  if (def.consensusType.metadata !== undefined) consensus.setMetadata(def.consensusType.metadata);
  addValue(group, 'ConsensusType', consensus);
  if (def.consensusType.type === BFT_CONSENSUS_TYPE) addBftConsenters(group, def.consenters);
  def.ordererOrgs.forEach((org, i) => {
    const orgGroup = newGroup();
    addPolicies(
      orgGroup,
      { Readers: anyRole(org.mspId, ['member']), Writers: anyRole(org.mspId, ['member']), Admins: anyRole(org.mspId, ['admin']) },
      org.policies,
    );
    addValue(orgGroup, 'MSP', mspValue(org.mspId, org.mspConfig, `ordererOrgs.${i}.mspConfig`));
    if (org.endpoints.length > 0 && orgEndpoints(def)) {
      const endpoints = new OrdererAddresses();
      endpoints.setAddressesList(org.endpoints);
      addValue(orgGroup, 'Endpoints', endpoints);
    }
    group.getGroupsMap().set(org.name ?? org.mspId, orgGroup);
  });
  return group;
}

/**
 * Whether `acls` are the defaults, which are left out below application V1_2 (Fabric refuses ACLs
 * there); ACLs a definition sets itself are written, and refused, as given.
 */
function defaultAcls(acls: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(acls);
  return keys.length === Object.keys(DEFAULT_ACLS).length && keys.every((k) => acls[k] === DEFAULT_ACLS[k]);
}

/** An application org of a {@link ChannelDefinition} (defaults filled in). */
export type ApplicationOrgDefinition = ChannelDefinition['applicationOrgs'][number];

/**
 * One application org's config group (`/Channel/Application/<org>`) exactly as {@link buildChannelGroup}
 * writes it: the test-network NodeOU policies (overridden by `org.policies`), its MSP, its anchor
 * peers. A config update adding the org to a channel writes this group. `mspPath` names the
 * MSP config in errors.
 */
export function buildApplicationOrgGroup(org: ApplicationOrgDefinition, mspPath = 'mspConfig'): ConfigGroup {
  const orgGroup = newGroup();
  // The test-network org policies (Fabric users know them): NodeOU roles.
  addPolicies(
    orgGroup,
    {
      Readers: anyRole(org.mspId, ['admin', 'peer', 'client']),
      Writers: anyRole(org.mspId, ['admin', 'client']),
      Admins: anyRole(org.mspId, ['admin']),
      Endorsement: anyRole(org.mspId, ['peer']),
    },
    org.policies,
  );
  addValue(orgGroup, 'MSP', mspValue(org.mspId, org.mspConfig, mspPath));
  if (org.anchorPeers.length > 0) {
    addValue(orgGroup, 'AnchorPeers', anchorPeersOf(org.anchorPeers));
  }
  return orgGroup;
}

function applicationGroup(def: ChannelDefinition): ConfigGroup {
  const group = newGroup();
  addPolicies(
    group,
    {
      Readers: meta('ANY', 'Readers'),
      Writers: meta('ANY', 'Writers'),
      Admins: meta('MAJORITY', 'Admins'),
      Endorsement: meta('MAJORITY', 'Endorsement'),
      LifecycleEndorsement: meta('MAJORITY', 'Endorsement'),
    },
    def.policies.application,
  );
  if (Object.keys(def.acls).length > 0 && (applicationAcls([def.capabilities.application]) || !defaultAcls(def.acls))) {
    const acls = new ACLs();
    for (const [resource, policyRef] of Object.entries(def.acls)) {
      const api = new APIResource();
      api.setPolicyRef(policyRef);
      acls.getAclsMap().set(resource, api);
    }
    addValue(group, 'ACLs', acls);
  }
  addValue(group, 'Capabilities', capabilities(def.capabilities.application));
  def.applicationOrgs.forEach((org, i) => group.getGroupsMap().set(org.name ?? org.mspId, buildApplicationOrgGroup(org, `applicationOrgs.${i}.mspConfig`)));
  return group;
}

/**
 * The `/Channel` config group exactly as configtxgen's encoder builds it (`NewChannelGroup`):
 * HashingAlgorithm, BlockDataHashingStructure, Capabilities (no global OrdererAddresses: V3_0),
 * ImplicitMeta policies, Orderer and Application groups, every mod_policy "Admins".
 */
export function buildChannelGroup(input: ChannelDefinitionInput): ConfigGroup {
  const def = validateChannelDefinition(input);
  const channel = newGroup();
  addPolicies(
    channel,
    { Readers: meta('ANY', 'Readers'), Writers: meta('ANY', 'Writers'), Admins: meta('MAJORITY', 'Admins') },
    def.policies.channel,
  );
  const hashing = new HashingAlgorithm();
  hashing.setName('SHA256');
  addValue(channel, 'HashingAlgorithm', hashing);
  const structure = new BlockDataHashingStructure();
  structure.setWidth(MAX_UINT32);
  addValue(channel, 'BlockDataHashingStructure', structure);
  addValue(channel, 'Capabilities', capabilities(def.capabilities.channel));
  if (!orgEndpoints(def)) {
    // configtxgen's deprecated global addresses: the only place such a channel lists its orderers.
    const addresses = new OrdererAddresses();
    addresses.setAddressesList(def.ordererOrgs.flatMap((o) => o.endpoints));
    addValue(channel, 'OrdererAddresses', addresses);
  }
  channel.getGroupsMap().set('Orderer', ordererGroup(def));
  channel.getGroupsMap().set('Application', applicationGroup(def));
  checkBuilt(channel, def.channelId);
  return channel;
}

/**
 * Refuses a definition whose config a Fabric node would refuse (`NewBundle`): a V3_0 orderer org
 * without endpoints, ACLs below application V1_2, a channel below V1_4_2 naming no orderer, …
 * so that Weft never writes a genesis block that its own nodes or Fabric's cannot run.
 */
function checkBuilt(channel: ConfigGroup, channelId: string): void {
  const config = new Config();
  config.setChannelGroup(channel);
  try {
    checkBftOrdererConfig(readChannelConfig(config, config.serializeBinary(), channelId));
  } catch (err) {
    const path = err instanceof ProtocolError ? String(err.details.path ?? '') : '';
    throw new ConfigError('CHANNEL_DEFINITION_INVALID', `invalid channel definition: the config it builds is one Fabric refuses: ${(err as Error).message}`, {
      path,
    });
  }
}

/** Options of {@link buildConfigBlock}: fixed values make the block reproducible. */
export interface ConfigBlockOptions {
  readonly timestamp?: Date;
  readonly nonce?: Uint8Array;
}

/**
 * The genesis block of a channel, as configtxgen `-outputBlock` writes it (`genesis.Factory`): block 0
 * holding one unsigned CONFIG envelope (channel header version 1, empty creator, tx id from the
 * nonce) with `ConfigEnvelope{config: Config{sequence 0, channel_group}}`, and SIGNATURES /
 * LAST_CONFIG metadata naming block 0. Throws `ConfigError` when the definition does not validate.
 */
export function buildConfigBlock(input: ChannelDefinitionInput, options: ConfigBlockOptions = {}): Block {
  const def = validateChannelDefinition(input);
  const config = new Config();
  config.setSequence(0);
  config.setChannelGroup(buildChannelGroup(def));
  const configEnvelope = new ConfigEnvelope();
  configEnvelope.setConfig(config);
  const timestamp = options.timestamp ?? new Date();
  const envelope = buildEnvelope({
    type: HeaderType.CONFIG,
    channelId: def.channelId,
    data: configEnvelope.serializeBinary(),
    version: 1,
    // configtxgen stamps whole seconds (MakeChannelHeader: Nanos 0).
    timestamp: new Date(Math.floor(timestamp.getTime() / 1000) * 1000),
    nonce: options.nonce,
  });
  const block = newBlock(0, new Uint8Array(0), [envelope]);
  setBlockMetadata(block, BlockMetadataIndex.LAST_CONFIG, lastConfigMetadata(0));
  const signatures = new Metadata();
  signatures.setValue(ordererBlockMetadataValue(0));
  setBlockMetadata(block, BlockMetadataIndex.SIGNATURES, signatures.serializeBinary());
  return block;
}

/** An org's `AnchorPeers` config value: the peers other orgs' peers reach it through. */
export function anchorPeersOf(endpoints: readonly { readonly host: string; readonly port: number }[]): AnchorPeers {
  const anchors = new AnchorPeers();
  anchors.setAnchorPeersList(
    endpoints.map((p) => {
      const peer = new AnchorPeer();
      peer.setHost(p.host);
      peer.setPort(p.port);
      return peer;
    }),
  );
  return anchors;
}
