import type { Config, ConfigGroup } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { FabricMSPConfig, MSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { ConsensusType } from '@hyperledger/fabric-protos/lib/orderer/configuration_pb';
import { OrdererAddresses } from '@hyperledger/fabric-protos/lib/common/configuration_pb';
import { requiredCapabilities } from './capabilities';
import { decodeConfigProto } from './config-decode';
import { ConsensusTypeSchema, FabricMSPConfigSchema, MSPConfigSchema, OrdererAddressesSchema } from './config-schemas';

const group = (config: Config, name: string): ConfigGroup | undefined => config.getChannelGroup()?.getGroupsMap().get(name);

/** The MSP ID an org group's `MSP` value names; undefined when it does not decode. */
function mspIdOf(org: ConfigGroup): string | undefined {
  try {
    const msp = decodeConfigProto(MSPConfig, MSPConfigSchema, org.getValuesMap().get('MSP')?.getValue_asU8() ?? new Uint8Array(0), 'MSP');
    return decodeConfigProto(FabricMSPConfig, FabricMSPConfigSchema, msp.getConfig_asU8(), 'MSP.config').getName();
  } catch {
    return undefined;
  }
}

function consensusTypeOf(orderer: ConfigGroup): string | undefined {
  try {
    return decodeConfigProto(ConsensusType, ConsensusTypeSchema, orderer.getValuesMap().get('ConsensusType')?.getValue_asU8() ?? new Uint8Array(0), 'ConsensusType').getType();
  } catch {
    return undefined;
  }
}

/** An org that is in both groups must keep its MSP ID. */
function mspIdChange(kind: string, current: ConfigGroup, next: ConfigGroup): string | undefined {
  for (const [name, org] of current.getGroupsMap().entries()) {
    const successor = next.getGroupsMap().get(name);
    if (successor === undefined) continue;
    const [before, after] = [mspIdOf(org), mspIdOf(successor)];
    if (before !== after) return `${kind} org ${name} attempted to change MSP ID from ${before} to ${after}`;
  }
  return undefined;
}

/** An orderer org with no `Endpoints` of its own, named as Fabric names it, or undefined. */
function ordererOrgWithoutEndpoints(orderer: ConfigGroup): string | undefined {
  for (const [name, org] of orderer.getGroupsMap().entries()) {
    let endpoints: string[] = [];
    try {
      endpoints = decodeConfigProto(OrdererAddresses, OrdererAddressesSchema, org.getValuesMap().get('Endpoints')?.getValue_asU8() ?? new Uint8Array(0), 'Endpoints').getAddressesList();
    } catch {
      endpoints = [];
    }
    if (endpoints.length === 0) return name;
  }
  return undefined;
}

/** What {@link configSuccessionProblem} may allow. */
export interface SuccessionOptions {
  /**
   * Whether the consensus type may change. Fabric's peers allow it on channels whose capabilities
   * have `ConsensusTypeMigration` (V1_4_2 and later: Raft to BFT in Fabric 3); an orderer that can
   * run only its own type passes false.
   */
  readonly consensusTypeChange?: boolean;
}

/** Channel capabilities with Fabric's `ConsensusTypeMigration`. */
const MIGRATION_CAPABILITIES = ['V1_4_2', 'V1_4_3', 'V2_0', 'V3_0'];

/** Whether `config`'s channel capabilities allow changing the consensus type (Fabric's `ConsensusTypeMigration`). */
export function allowsConsensusTypeMigration(config: Config): boolean {
  return requiredCapabilities(config).channel.some((c) => MIGRATION_CAPABILITIES.includes(c));
}

/**
 * Fabric's `Bundle.ValidateNew` (common/channelconfig/bundle.go): what a config update may not do
 * even when its signatures satisfy every mod_policy. The orderer checks it before ordering an
 * update and every peer before applying one: dropping the Orderer, Application or Consortiums
 * group, adding a Consortiums group, changing the consensus type (unless `options` allow it),
 * moving the channel to capability V3_0 while an orderer org names no endpoints of its own, or
 * changing the MSP ID of an org that stays. Returns why `next` cannot follow `current`, or
 * undefined when it can.
 */
export function configSuccessionProblem(current: Config, next: Config, options: SuccessionOptions = {}): string | undefined {
  const orderer = group(current, 'Orderer');
  if (orderer !== undefined) {
    const nextOrderer = group(next, 'Orderer');
    if (nextOrderer === undefined) return 'current config has orderer section, but new config does not';
    const [before, after] = [consensusTypeOf(orderer), consensusTypeOf(nextOrderer)];
    if (before !== after && options.consensusTypeChange !== true) return `attempted to change consensus type from ${before} to ${after}`;
    if (!requiredCapabilities(current).channel.includes('V3_0') && requiredCapabilities(next).channel.includes('V3_0')) {
      const missing = ordererOrgWithoutEndpoints(nextOrderer);
      if (missing !== undefined) return `illegal orderer config update detected: endpoints of org ${missing} are missing`;
    }
    const change = mspIdChange('orderer', orderer, nextOrderer);
    if (change !== undefined) return change;
  }
  const application = group(current, 'Application');
  if (application !== undefined) {
    const nextApplication = group(next, 'Application');
    if (nextApplication === undefined) return 'current config has application section, but new config does not';
    const change = mspIdChange('application', application, nextApplication);
    if (change !== undefined) return change;
  }
  const consortiums = group(next, 'Consortiums');
  if (group(current, 'Consortiums') !== undefined && consortiums === undefined) return 'current config has consortiums section, but new config does not';
  if (group(current, 'Consortiums') === undefined && consortiums !== undefined) return 'current config has no consortiums section, but new config does';
  return undefined;
}
