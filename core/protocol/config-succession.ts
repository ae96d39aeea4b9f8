import type { Config, ConfigGroup } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { FabricMSPConfig, MSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { ConsensusType } from '@hyperledger/fabric-protos/lib/orderer/configuration_pb';

const group = (config: Config, name: string): ConfigGroup | undefined => config.getChannelGroup()?.getGroupsMap().get(name);

/** The MSP ID an org group's `MSP` value names; undefined when it does not decode. */
function mspIdOf(org: ConfigGroup): string | undefined {
  try {
    const msp = MSPConfig.deserializeBinary(org.getValuesMap().get('MSP')?.getValue_asU8() ?? new Uint8Array(0));
    return FabricMSPConfig.deserializeBinary(msp.getConfig_asU8()).getName();
  } catch {
    return undefined;
  }
}

function consensusTypeOf(orderer: ConfigGroup): string | undefined {
  try {
    return ConsensusType.deserializeBinary(orderer.getValuesMap().get('ConsensusType')?.getValue_asU8() ?? new Uint8Array(0)).getType();
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

/**
 * Fabric's `Bundle.ValidateNew` (common/channelconfig/bundle.go): what a config update may not do
 * even when its signatures satisfy every mod_policy. The orderer checks it before ordering an
 * update and every peer before applying one: dropping the Orderer, Application or Consortiums
 * group, adding a Consortiums group, changing the consensus type, or changing the MSP ID of an org
 * that stays. Returns why `next` cannot follow `current`, or undefined when it can.
 */
export function configSuccessionProblem(current: Config, next: Config): string | undefined {
  const orderer = group(current, 'Orderer');
  if (orderer !== undefined) {
    const nextOrderer = group(next, 'Orderer');
    if (nextOrderer === undefined) return 'current config has orderer section, but new config does not';
    const [before, after] = [consensusTypeOf(orderer), consensusTypeOf(nextOrderer)];
    if (before !== after) return `attempted to change consensus type from ${before} to ${after}`;
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
