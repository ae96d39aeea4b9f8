import { ConfigGroup, ConfigUpdate, ConfigUpdateEnvelope } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { decode } from '../protocol/bounded-decode';
import { bytesEqual } from '../protocol/bytes';
import { consensusTypeMigration, type ChannelConfig } from './channel-config';
import { ConsensusState } from './consenter';

/** Fabric's name of a `ConsensusType.State` value, for messages. */
export function consensusStateName(state: number): string {
  if (state === ConsensusState.Normal) return 'STATE_NORMAL';
  if (state === ConsensusState.Maintenance) return 'STATE_MAINTENANCE';
  return `STATE_${state}`;
}

/**
 * Fabric's maintenance filter (`msgprocessor/maintenancefilter.go`, `inspect`), run by the orderer
 * on a config update it is about to order, after the update rules and `configSuccessionProblem`
 * passed. Without the `ConsensusTypeMigration` capability the state must stay NORMAL. With it,
 * entering or leaving maintenance must be the update's only change: the write set touches nothing
 * but `/Channel/Orderer/ConsensusType`, and the consensus metadata stays as it is. (Fabric also
 * rules on changing the consensus type in maintenance; Weft never lets the type change, see
 * `configSuccessionProblem`.) Orderer-only, as in Fabric: peers do not apply it.
 *
 * `updateEnvelope` is the `ConfigUpdateEnvelope` the config was computed from. Returns why `next`
 * may not follow `current`, or undefined when it may.
 */
export function maintenanceProblem(current: ChannelConfig, next: ChannelConfig, updateEnvelope: Uint8Array): string | undefined {
  const [before, after] = [current.orderer.consensusState, next.orderer.consensusState];
  if (!consensusTypeMigration(current)) {
    if (after === ConsensusState.Normal) return undefined;
    return `next config attempted to change ConsensusType.State to ${consensusStateName(after)}, but the channel has no maintenance mode (it needs orderer capability V1_4_2 or V2_0)`;
  }
  if (before === after) return undefined;
  const moving = `ConsensusType.State is changing from ${consensusStateName(before)} to ${consensusStateName(after)}`;
  const other = otherChange(updateEnvelope);
  if (other !== undefined) return `${moving}, so the update may change /Channel/Orderer/ConsensusType only, but ${other}`;
  if (!bytesEqual(current.orderer.consensusMetadata, next.orderer.consensusMetadata)) return `attempted to change ConsensusType.Metadata, but ${moving}`;
  return undefined;
}

/** What the update's write set touches besides the ConsensusType value (Fabric `ensureConsensusTypeChangeOnly`), or undefined. */
function otherChange(updateEnvelope: Uint8Array): string | undefined {
  const envelope = decode(ConfigUpdateEnvelope, updateEnvelope, 'config_update_envelope');
  const update = decode(ConfigUpdate, envelope.getConfigUpdate_asU8(), 'config_update_envelope.config_update');
  const writeSet = update.getWriteSet() ?? new ConfigGroup();
  const groups = writeSet.getGroupsMap();
  if (groups.getLength() === 0) return 'the write set changes no group';
  if (writeSet.getValuesMap().getLength() > 0) return `the write set changes values of /Channel (${keys(writeSet.getValuesMap())})`;
  if (groups.getLength() > 1) return `the write set changes more than one group (${keys(groups)})`;
  const orderer = groups.get('Orderer');
  if (orderer === undefined) return `the write set does not contain the Orderer group (it contains ${keys(groups)})`;
  if (orderer.getGroupsMap().getLength() > 0) return `the write set changes groups within /Channel/Orderer (${keys(orderer.getGroupsMap())})`;
  const values = orderer.getValuesMap();
  if (values.get('ConsensusType') === undefined) return 'the write set does not contain /Channel/Orderer/ConsensusType';
  if (values.getLength() > 1) return `the write set changes other values of /Channel/Orderer too (${keys(values)})`;
  return undefined;
}

function keys(map: { keys(): Iterable<string> }): string {
  return [...map.keys()].sort().join(', ');
}
