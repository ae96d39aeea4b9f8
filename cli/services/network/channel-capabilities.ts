import { X509Certificate } from 'node:crypto';
import { FabricMSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { z } from 'zod';
import { ConfigError } from '../../../core/errors';
import { SUPPORTED_CAPABILITIES, type CapabilityLevel, type CapabilityNames } from '../../../core/protocol/capabilities';
import { DEFAULT_CHANNEL_CAPABILITIES } from '../../../core/protocol/channel-definition';
import { CAPABILITY_LEVELS, CAPABILITY_ORDER, parseCapabilityPairs } from './channel-config-flags';

/** The capabilities a channel requires at each level: one name per level, as configtxgen writes them. */
export type ChannelCapabilities = Readonly<Record<CapabilityLevel, string>>;

/** Some levels' capabilities, the others left to {@link DEFAULT_CHANNEL_CAPABILITIES}: what network.yaml and `--capabilities` say. */
export type ChannelCapabilitiesChoice = Partial<ChannelCapabilities>;

/** The capability names a channel may be set to at `level`: those this build supports (`SUPPORTED_CAPABILITIES`) that have a place in {@link CAPABILITY_ORDER}. */
export function settableCapabilities(level: CapabilityLevel): string[] {
  return SUPPORTED_CAPABILITIES[level].filter((c) => CAPABILITY_ORDER.includes(c));
}

/**
 * The lowest capability a channel Weft makes (`network init`, `channel create`) may require, and why:
 * below it the channel runs, but not with what Weft writes into it or runs on it.
 */
const LOWEST_FOR_WEFT_CHANNELS: Readonly<Partial<Record<CapabilityLevel, { readonly name: string; readonly why: string }>>> = {
  channel: {
    name: 'V1_4_3',
    why:
      "Weft's crypto material tells admins and orderers apart by NodeOU (no admincerts), which Fabric's MSP reads from MSPv1_4_3, channel V1_4_3 on: below it orderers' block signatures and admins' signatures are refused",
  },
  application: {
    name: 'V2_0',
    why: 'Weft runs chaincode through the _lifecycle chaincode, which Fabric peers enable from application V2_0: below it they use the legacy lscc lifecycle, which Weft lacks',
  },
};

/** What is wrong with setting `level` to `name` on a channel Weft makes: undefined when nothing; `code` and message otherwise. */
export function capabilityChoiceProblem(level: CapabilityLevel, name: string): { code: string; message: string; suggestion: string } | undefined {
  const settable = settableCapabilities(level);
  if (!settable.includes(name)) {
    return { code: 'UNSUPPORTED_CAPABILITY', message: `this Weft build does not support ${level} capability ${name}`, suggestion: `one of: ${settable.join(', ')}` };
  }
  const lowest = LOWEST_FOR_WEFT_CHANNELS[level];
  if (lowest !== undefined && CAPABILITY_ORDER.indexOf(name) < CAPABILITY_ORDER.indexOf(lowest.name)) {
    const allowed = settable.filter((c) => CAPABILITY_ORDER.indexOf(c) >= CAPABILITY_ORDER.indexOf(lowest.name));
    return { code: 'CAPABILITY_TOO_LOW', message: `${level} capability ${name} is below ${lowest.name}: ${lowest.why}`, suggestion: `one of: ${allowed.join(', ')}` };
  }
  return undefined;
}

/** network.yaml's `capabilities` of a channel: each level given is one {@link capabilityChoiceProblem} finds nothing wrong with. */
export const ChannelCapabilitiesSpec = z
  .object({ channel: z.string().optional(), orderer: z.string().optional(), application: z.string().optional() })
  .strict()
  .superRefine((caps, ctx) => {
    for (const level of CAPABILITY_LEVELS) {
      const name = caps[level];
      const problem = name === undefined ? undefined : capabilityChoiceProblem(level, name);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', path: [level], message: `${problem.message} (${problem.suggestion})` });
    }
  });

/**
 * `--capabilities channel=V2_0,orderer=V2_0,application=V2_5`: Fabric's level and capability names,
 * any subset. Each name is checked as {@link capabilityChoiceProblem} does; a typed error names `flag`.
 */
export function parseCapabilitiesFlag(value: string | undefined, flag = '--capabilities'): ChannelCapabilitiesChoice | undefined {
  if (value === undefined) return undefined;
  const raws = value.split(',').map((v) => v.trim()).filter((v) => v !== '');
  if (raws.length === 0) {
    throw new ConfigError('BAD_FLAG_VALUE', `${flag} ${JSON.stringify(value)}: expected <level>=<name>[,<level>=<name>...], e.g. channel=V2_0,application=V2_0`, { field: flag, value });
  }
  const choice: Partial<Record<CapabilityLevel, string>> = {};
  for (const { level, name } of parseCapabilityPairs(flag, raws)) {
    const problem = capabilityChoiceProblem(level, name);
    if (problem !== undefined) throw new ConfigError(problem.code, `${flag} ${level}=${name}: ${problem.message}`, { field: flag, value: `${level}=${name}`, suggestions: [problem.suggestion] });
    choice[level] = name;
  }
  return choice;
}

/** A channel's capabilities with the levels `choice` leaves out at Weft's defaults. */
export function capabilitiesOf(choice: ChannelCapabilitiesChoice | undefined): ChannelCapabilities {
  return { ...DEFAULT_CHANNEL_CAPABILITIES, ...choice };
}

/** A channel's capabilities as network.yaml records them: only the levels that differ from the defaults; undefined when none. */
export function capabilitiesChoiceOf(caps: ChannelCapabilities): ChannelCapabilitiesChoice | undefined {
  const differing = CAPABILITY_LEVELS.filter((level) => caps[level] !== DEFAULT_CHANNEL_CAPABILITIES[level]);
  return differing.length === 0 ? undefined : Object.fromEntries(differing.map((level) => [level, caps[level]]));
}

/**
 * The capabilities a channel's config requires, as one name per level: the newest of each level's
 * names in {@link CAPABILITY_ORDER}, or `recorded`'s for a level that has none (a config written by
 * hand with only experimental names, or none).
 */
export function capabilitiesInConfig(required: CapabilityNames, recorded: ChannelCapabilities): ChannelCapabilities {
  const newest = (level: CapabilityLevel): string => {
    const known = required[level].filter((c) => CAPABILITY_ORDER.includes(c));
    return known.length === 0 ? recorded[level] : known.reduce((a, b) => (CAPABILITY_ORDER.indexOf(b) > CAPABILITY_ORDER.indexOf(a) ? b : a));
  };
  return { channel: newest('channel'), orderer: newest('orderer'), application: newest('application') };
}

/** An org that would sit on a channel with Ed25519 keys: `source` names what made them so (`--key-algorithm ed25519`, `orgs.0.keyAlgorithm`, its CA certificate). */
export interface Ed25519Member {
  readonly mspId: string;
  readonly source: string;
}

/**
 * Refuses a channel below channel capability V3_0 with an org whose keys are Ed25519: Fabric's MSP
 * accepts Ed25519 identities from MSPv3_0 only (`setupV3`), as Weft's (`X509Msp.validateIdentity`),
 * so the org's nodes and users could neither sign blocks nor transactions on it. `chosenBy` names
 * what chose the capability: its field (`--capabilities`, `channel.capabilities.channel`) and how it
 * reads there (`--capabilities channel=V2_0`).
 */
export function assertEd25519FitsCapabilities(
  caps: ChannelCapabilities,
  members: readonly Ed25519Member[],
  chosenBy: { readonly field: string; readonly said: string },
  channel: string,
  suggestions = [
    'leave the channel capability at V3_0 (the default): every node on the channel must then be Fabric 3 or Weft',
    'or make the orgs with ECDSA keys (--key-algorithm ecdsa, the default) for a channel Fabric 2.x nodes can join',
  ],
): void {
  if (caps.channel === 'V3_0' || members.length === 0) return;
  const first = members[0]!;
  throw new ConfigError(
    'CAPABILITY_TOO_LOW',
    `${chosenBy.said}: channel ${channel} at channel capability ${caps.channel} cannot have ${members.map((m) => m.mspId).join(', ')}, whose keys are Ed25519 (${first.source}): Fabric's MSP, and Weft's, accept Ed25519 identities from channel capability V3_0 (MSPv3_0) only`,
    {
      field: chosenBy.field,
      conflictsWith: first.source,
      channel,
      suggestions,
    },
  );
}

/**
 * Whether an org's MSP config (as a channel's genesis block carries it, or its bytes) roots its
 * identities in an Ed25519 CA. A root that does not parse counts as not: the MSP's own checks
 * refuse it, with their error.
 */
export function mspHasEd25519Root(mspConfig: FabricMSPConfig | Uint8Array): boolean {
  const config = mspConfig instanceof FabricMSPConfig ? mspConfig : FabricMSPConfig.deserializeBinary(mspConfig);
  return config.getRootCertsList_asU8().some((pem) => {
    try {
      return new X509Certificate(pem).publicKey.asymmetricKeyType === 'ed25519';
    } catch {
      return false;
    }
  });
}
