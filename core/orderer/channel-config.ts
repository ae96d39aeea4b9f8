import type { Block } from '@hyperledger/fabric-protos/lib/common/common_pb';
import type { Config } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import type { FabricMSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { OrdererError, WeftError } from '../errors';
import { unsupportedCapability, type CapabilityNames } from '../protocol/capabilities';
import { parseConfigBlock, readChannelConfig } from '../protocol/config-parse';
import type { OrdererSharedConfig } from './consenter';

/** A channel's configuration as the orderer uses it: the proto and the values read from it. */
export interface ChannelConfig {
  readonly channelId: string;
  readonly sequence: number;
  readonly config: Config;
  /** `common.Config` bytes, as the policy provider builds the policy tree from. */
  readonly configBytes: Uint8Array;
  readonly orderer: OrdererSharedConfig;
  /** Every org MSP of the Application and Orderer groups (one per msp id). */
  readonly msps: readonly FabricMSPConfig[];
  /** The capabilities the config requires; the channel and orderer levels are all supported. */
  readonly capabilities: CapabilityNames;
}

/**
 * Fabric's orderer `ConsensusTypeMigration` capability (orderer V1_4_2 or V2_0): without it a
 * channel has no maintenance mode, so its ConsensusType.state must stay NORMAL.
 */
export function consensusTypeMigration(config: ChannelConfig): boolean {
  return config.capabilities.orderer.some((name) => name === 'V1_4_2' || name === 'V2_0');
}

/** The channel id and `Config` of a config block (its single CONFIG envelope). Throws `ProtocolError` naming the field. */
export function configOfBlock(block: Block): { channelId: string; config: Config } {
  const parsed = parseConfigBlock(block);
  return { channelId: parsed.channelId, config: parsed.config };
}

/**
 * Reads the orderer values and MSPs of a channel config through the protocol layer. Throws
 * `OrdererError` ORDERER_BAD_CONFIG naming the config path that is missing or wrong, or the
 * channel or orderer capability it requires and Weft does not support (Fabric's `checkResources`).
 */
export function readOrdererConfig(channelId: string, config: Config): ChannelConfig {
  try {
    const parsed = readChannelConfig(config, config.serializeBinary(), channelId);
    if (parsed.unsupportedMsps.length > 0) {
      const first = parsed.unsupportedMsps[0]!;
      throw new OrdererError('ORDERER_BAD_CONFIG', `${first.path} has MSP type ${first.type}; only FABRIC (0) MSPs are supported`, { path: first.path });
    }
    // Fabric's orderer cannot run a channel without a consensus type (the registrar has no consenter for "").
    if (!config.getChannelGroup()?.getGroupsMap().get('Orderer')?.getValuesMap().has('ConsensusType')) {
      throw new OrdererError('ORDERER_BAD_CONFIG', '/Channel/Orderer/ConsensusType is missing', { path: '/Channel/Orderer/ConsensusType' });
    }
    const unsupported = unsupportedCapability(parsed.capabilities, ['channel', 'orderer']);
    if (unsupported !== undefined) {
      throw new OrdererError('ORDERER_BAD_CONFIG', unsupported.message, { path: unsupported.path, capability: unsupported.name });
    }
    return {
      channelId,
      sequence: parsed.sequence,
      config,
      configBytes: parsed.configBytes,
      orderer: {
        batchSize: parsed.batchSize,
        batchTimeoutMs: parsed.batchTimeoutMs,
        consensusType: parsed.consensusType.type,
        consensusMetadata: parsed.consensusType.metadata,
        consensusState: parsed.consensusType.state,
      },
      msps: [...parsed.msps.values()],
      capabilities: parsed.capabilities,
    };
  } catch (err) {
    if (err instanceof OrdererError) throw err;
    throw new OrdererError('ORDERER_BAD_CONFIG', (err as Error).message, err instanceof WeftError ? err.details : {}, { cause: err });
  }
}
