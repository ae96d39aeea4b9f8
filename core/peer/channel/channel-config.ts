import { Block, HeaderType } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { OrdererAddresses } from '@hyperledger/fabric-protos/lib/common/configuration_pb';
import { Config, ConfigEnvelope, ConfigGroup } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { FabricMSPConfig, MSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { ACLs, AnchorPeers } from '@hyperledger/fabric-protos/lib/peer/configuration_pb';
import { ProtocolError } from '../../errors';
import { decode, guard, requireBytes } from '../../protocol/bounded-decode';
import { parseEnvelope } from '../../protocol/envelope';

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
  /** Every orderer endpoint: per-org `Endpoints` and the legacy channel `OrdererAddresses`. */
  readonly ordererEndpoints: readonly string[];
  /** The Application group's `ACLs`: resource (`peer/Propose`, `qscc/GetChainInfo`, …) → policy path. */
  readonly acls: ReadonlyMap<string, string>;
}

/**
 * Reads a config block (genesis or update) into a {@link ChannelConfigView}. Throws
 * `ProtocolError` naming the field when the block is not a well-formed config block.
 */
export function parseConfigBlock(blockBytes: Uint8Array): ChannelConfigView {
  const block = decode(Block, requireBytes(blockBytes, 'block'), 'block');
  const data = guard('block.data', () => block.getData()?.getDataList_asU8() ?? []);
  if (data.length !== 1) {
    throw new ProtocolError('PROTOCOL_BAD_FIELD', `block.data: a config block holds exactly one envelope, got ${data.length}`, {
      path: 'block.data',
      got: data.length,
    });
  }
  const env = parseEnvelope(data[0], { path: 'block.data[0]', types: [HeaderType.CONFIG] });
  const ce = decode(ConfigEnvelope, requireBytes(env.data, 'block.data[0].payload.data'), 'block.data[0].payload.data');
  const config = guard('config_envelope.config', () => ce.getConfig());
  if (config === undefined) {
    throw new ProtocolError('PROTOCOL_MISSING_FIELD', 'block.data[0].payload.data.config is missing', { path: 'config_envelope.config' });
  }
  return viewOfConfig(env.channelHeader.channelId, config);
}

/** The view of an already decoded `common.Config`. */
export function viewOfConfig(channelId: string, config: Config): ChannelConfigView {
  return guard('config', () => {
    const root = config.getChannelGroup();
    if (root === undefined) {
      throw new ProtocolError('PROTOCOL_MISSING_FIELD', 'config.channel_group is missing', { path: 'config.channel_group' });
    }
    const groups = root.getGroupsMap();
    const applicationOrgs = orgsOf(groups.get('Application'));
    const ordererOrgs = orgsOf(groups.get('Orderer'));
    const endpoints = new Set<string>();
    for (const org of ordererOrgs) for (const e of org.endpoints) endpoints.add(e);
    const acls = new Map<string, string>();
    const aclValue = groups.get('Application')?.getValuesMap().get('ACLs');
    if (aclValue !== undefined) {
      ACLs.deserializeBinary(aclValue.getValue_asU8())
        .getAclsMap()
        .forEach((resource, name) => {
          const ref = resource.getPolicyRef();
          // A relative reference names a policy of the Application group, as in Fabric.
          if (ref !== '') acls.set(name, ref.startsWith('/') ? ref : `/Channel/Application/${ref}`);
        });
    }
    const legacy = root.getValuesMap().get('OrdererAddresses');
    if (legacy !== undefined) for (const a of OrdererAddresses.deserializeBinary(legacy.getValue_asU8()).getAddressesList()) endpoints.add(a);
    return {
      channelId,
      sequence: config.getSequence(),
      configBytes: config.serializeBinary(),
      applicationOrgs,
      ordererOrgs,
      ordererEndpoints: [...endpoints],
      acls,
    };
  });
}

function orgsOf(group: ConfigGroup | undefined): ConfigOrg[] {
  if (group === undefined) return [];
  const out: ConfigOrg[] = [];
  group.getGroupsMap().forEach((orgGroup, name) => {
    const mspValue = orgGroup.getValuesMap().get('MSP');
    if (mspValue === undefined) return;
    const mspConfig = MSPConfig.deserializeBinary(mspValue.getValue_asU8());
    const msp = FabricMSPConfig.deserializeBinary(mspConfig.getConfig_asU8());
    const endpointsValue = orgGroup.getValuesMap().get('Endpoints');
    const endpoints = endpointsValue === undefined ? [] : OrdererAddresses.deserializeBinary(endpointsValue.getValue_asU8()).getAddressesList();
    const anchorsValue = orgGroup.getValuesMap().get('AnchorPeers');
    const anchorPeers =
      anchorsValue === undefined ? [] : AnchorPeers.deserializeBinary(anchorsValue.getValue_asU8()).getAnchorPeersList().map((a) => `${a.getHost()}:${a.getPort()}`);
    out.push({ name, mspId: msp.getName(), msp, endpoints, anchorPeers });
  });
  out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return out;
}
