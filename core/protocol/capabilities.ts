import { Capabilities } from '@hyperledger/fabric-protos/lib/common/configuration_pb';
import type { Config, ConfigGroup } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import type { MspVersion } from '../msp/msp-version';
import { guard } from './bounded-decode';
import { decodeConfigProto } from './config-decode';
import { CapabilitiesSchema } from './config-schemas';

/** The three places a channel config requires capabilities (Fabric's channel, orderer and application providers). */
export type CapabilityLevel = 'channel' | 'orderer' | 'application';

/** Capability names by level, as a config requires them or as a node supports them. */
export type CapabilityNames = Readonly<Record<CapabilityLevel, readonly string[]>>;

/**
 * The capability names a Weft node accepts in a config: exactly those Fabric 3's binaries know
 * (`common/capabilities/{channel,orderer,application}.go`, `HasCapability`), so that Weft and
 * Fabric nodes on one channel agree on which configs may be ordered and run.
 *
 * What Weft implements is narrower than the names suggest. It gates few behaviours on them: the
 * orderer's maintenance mode (orderer V1_4_2 or V2_0, Fabric's `ConsensusTypeMigration`), the
 * config succession rules (`config-succession.ts`), the channel's MSP version
 * ({@link channelMspVersion}, every MSP version Fabric has), block signatures by consenter id (channel
 * V3_0) and purging private data (application V2_5, {@link purgesPrivateData}): it otherwise always
 * runs the newest rules of each level (channel V3_0, application V2_5). A channel
 * at a lower level is accepted, as Fabric 3 accepts it, but runs under those rules: among others,
 * Weft has no legacy (lscc) chaincode lifecycle, which Fabric uses below application V2_0.
 */
export const SUPPORTED_CAPABILITIES: CapabilityNames = {
  channel: ['V1_1', 'V1_3', 'V1_4_2', 'V1_4_3', 'V2_0', 'V3_0'],
  orderer: ['V1_1', 'V1_4_2', 'V2_0'],
  application: ['V1_1', 'V1_2', 'V1_3', 'V1_4_2', 'V2_0', 'V2_5', 'V1_1_PVTDATA_EXPERIMENTAL', 'V1_1_RESOURCETREE_EXPERIMENTAL'],
};

const GROUP_PATH: Readonly<Record<CapabilityLevel, string>> = {
  channel: '/Channel',
  orderer: '/Channel/Orderer',
  application: '/Channel/Application',
};

/** Fabric's provider `Type()`, which its "is required but not supported" message starts with. */
const TYPE_NAME: Readonly<Record<CapabilityLevel, string>> = { channel: 'Channel', orderer: 'Orderer', application: 'Application' };

/**
 * The capability names of a config group's `Capabilities` value, sorted; [] when the group or the
 * value is absent. Throws `ProtocolError` naming `<path>/Capabilities` when the value does not decode.
 */
export function capabilityNames(group: ConfigGroup | undefined, path: string): string[] {
  if (group === undefined) return [];
  const value = guard(path, () => group.getValuesMap().get('Capabilities'));
  if (value === undefined) return [];
  const where = `${path}/Capabilities`;
  const caps = decodeConfigProto(Capabilities, CapabilitiesSchema, guard(where, () => value.getValue_asU8()), where);
  return guard(where, () => [...caps.getCapabilitiesMap().keys()].sort());
}

/** The capabilities each level of `config` requires. Throws `ProtocolError` naming a value that does not decode. */
export function requiredCapabilities(config: Config): CapabilityNames {
  const root = guard('config', () => config.getChannelGroup());
  const groups = root === undefined ? undefined : guard('/Channel', () => root.getGroupsMap());
  return {
    channel: capabilityNames(root, GROUP_PATH.channel),
    orderer: capabilityNames(groups?.get('Orderer'), GROUP_PATH.orderer),
    application: capabilityNames(groups?.get('Application'), GROUP_PATH.application),
  };
}

/** A capability a config requires that this node does not support. */
export interface UnsupportedCapability {
  readonly level: CapabilityLevel;
  readonly name: string;
  /** The config value that requires it, e.g. `/Channel/Capabilities`. */
  readonly path: string;
  /** Fabric's wording (`checkResources`), plus what is supported. */
  readonly message: string;
}

/**
 * The first capability `required` names at one of `levels` that Weft does not support (Fabric's
 * `Supported()`), or undefined. The orderer checks the channel and orderer levels, a peer the
 * channel and application levels, as Fabric's do.
 */
export function unsupportedCapability(required: CapabilityNames, levels: readonly CapabilityLevel[]): UnsupportedCapability | undefined {
  for (const level of levels) {
    const supported = SUPPORTED_CAPABILITIES[level];
    const name = required[level].find((n) => !supported.includes(n));
    if (name === undefined) continue;
    const path = `${GROUP_PATH[level]}/Capabilities`;
    const message =
      `config requires unsupported ${level} capabilities: ${TYPE_NAME[level]} capability ${name} is required but not supported ` +
      `(${path}; this node supports ${supported.join(', ')})`;
    return { level, name, path, message };
  }
  return undefined;
}

/**
 * Whether a channel's application capabilities let chaincode purge private data: Fabric's
 * `ApplicationProvider.PurgePvtData()`, V2_5. A Weft peer endorsing a purge on a channel below it
 * would endorse what a Fabric 2.x peer of the channel refuses.
 */
export function purgesPrivateData(applicationCapabilities: readonly string[]): boolean {
  return applicationCapabilities.includes('V2_5');
}

/**
 * The MSP version a channel's capabilities select, as Fabric's `ChannelProvider.MSPVersion()`
 * (common/capabilities/channel.go): the newest capability present wins, V1_4_2 selects MSPv1_3 and
 * V2_0 MSPv1_4_3, and a channel with none runs MSPv1_0. `channel` is the `/Channel` level's names.
 */
export function channelMspVersion(channel: readonly string[]): MspVersion {
  const has = (name: string): boolean => channel.includes(name);
  if (has('V3_0')) return 'MSPv3_0';
  if (has('V1_4_3') || has('V2_0')) return 'MSPv1_4_3';
  if (has('V1_3') || has('V1_4_2')) return 'MSPv1_3';
  if (has('V1_1')) return 'MSPv1_1';
  return 'MSPv1_0';
}
