import { Envelope, HeaderType, type Block } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { Config, ConfigEnvelope, type ConfigGroup } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { MSPConfig, FabricMSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { BatchSize, BatchTimeout, ConsensusType } from '@hyperledger/fabric-protos/lib/orderer/configuration_pb';
import { OrdererError } from '../errors';
import { decode, guard } from '../protocol/bounded-decode';
import { parseEnvelope } from '../protocol/envelope';
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
}

/** The `ConfigEnvelope` of a config block (its single CONFIG envelope) and the channel id of its header. */
export function configEnvelopeFromBlock(block: Block): { channelId: string; configEnvelope: ConfigEnvelope; envelope: Envelope } {
  const data = guard('block.data', () => block.getData()?.getDataList_asU8() ?? []);
  if (data.length !== 1) {
    throw new OrdererError('ORDERER_BAD_CONFIG_BLOCK', `block.data: a config block holds exactly 1 envelope, found ${data.length}`, {
      path: 'block.data',
    });
  }
  const parsed = parseEnvelope(data[0]!, { types: [HeaderType.CONFIG], path: 'block.data[0]' });
  const configEnvelope = decode(ConfigEnvelope, parsed.data, 'block.data[0].payload.data');
  return { channelId: parsed.channelHeader.channelId, configEnvelope, envelope: Envelope.deserializeBinary(data[0]!) };
}

/** Reads the orderer values and MSPs of a channel config. Throws `OrdererError` naming the missing or bad value. */
export function readChannelConfig(channelId: string, config: Config): ChannelConfig {
  const root = config.getChannelGroup();
  if (root === undefined) throw bad('config.channel_group', 'is missing');
  const orderer = root.getGroupsMap().get('Orderer');
  if (orderer === undefined) throw bad('/Channel/Orderer', 'is missing: the orderer serves only channels with an Orderer group');
  const batchSize = valueOf(orderer, 'BatchSize', '/Channel/Orderer', BatchSize);
  const batchTimeout = valueOf(orderer, 'BatchTimeout', '/Channel/Orderer', BatchTimeout);
  const consensusType = valueOf(orderer, 'ConsensusType', '/Channel/Orderer', ConsensusType);
  const size = {
    maxMessageCount: batchSize.getMaxMessageCount(),
    absoluteMaxBytes: batchSize.getAbsoluteMaxBytes(),
    preferredMaxBytes: batchSize.getPreferredMaxBytes(),
  };
  if (size.maxMessageCount === 0) throw bad('/Channel/Orderer/BatchSize.max_message_count', 'must be greater than 0');
  if (size.absoluteMaxBytes === 0) throw bad('/Channel/Orderer/BatchSize.absolute_max_bytes', 'must be greater than 0');
  if (size.preferredMaxBytes === 0 || size.preferredMaxBytes > size.absoluteMaxBytes) {
    throw bad(
      '/Channel/Orderer/BatchSize.preferred_max_bytes',
      `must be in 1..absolute_max_bytes (${size.absoluteMaxBytes}), got ${size.preferredMaxBytes}`,
    );
  }
  const timeoutMs = parseGoDuration(batchTimeout.getTimeout(), '/Channel/Orderer/BatchTimeout.timeout');
  if (timeoutMs <= 0) throw bad('/Channel/Orderer/BatchTimeout.timeout', `must be positive, got ${batchTimeout.getTimeout()}`);

  const msps = new Map<string, FabricMSPConfig>();
  for (const groupName of ['Application', 'Orderer']) {
    const group = root.getGroupsMap().get(groupName);
    if (group === undefined) continue;
    for (const [org, orgGroup] of group.getGroupsMap().entries()) {
      const where = `/Channel/${groupName}/${org}/MSP`;
      const mspConfig = valueOf(orgGroup, 'MSP', `/Channel/${groupName}/${org}`, MSPConfig);
      if (mspConfig.getType() !== 0) throw bad(where, `has MSP type ${mspConfig.getType()}; only FABRIC (0) is supported`);
      const fabric = decode(FabricMSPConfig, mspConfig.getConfig_asU8(), `${where}.config`);
      msps.set(fabric.getName(), fabric);
    }
  }
  return {
    channelId,
    sequence: config.getSequence(),
    config,
    configBytes: config.serializeBinary(),
    orderer: {
      batchSize: size,
      batchTimeoutMs: timeoutMs,
      consensusType: consensusType.getType(),
      consensusMetadata: consensusType.getMetadata_asU8(),
    },
    msps: [...msps.values()],
  };
}

interface Decodable<T> {
  deserializeBinary(bytes: Uint8Array): T;
  readonly name: string;
}

function valueOf<T>(group: ConfigGroup, key: string, groupPath: string, cls: Decodable<T>): T {
  const value = group.getValuesMap().get(key);
  if (value === undefined) throw bad(`${groupPath}/${key}`, 'is missing');
  return decode(cls as never, value.getValue_asU8(), `${groupPath}/${key}`) as T;
}

function bad(path: string, problem: string): OrdererError {
  return new OrdererError('ORDERER_BAD_CONFIG', `${path} ${problem}`, { path });
}

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a Go `time.Duration` string (`2s`, `250ms`, `1m30s`) to milliseconds. */
export function parseGoDuration(text: string, path: string): number {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;
  if (text.length === 0) throw bad(path, 'is empty; expected a duration such as "2s" or "250ms"');
  let total = 0;
  let offset = 0;
  while (offset < text.length) {
    re.lastIndex = offset;
    const m = re.exec(text);
    if (m === null) throw bad(path, `is not a duration: expected e.g. "2s" or "250ms", got ${JSON.stringify(text)}`);
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    offset = re.lastIndex;
  }
  return total;
}
