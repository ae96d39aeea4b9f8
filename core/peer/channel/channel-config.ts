import type { Config } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import type { FabricMSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { ProtocolError } from '../../errors';
import { guard, requireBytes } from '../../protocol/bounded-decode';
import type { CapabilityNames } from '../../protocol/capabilities';
import type { BftConsenter } from '../../protocol/bft-config';
import { AnchorPeerAddress, ParsedChannelConfig, parseConfigBlock as parseProtocolConfigBlock, readChannelConfig } from '../../protocol/config-parse';

/** One organization of a channel config: its MSP and, for orderer orgs, its endpoints. */
export interface ConfigOrg {
  /** The org's group name in the config (`Org1`, `Org1MSP`, …). */
  readonly name: string;
  readonly mspId: string;
  readonly msp: FabricMSPConfig;
  /** Orderer org `Endpoints` value (`host:port`). */
  readonly endpoints: readonly string[];
  /** Application org `AnchorPeers` value (`host:port`): peers other orgs' gateways can reach. */
  readonly anchorPeers: readonly string[];
}

/** What a peer reads from a channel config block. */
export interface ChannelConfigView {
  readonly channelId: string;
  /** `Config.sequence`: bumps with every config update. */
  readonly sequence: number;
  /** The serialized `common.Config`: what the policy manager is built from. */
  readonly configBytes: Uint8Array;
  readonly applicationOrgs: readonly ConfigOrg[];
  readonly ordererOrgs: readonly ConfigOrg[];
  /** The orderer endpoints: the orgs' `Endpoints` when any org has some, else the legacy channel `OrdererAddresses`. */
  readonly ordererEndpoints: readonly string[];
  /** The Application group's `ACLs`: resource (`peer/Propose`, `qscc/GetChainInfo`, …) → absolute policy path. */
  readonly acls: ReadonlyMap<string, string>;
  /** The capabilities the config requires at each level. */
  readonly capabilities: CapabilityNames;
  /** `/Channel/Orderer/ConsensusType.type` ('etcdraft', 'BFT', …): the Gateway submits to a BFT channel's orderers all at once. */
  readonly consensusType: string;
  /** `/Channel/Orderer/Orderers` consenter mapping: whom a V3_0 channel's block signatures name by id. */
  readonly consenters: readonly BftConsenter[];
}

/**
 * Reads a config block (genesis or update) into a {@link ChannelConfigView}, refusing what
 * Fabric's `channelconfig.NewBundle` refuses before it builds MSPs and policies (see
 * `readChannelConfig`). Throws `ProtocolError` naming the field or config path.
 */
export function parseConfigBlock(blockBytes: Uint8Array): ChannelConfigView {
  return viewOf(parseProtocolConfigBlock(requireBytes(blockBytes, 'block')));
}

/** The view of an already decoded `common.Config`, under the same rules as {@link parseConfigBlock}. */
export function viewOfConfig(channelId: string, config: Config): ChannelConfigView {
  return viewOf(readChannelConfig(config, guard('config', () => config.serializeBinary()), channelId));
}

function viewOf(parsed: ParsedChannelConfig): ChannelConfigView {
  const unsupported = parsed.unsupportedMsps[0];
  if (unsupported !== undefined) {
    // Fabric peers run IDEMIX MSPs; Weft cannot validate their identities, so it will not run the channel.
    throw new ProtocolError('PROTOCOL_BAD_FIELD', `${unsupported.path} has MSP type ${unsupported.type}; Weft runs only FABRIC (0) MSPs`, { path: unsupported.path });
  }
  const org = (name: string, mspId: string, endpoints: readonly string[], anchors: readonly AnchorPeerAddress[]): ConfigOrg => ({
    name,
    mspId,
    msp: parsed.msps.get(mspId)!,
    endpoints,
    anchorPeers: anchors.map((a) => `${a.host}:${a.port}`),
  });
  const byName = (a: ConfigOrg, b: ConfigOrg): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const applicationOrgs = parsed.applicationOrgs.map((o) => org(o.name, o.mspId, [], o.anchorPeers)).sort(byName);
  const ordererOrgs = parsed.ordererOrgs.map((o) => org(o.name, o.mspId, o.endpoints, [])).sort(byName);
  // Fabric's connection source: the orgs' own endpoints when any org lists some (the channel-wide
  // OrdererAddresses are then ignored, as stale legacy entries), else the channel-wide ones.
  const endpoints = new Set<string>();
  for (const o of ordererOrgs) for (const e of o.endpoints) endpoints.add(e);
  if (endpoints.size === 0) for (const a of parsed.ordererAddresses) endpoints.add(a);
  return {
    channelId: parsed.channelId,
    sequence: parsed.sequence,
    configBytes: parsed.configBytes,
    applicationOrgs,
    ordererOrgs,
    ordererEndpoints: [...endpoints],
    acls: parsed.acls,
    capabilities: parsed.capabilities,
    consensusType: parsed.consensusType.type,
    consenters: parsed.consenters,
  };
}
