import { Block, HeaderType } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { BlockDataHashingStructure, HashingAlgorithm, OrdererAddresses, Orderers } from '@hyperledger/fabric-protos/lib/common/configuration_pb';
import { Config, ConfigEnvelope, ConfigGroup } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { FabricMSPConfig, MSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { BatchSize, BatchTimeout, ConsensusType } from '@hyperledger/fabric-protos/lib/orderer/configuration_pb';
import { ACLs, AnchorPeers } from '@hyperledger/fabric-protos/lib/peer/configuration_pb';
import type { Message } from 'google-protobuf';
import { ProtocolError } from '../errors';
import { type BftConsenter, ORDERERS_KEY, consenterOf } from './bft-config';
import { blockEnvelopes, parseBlock } from './block';
import { bytesEqual } from './bytes';
import { capabilityNames } from './capabilities';
import { DefaultProtocolLimits, MessageClass, ParseOptions, ProtocolErrorCode, guard, requireMessage } from './bounded-decode';
import { decodeConfigProto, type Schema } from './config-decode';
import { applicationAcls, checkCapabilityOrder, checkGroupValues, orgSpecificOrdererEndpoints, ruleError } from './config-rules';
import {
  ACLsSchema,
  AnchorPeersSchema,
  BatchSizeSchema,
  BatchTimeoutSchema,
  BlockDataHashingStructureSchema,
  ConfigEnvelopeSchema,
  ConfigSchema,
  ConsensusTypeSchema,
  FabricMSPConfigSchema,
  HashingAlgorithmSchema,
  MSPConfigSchema,
  OrdererAddressesSchema,
  OrderersSchema,
} from './config-schemas';
import { ParsedEnvelope, parseEnvelope } from './envelope';
import { parseGoDurationNanos } from './go-time-duration';

/** Go's math.MaxUint32: the only BlockDataHashingStructure width Fabric accepts. */
const MAX_UINT32 = 4294967295;

/** A peer address from an org's `AnchorPeers` value. */
export interface AnchorPeerAddress {
  readonly host: string;
  readonly port: number;
}

/** The values of a channel config that nodes act on, plus the proto and its bytes. */
export interface ParsedChannelConfig {
  /** From the config envelope's channel header; '' when parsed from `Config` bytes alone. */
  readonly channelId: string;
  readonly sequence: number;
  readonly config: Config;
  /** `common.Config` bytes, for the policy provider's `newPolicyManager`. */
  readonly configBytes: Uint8Array;
  readonly hashingAlgorithm: string;
  /** Capability names set at /Channel, /Channel/Orderer and /Channel/Application. */
  readonly capabilities: { readonly channel: readonly string[]; readonly orderer: readonly string[]; readonly application: readonly string[] };
  /** Every org's `FabricMSPConfig` (application and orderer orgs), by msp id. */
  readonly msps: ReadonlyMap<string, FabricMSPConfig>;
  readonly applicationOrgs: readonly { readonly name: string; readonly mspId: string; readonly anchorPeers: readonly AnchorPeerAddress[] }[];
  readonly ordererOrgs: readonly { readonly name: string; readonly mspId: string; readonly endpoints: readonly string[] }[];
  /** Orderer org endpoints ('host:port') by msp id. */
  readonly ordererEndpoints: ReadonlyMap<string, readonly string[]>;
  /** Anchor peers by msp id. */
  readonly anchorPeers: ReadonlyMap<string, readonly AnchorPeerAddress[]>;
  /** The legacy global /Channel/OrdererAddresses (absent under V3_0). */
  readonly ordererAddresses: readonly string[];
  readonly batchSize: { readonly maxMessageCount: number; readonly absoluteMaxBytes: number; readonly preferredMaxBytes: number };
  /** The Go duration string as stored ('2s'). */
  readonly batchTimeout: string;
  readonly batchTimeoutMs: number;
  readonly consensusType: { readonly type: string; readonly metadata: Uint8Array; readonly state: number };
  /** `/Channel/Orderer/Orderers` consenter mapping (a BFT channel's signers by id); empty when absent. */
  readonly consenters: readonly BftConsenter[];
  /** Resource → policy path. */
  readonly acls: ReadonlyMap<string, string>;
  /** Orgs whose MSP is not FABRIC (e.g. idemix): listed, not in `msps`, their identities cannot be validated. */
  readonly unsupportedMsps: readonly { readonly path: string; readonly type: number }[];
  /** False for a config with no Application group. */
  readonly hasApplication: boolean;
}

/** A config block: the channel config plus its envelope and the raw `last_update`. */
export interface ParsedConfigBlock extends ParsedChannelConfig {
  readonly envelope: ParsedEnvelope;
  /** `ConfigEnvelope.last_update` envelope bytes (absent in a genesis block). */
  readonly lastUpdate: Uint8Array | undefined;
}

function bad(code: string, path: string, problem: string): ProtocolError {
  return new ProtocolError(code, `${path} ${problem}`, { path });
}

/** A config value's proto: the generated class, and the schema it decodes by as protobuf-go. */
type ValueType<T extends Message> = readonly [MessageClass<T> & (new () => T), Schema];

function value<T extends Message>(group: ConfigGroup, key: string, groupPath: string, [cls, schema]: ValueType<T>): T | undefined {
  const cv = guard(groupPath, () => group.getValuesMap().get(key));
  if (cv === undefined) return undefined;
  return decodeConfigProto(cls, schema, guard(`${groupPath}/${key}`, () => cv.getValue_asU8()), `${groupPath}/${key}`);
}

/**
 * A value Fabric cannot do without: it reads an absent one as the empty message and refuses that
 * (a zero batch size, an empty timeout or hashing algorithm); Weft says it is missing.
 */
function requiredValue<T extends Message>(group: ConfigGroup, key: string, groupPath: string, type: ValueType<T>): T {
  const v = value(group, key, groupPath, type);
  if (v === undefined) throw bad(ProtocolErrorCode.MissingField, `${groupPath}/${key}`, 'is missing');
  return v;
}

/** Fabric reads an absent value as the empty message (`DeserializeProtoValuesFromGroup` starts from one). */
function valueOrEmpty<T extends Message>(group: ConfigGroup, key: string, groupPath: string, type: ValueType<T>): T {
  return value(group, key, groupPath, type) ?? new type[0]();
}

/**
 * An org's FABRIC MSP config, or its MSP type when it is IDEMIX (1), which Weft cannot run. As
 * Fabric's `ProposeMSP` and `validateMSP`: other types and an empty MSP ID are refused.
 */
function orgMsp(group: ConfigGroup, path: string): { msp: MSPConfig; fabric: FabricMSPConfig | number } {
  const msp = valueOrEmpty(group, 'MSP', path, [MSPConfig, MSPConfigSchema]);
  const type = guard(`${path}/MSP`, () => msp.getType());
  if (type === 1) return { msp, fabric: type };
  if (type !== 0) throw ruleError(`${path}/MSP.type`, `Setup error: unsupported msp type ${type}`);
  const fabric = decodeConfigProto(FabricMSPConfig, FabricMSPConfigSchema, guard(`${path}/MSP`, () => msp.getConfig_asU8()), `${path}/MSP.config`);
  if (guard(`${path}/MSP.config`, () => fabric.getName()) === '') {
    throw bad(ProtocolErrorCode.MissingField, `${path}/MSP.config.name`, `is missing: MSP for org ${path.slice(path.lastIndexOf('/') + 1)} has empty MSP ID`);
  }
  return { msp, fabric };
}

type Batch = ParsedChannelConfig['batchSize'];

/** Fabric's `validateBatchSize`, with its messages. */
function batchSizeProblem(b: Batch): string | undefined {
  if (b.maxMessageCount === 0) return 'Attempted to set the batch size max message count to an invalid value: 0';
  if (b.absoluteMaxBytes === 0) return 'Attempted to set the batch size absolute max bytes to an invalid value: 0';
  if (b.preferredMaxBytes === 0) return 'Attempted to set the batch size preferred max bytes to an invalid value: 0';
  if (b.preferredMaxBytes > b.absoluteMaxBytes) {
    return `Attempted to set the batch size preferred max bytes (${b.preferredMaxBytes}) greater than the absolute max bytes (${b.absoluteMaxBytes}).`;
  }
  return undefined;
}

/** Fabric's `validateBatchTimeout`: Go's `time.ParseDuration`, then > 0. Milliseconds. */
function batchTimeoutMs(timeout: string): number {
  const path = '/Channel/Orderer/BatchTimeout.timeout';
  let nanos: bigint;
  try {
    nanos = parseGoDurationNanos(timeout);
  } catch (err) {
    throw ruleError(path, `Attempted to set the batch timeout to a invalid value: ${(err as Error).message} (expected a Go duration such as "2s")`);
  }
  if (nanos <= 0n) throw ruleError(path, `Attempted to set the batch timeout to a non-positive value: ${JSON.stringify(timeout)}`);
  return Number(nanos) / 1e6;
}

/** The channel-level rules of Fabric's `ChannelConfig.Validate`. */
function checkChannelValues(root: ConfigGroup, channelCapabilities: readonly string[]): { hashingAlgorithm: string; ordererAddresses: string[] } {
  const hashingAlgorithm = guard('/Channel/HashingAlgorithm', () => requiredValue(root, 'HashingAlgorithm', '/Channel', [HashingAlgorithm, HashingAlgorithmSchema]).getName());
  // Fabric's bccsp names; the algorithm is not used to hash blocks (always SHA-256), in Fabric or Weft.
  if (hashingAlgorithm !== 'SHA256' && hashingAlgorithm !== 'SHA3_256') {
    throw ruleError('/Channel/HashingAlgorithm', `Unknown hashing algorithm type: ${JSON.stringify(hashingAlgorithm)} (expected SHA256 or SHA3_256)`);
  }
  const width = guard('/Channel/BlockDataHashingStructure', () =>
    requiredValue(root, 'BlockDataHashingStructure', '/Channel', [BlockDataHashingStructure, BlockDataHashingStructureSchema]).getWidth(),
  );
  if (width !== MAX_UINT32) {
    throw ruleError('/Channel/BlockDataHashingStructure', `BlockDataHashStructure width only supported at MaxUint32 in this version (got ${width})`);
  }
  const ordererAddresses = guard('/Channel/OrdererAddresses', () => valueOrEmpty(root, 'OrdererAddresses', '/Channel', [OrdererAddresses, OrdererAddressesSchema]).getAddressesList());
  if (!orgSpecificOrdererEndpoints(channelCapabilities) && ordererAddresses.length === 0) {
    throw ruleError('/Channel/OrdererAddresses', 'Must set some OrdererAddresses (orderer orgs may name their own Endpoints only from channel capability V1_4_2)');
  }
  if (channelCapabilities.includes('V3_0') && ordererAddresses.length > 0) {
    throw ruleError('/Channel/OrdererAddresses', 'global OrdererAddresses are not allowed with V3_0 capability, use org specific addresses only');
  }
  return { hashingAlgorithm, ordererAddresses };
}

/**
 * Reads a `common.Config` into a typed view, refusing what Fabric's `channelconfig.NewBundle`
 * refuses short of building the MSPs and policies: value keys a group may not hold, values that do
 * not decode as protobuf-go decodes them (each one, used or not), groups other than Orderer,
 * Application and Consortiums under /Channel, org sub-groups, the capability, hashing, orderer
 * address, batch size and timeout, endpoint, ACL and MSP rules. The Orderer group is required (a
 * peer cannot run a channel without one; an update may not remove it). Throws {@link ProtocolError}
 * naming the config path (`/Channel/Orderer/BatchSize`, …) and Fabric's wording.
 */
export function readChannelConfig(config: Config, configBytes: Uint8Array, channelId = ''): ParsedChannelConfig {
  const root = requireMessage(guard('config', () => config.getChannelGroup()), 'config.channel_group');
  checkCapabilityOrder(root);
  checkGroupValues(root, 'channel', '/Channel');
  const groups = guard('/Channel', () => root.getGroupsMap());
  for (const name of guard('/Channel', () => [...groups.keys()])) {
    if (name !== 'Orderer' && name !== 'Application' && name !== 'Consortiums') throw ruleError(`/Channel/${name}`, `Disallowed channel group: ${name}`);
  }
  const orderer = groups.get('Orderer');
  if (orderer === undefined) throw bad(ProtocolErrorCode.MissingField, '/Channel/Orderer', 'is missing');
  const application = groups.get('Application');
  const capabilities = {
    channel: capabilityNames(root, '/Channel'),
    orderer: capabilityNames(orderer, '/Channel/Orderer'),
    application: capabilityNames(application, '/Channel/Application'),
  };
  const { hashingAlgorithm, ordererAddresses } = checkChannelValues(root, capabilities.channel);

  checkGroupValues(orderer, 'orderer', '/Channel/Orderer');
  const size = requiredValue(orderer, 'BatchSize', '/Channel/Orderer', [BatchSize, BatchSizeSchema]);
  const batchSize = guard('/Channel/Orderer/BatchSize', () => ({
    maxMessageCount: size.getMaxMessageCount(),
    absoluteMaxBytes: size.getAbsoluteMaxBytes(),
    preferredMaxBytes: size.getPreferredMaxBytes(),
  }));
  const sizeProblem = batchSizeProblem(batchSize);
  if (sizeProblem !== undefined) throw ruleError('/Channel/Orderer/BatchSize', sizeProblem);
  const batchTimeout = guard('/Channel/Orderer/BatchTimeout', () => requiredValue(orderer, 'BatchTimeout', '/Channel/Orderer', [BatchTimeout, BatchTimeoutSchema]).getTimeout());
  const timeoutMs = batchTimeoutMs(batchTimeout);
  const consensus = valueOrEmpty(orderer, 'ConsensusType', '/Channel/Orderer', [ConsensusType, ConsensusTypeSchema]);
  const consensusType = guard('/Channel/Orderer/ConsensusType', () => ({
    type: consensus.getType(),
    metadata: consensus.getMetadata_asU8(),
    state: consensus.getState(),
  }));
  const consenters = guard(`/Channel/Orderer/${ORDERERS_KEY}`, () =>
    (value(orderer, ORDERERS_KEY, '/Channel/Orderer', [Orderers, OrderersSchema])?.getConsenterMappingList() ?? []).map(consenterOf),
  );

  const msps = new Map<string, FabricMSPConfig>();
  const mspValues = new Map<string, MSPConfig>();
  const unsupportedMsps: { path: string; type: number }[] = [];
  const mspIdOf = (group: ConfigGroup, path: string): string => {
    const { msp, fabric } = orgMsp(group, path);
    if (typeof fabric === 'number') {
      unsupportedMsps.push({ path: `${path}/MSP`, type: fabric });
      return path.slice(path.lastIndexOf('/') + 1);
    }
    const id = fabric.getName();
    const earlier = mspValues.get(id);
    // Fabric's ProposeMSP: one MSP ID may appear in several orgs only with the same MSPConfig.
    if (earlier !== undefined && !sameMspConfig(earlier, msp)) throw ruleError(`${path}/MSP`, `Attempted to define two different versions of MSP: ${id}`);
    mspValues.set(id, msp);
    msps.set(id, fabric);
    return id;
  };
  const ordererOrgs: { name: string; mspId: string; endpoints: string[] }[] = [];
  const ordererEndpoints = new Map<string, string[]>();
  const orgEndpoints = orgSpecificOrdererEndpoints(capabilities.channel);
  for (const [name, group] of sortedGroups(orderer, '/Channel/Orderer')) {
    const path = `/Channel/Orderer/${name}`;
    checkGroupValues(group, 'ordererOrg', path);
    if (!orgEndpoints && guard(path, () => group.getValuesMap().has('Endpoints'))) {
      throw ruleError(`${path}/Endpoints`, `Orderer Org ${name} cannot contain endpoints value until V1_4_2+ capabilities have been enabled`);
    }
    const mspId = mspIdOf(group, path);
    const endpoints = guard(`${path}/Endpoints`, () => value(group, 'Endpoints', path, [OrdererAddresses, OrdererAddressesSchema])?.getAddressesList() ?? []);
    ordererOrgs.push({ name, mspId, endpoints });
    ordererEndpoints.set(mspId, endpoints);
  }
  if (capabilities.channel.includes('V3_0')) {
    const missing = ordererOrgs.filter((o) => o.endpoints.length === 0).map((o) => o.name);
    if (missing.length > 0) throw ruleError('/Channel/Orderer', `some orderer organizations endpoints are empty: [${missing.join(' ')}]`);
  }

  const applicationOrgs: { name: string; mspId: string; anchorPeers: AnchorPeerAddress[] }[] = [];
  const anchorPeers = new Map<string, AnchorPeerAddress[]>();
  const acls = new Map<string, string>();
  if (application !== undefined) {
    checkGroupValues(application, 'application', '/Channel/Application');
    const aclValue = value(application, 'ACLs', '/Channel/Application', [ACLs, ACLsSchema]);
    if (aclValue !== undefined && !applicationAcls(capabilities.application)) {
      throw ruleError('/Channel/Application/ACLs', 'ACLs may not be specified without the required capability (application V1_2 or later)');
    }
    // Fabric's newAPIsProvider: an empty reference falls back to the default, a relative one names an Application policy.
    guard('/Channel/Application/ACLs', () =>
      aclValue?.getAclsMap().forEach((api, resource) => {
        const ref = api.getPolicyRef();
        if (ref !== '') acls.set(resource, ref.startsWith('/') ? ref : `/Channel/Application/${ref}`);
      }),
    );
    for (const [name, group] of sortedGroups(application, '/Channel/Application')) {
      const path = `/Channel/Application/${name}`;
      checkGroupValues(group, 'applicationOrg', path);
      const mspId = mspIdOf(group, path);
      const anchors = guard(`${path}/AnchorPeers`, () =>
        (value(group, 'AnchorPeers', path, [AnchorPeers, AnchorPeersSchema])?.getAnchorPeersList() ?? []).map((p) => ({ host: p.getHost(), port: p.getPort() })),
      );
      applicationOrgs.push({ name, mspId, anchorPeers: anchors });
      anchorPeers.set(mspId, anchors);
    }
  }

  return {
    channelId,
    sequence: guard('config', () => config.getSequence()),
    config,
    configBytes,
    hashingAlgorithm,
    capabilities,
    msps,
    applicationOrgs,
    ordererOrgs,
    ordererEndpoints,
    anchorPeers,
    ordererAddresses,
    batchSize,
    batchTimeout,
    batchTimeoutMs: timeoutMs,
    consensusType,
    consenters,
    acls,
    unsupportedMsps,
    hasApplication: application !== undefined,
  };
}

/** A group's sub-groups by name, in byte order (Go iterates maps at random; errors must not depend on it). */
function sortedGroups(group: ConfigGroup, path: string): [string, ConfigGroup][] {
  return guard(path, () => [...group.getGroupsMap().entries()]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** protobuf-go's `proto.Equal` on two decoded `MSPConfig`s (type and config bytes). */
function sameMspConfig(a: MSPConfig, b: MSPConfig): boolean {
  return a.getType() === b.getType() && bytesEqual(a.getConfig_asU8(), b.getConfig_asU8());
}

/** Decodes `common.Config` bytes (within `maxBytes`, 10 MiB by default) into a typed view; keeps the bytes. */
export function parseChannelConfig(configBytes: Uint8Array, options: ParseOptions & { channelId?: string } = {}): ParsedChannelConfig {
  const config = decodeConfigProto(Config, ConfigSchema, configBytes, 'config', options.maxBytes ?? DefaultProtocolLimits.maxConfigBytes);
  return readChannelConfig(config, configBytes, options.channelId);
}

/** Whether a block is a config block: exactly one envelope whose header type is CONFIG. Never throws. */
export function isConfigBlock(block: Block): boolean {
  try {
    const envelopes = blockEnvelopes(block);
    return envelopes.length === 1 && parseEnvelope(envelopes[0]).channelHeader.type === HeaderType.CONFIG;
  } catch {
    return false;
  }
}

/**
 * Reads a config block (a proto, or bytes bounded like any block): exactly one CONFIG envelope
 * carrying a `ConfigEnvelope` with its `Config`. Throws {@link ProtocolError} naming the field.
 */
export function parseConfigBlock(block: Block | Uint8Array, options: ParseOptions = {}): ParsedConfigBlock {
  const proto = block instanceof Uint8Array ? parseBlock(block, options).block : block;
  const envelopes = blockEnvelopes(proto);
  if (envelopes.length !== 1) {
    throw bad(ProtocolErrorCode.BadField, 'block.data', `a config block holds exactly 1 envelope, found ${envelopes.length}`);
  }
  const envelope = parseEnvelope(envelopes[0], { path: 'block.data[0]', types: [HeaderType.CONFIG] });
  const dataPath = 'block.data[0].payload.data';
  const configEnvelope = decodeConfigProto(ConfigEnvelope, ConfigEnvelopeSchema, envelope.data, dataPath);
  const config = requireMessage(guard(dataPath, () => configEnvelope.getConfig()), `${dataPath}.config`);
  const lastUpdate = guard(dataPath, () => configEnvelope.getLastUpdate()?.serializeBinary());
  const view = readChannelConfig(config, guard(`${dataPath}.config`, () => config.serializeBinary()), envelope.channelHeader.channelId);
  return { ...view, envelope, lastUpdate };
}
