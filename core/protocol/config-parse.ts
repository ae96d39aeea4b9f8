import { Block, HeaderType } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { HashingAlgorithm, OrdererAddresses } from '@hyperledger/fabric-protos/lib/common/configuration_pb';
import { Config, ConfigEnvelope, ConfigGroup } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { FabricMSPConfig, MSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { BatchSize, BatchTimeout, ConsensusType } from '@hyperledger/fabric-protos/lib/orderer/configuration_pb';
import { ACLs, AnchorPeers } from '@hyperledger/fabric-protos/lib/peer/configuration_pb';
import type { Message } from 'google-protobuf';
import { ProtocolError } from '../errors';
import { blockEnvelopes, parseBlock } from './block';
import { capabilityNames } from './capabilities';
import { DefaultProtocolLimits, MessageClass, ParseOptions, ProtocolErrorCode, decode, guard, requireMessage } from './bounded-decode';
import { ParsedEnvelope, parseEnvelope } from './envelope';
import { parseGoDuration } from './go-duration';

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

function value<T extends Message>(group: ConfigGroup, key: string, groupPath: string, cls: MessageClass<T>): T | undefined {
  const cv = guard(groupPath, () => group.getValuesMap().get(key));
  if (cv === undefined) return undefined;
  return decode(cls, guard(`${groupPath}/${key}`, () => cv.getValue_asU8()), `${groupPath}/${key}`);
}

function requiredValue<T extends Message>(group: ConfigGroup, key: string, groupPath: string, cls: MessageClass<T>): T {
  const v = value(group, key, groupPath, cls);
  if (v === undefined) throw bad(ProtocolErrorCode.MissingField, `${groupPath}/${key}`, 'is missing');
  return v;
}

/** An org's FABRIC MSP config, or its MSP type when it is another kind (idemix = 1). */
function orgMsp(group: ConfigGroup, path: string): FabricMSPConfig | number {
  const msp = requiredValue(group, 'MSP', path, MSPConfig);
  const type = guard(`${path}/MSP`, () => msp.getType());
  if (type !== 0) return type;
  const fabric = decode(FabricMSPConfig, guard(`${path}/MSP`, () => msp.getConfig_asU8()), `${path}/MSP.config`);
  if (guard(`${path}/MSP.config`, () => fabric.getName()) === '') {
    throw bad(ProtocolErrorCode.MissingField, `${path}/MSP.config.name`, 'is missing (the msp id)');
  }
  return fabric;
}

/**
 * Reads a `common.Config` into a typed view. The Orderer group and its BatchSize, BatchTimeout and
 * ConsensusType are required; the Application group is optional. Throws {@link ProtocolError} naming
 * the config path (`/Channel/Orderer/BatchSize`, …).
 */
export function readChannelConfig(config: Config, configBytes: Uint8Array, channelId = ''): ParsedChannelConfig {
  const root = requireMessage(guard('config', () => config.getChannelGroup()), 'config.channel_group');
  const groups = guard('/Channel', () => root.getGroupsMap());
  const orderer = groups.get('Orderer');
  if (orderer === undefined) throw bad(ProtocolErrorCode.MissingField, '/Channel/Orderer', 'is missing');
  const application = groups.get('Application');

  const size = requiredValue(orderer, 'BatchSize', '/Channel/Orderer', BatchSize);
  const batchSize = guard('/Channel/Orderer/BatchSize', () => ({
    maxMessageCount: size.getMaxMessageCount(),
    absoluteMaxBytes: size.getAbsoluteMaxBytes(),
    preferredMaxBytes: size.getPreferredMaxBytes(),
  }));
  if (batchSize.maxMessageCount === 0 || batchSize.absoluteMaxBytes === 0 || batchSize.preferredMaxBytes === 0) {
    throw bad(ProtocolErrorCode.BadField, '/Channel/Orderer/BatchSize', `has a zero field: ${JSON.stringify(batchSize)}`);
  }
  if (batchSize.preferredMaxBytes > batchSize.absoluteMaxBytes) {
    throw bad(ProtocolErrorCode.BadField, '/Channel/Orderer/BatchSize.preferred_max_bytes', `exceeds absolute_max_bytes (${batchSize.absoluteMaxBytes})`);
  }
  const batchTimeout = guard('/Channel/Orderer/BatchTimeout', () => requiredValue(orderer, 'BatchTimeout', '/Channel/Orderer', BatchTimeout).getTimeout());
  const batchTimeoutMs = parseGoDuration(batchTimeout);
  if (batchTimeoutMs === undefined || batchTimeoutMs <= 0) {
    throw bad(ProtocolErrorCode.BadField, '/Channel/Orderer/BatchTimeout.timeout', `expected a positive Go duration such as "2s", got ${JSON.stringify(batchTimeout)}`);
  }
  const consensus = requiredValue(orderer, 'ConsensusType', '/Channel/Orderer', ConsensusType);
  const consensusType = guard('/Channel/Orderer/ConsensusType', () => ({
    type: consensus.getType(),
    metadata: consensus.getMetadata_asU8(),
    state: consensus.getState(),
  }));

  const msps = new Map<string, FabricMSPConfig>();
  const unsupportedMsps: { path: string; type: number }[] = [];
  const mspIdOf = (group: ConfigGroup, path: string): string => {
    const fabric = orgMsp(group, path);
    if (typeof fabric === 'number') {
      unsupportedMsps.push({ path: `${path}/MSP`, type: fabric });
      return path.slice(path.lastIndexOf('/') + 1);
    }
    msps.set(fabric.getName(), fabric);
    return fabric.getName();
  };
  const ordererOrgs: { name: string; mspId: string; endpoints: string[] }[] = [];
  const ordererEndpoints = new Map<string, string[]>();
  for (const [name, group] of guard('/Channel/Orderer', () => [...orderer.getGroupsMap().entries()])) {
    const path = `/Channel/Orderer/${name}`;
    const mspId = mspIdOf(group, path);
    const endpoints = guard(`${path}/Endpoints`, () => value(group, 'Endpoints', path, OrdererAddresses)?.getAddressesList() ?? []);
    ordererOrgs.push({ name, mspId, endpoints });
    ordererEndpoints.set(mspId, endpoints);
  }

  const applicationOrgs: { name: string; mspId: string; anchorPeers: AnchorPeerAddress[] }[] = [];
  const anchorPeers = new Map<string, AnchorPeerAddress[]>();
  const acls = new Map<string, string>();
  if (application !== undefined) {
    for (const [name, group] of guard('/Channel/Application', () => [...application.getGroupsMap().entries()])) {
      const path = `/Channel/Application/${name}`;
      const mspId = mspIdOf(group, path);
      const anchors = guard(`${path}/AnchorPeers`, () =>
        (value(group, 'AnchorPeers', path, AnchorPeers)?.getAnchorPeersList() ?? []).map((p) => ({ host: p.getHost(), port: p.getPort() })),
      );
      applicationOrgs.push({ name, mspId, anchorPeers: anchors });
      anchorPeers.set(mspId, anchors);
    }
    const aclValue = value(application, 'ACLs', '/Channel/Application', ACLs);
    guard('/Channel/Application/ACLs', () => aclValue?.getAclsMap().forEach((api, resource) => acls.set(resource, api.getPolicyRef())));
  }

  return {
    channelId,
    sequence: guard('config', () => config.getSequence()),
    config,
    configBytes,
    hashingAlgorithm: guard('/Channel/HashingAlgorithm', () => value(root, 'HashingAlgorithm', '/Channel', HashingAlgorithm)?.getName() ?? ''),
    capabilities: {
      channel: capabilityNames(root, '/Channel'),
      orderer: capabilityNames(orderer, '/Channel/Orderer'),
      application: capabilityNames(application, '/Channel/Application'),
    },
    msps,
    applicationOrgs,
    ordererOrgs,
    ordererEndpoints,
    anchorPeers,
    ordererAddresses: guard('/Channel/OrdererAddresses', () => value(root, 'OrdererAddresses', '/Channel', OrdererAddresses)?.getAddressesList() ?? []),
    batchSize,
    batchTimeout,
    batchTimeoutMs,
    consensusType,
    acls,
    unsupportedMsps,
    hasApplication: application !== undefined,
  };
}

/** Decodes `common.Config` bytes (within `maxBytes`, 10 MiB by default) into a typed view; keeps the bytes. */
export function parseChannelConfig(configBytes: Uint8Array, options: ParseOptions & { channelId?: string } = {}): ParsedChannelConfig {
  const config = decode(Config, configBytes, 'config', options.maxBytes ?? DefaultProtocolLimits.maxConfigBytes);
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
  const configEnvelope = decode(ConfigEnvelope, envelope.data, dataPath);
  const config = requireMessage(guard(dataPath, () => configEnvelope.getConfig()), `${dataPath}.config`);
  const lastUpdate = guard(dataPath, () => configEnvelope.getLastUpdate()?.serializeBinary());
  const view = readChannelConfig(config, guard(`${dataPath}.config`, () => config.serializeBinary()), envelope.channelHeader.channelId);
  return { ...view, envelope, lastUpdate };
}
