import { Policy } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { Options } from '@hyperledger/fabric-protos/lib/orderer/smartbft/configuration_pb';
import { BFT_CONSENSUS_TYPE, ORDERERS_KEY, bftBlockValidationPolicy, bftQuorum } from './bft-config';
import { guard } from './bounded-decode';
import { bytesEqual } from './bytes';
import { decodeConfigProto } from './config-decode';
import type { ParsedChannelConfig } from './config-parse';
import { ruleError } from './config-rules';
import { SmartBftOptionsSchema } from './config-schemas';
import { parseGoDurationNanos } from './go-time-duration';

/** A rule a BFT channel config breaks: the config path and Fabric's wording. */
export interface BftConfigProblem {
  readonly path: string;
  readonly problem: string;
}

const METADATA_PATH = '/Channel/Orderer/ConsensusType.metadata';

/** SmartBFT's `types.DefaultConfig` values the options do not set, as `ConfigFromMetadataOptions` validates them. */
const DEFAULT_REQUEST_MAX_BYTES = 10 * 1024;

/**
 * What Fabric's SmartBFT orderer refuses in `ConsensusType.metadata` (`smartbft.Options`): bytes
 * that do not decode, leader rotation on (`ConfigBlockValidator`: "must be turned off for this
 * version"), a duration Go's `time.ParseDuration` refuses, and SmartBFT's `Configuration.Validate`
 * over the options with its defaults for the rest (`util.ConfigFromMetadataOptions`), in that
 * order and with those messages. As the chain does (`createSmartBftConfig`), the request batch
 * count and bytes come from the channel's BatchSize, not the options. Undefined when accepted.
 */
export function smartBftOptionsProblem(metadata: Uint8Array, batch: { readonly maxMessageCount: number; readonly absoluteMaxBytes: number }): string | undefined {
  let o: Options;
  try {
    o = decodeConfigProto(Options, SmartBftOptionsSchema, metadata, METADATA_PATH);
  } catch (err) {
    return `failed to unmarshal consensus metadata: ${(err as Error).message}`;
  }
  const v = { ...guard(METADATA_PATH, () => o.toObject()), requestBatchMaxCount: batch.maxMessageCount, requestBatchMaxBytes: batch.absoluteMaxBytes };
  if (v.leaderRotation === Options.Rotation.ROTATION_ON) return 'leader rotation must be turned off for this version or be unspecified';
  const durations = {
    RequestBatchMaxInterval: v.requestBatchMaxInterval,
    RequestForwardTimeout: v.requestForwardTimeout,
    RequestComplainTimeout: v.requestComplainTimeout,
    RequestAutoRemoveTimeout: v.requestAutoRemoveTimeout,
    ViewChangeResendInterval: v.viewChangeResendInterval,
    ViewChangeTimeout: v.viewChangeTimeout,
    LeaderHeartbeatTimeout: v.leaderHeartbeatTimeout,
    CollectTimeout: v.collectTimeout,
  };
  const ns: Partial<Record<keyof typeof durations, bigint>> = {};
  for (const [name, text] of Object.entries(durations) as [keyof typeof durations, string][]) {
    try {
      ns[name] = parseGoDurationNanos(text);
    } catch (err) {
      return `bad config metadata option ${name}: ${(err as Error).message}`;
    }
  }
  const d = ns as Record<keyof typeof durations, bigint>;
  // Leader rotation is refused above, so SmartBFT's DecisionsPerLeader is 0 and its checks hold.
  const checks: readonly [boolean, string][] = [
    [v.requestBatchMaxCount === 0, 'RequestBatchMaxCount should be greater than zero'],
    [v.requestBatchMaxBytes === 0, 'RequestBatchMaxBytes should be greater than zero'],
    [d.RequestBatchMaxInterval <= 0n, 'RequestBatchMaxInterval should be greater than zero'],
    [v.incomingMessageBufferSize === 0, 'IncomingMessageBufferSize should be greater than zero'],
    [v.requestPoolSize === 0, 'RequestPoolSize should be greater than zero'],
    [d.RequestForwardTimeout <= 0n, 'RequestForwardTimeout should be greater than zero'],
    [d.RequestComplainTimeout <= 0n, 'RequestComplainTimeout should be greater than zero'],
    [d.RequestAutoRemoveTimeout <= 0n, 'RequestAutoRemoveTimeout should be greater than zero'],
    [d.ViewChangeResendInterval <= 0n, 'ViewChangeResendInterval should be greater than zero'],
    [d.ViewChangeTimeout <= 0n, 'ViewChangeTimeout should be greater than zero'],
    [d.LeaderHeartbeatTimeout <= 0n, 'LeaderHeartbeatTimeout should be greater than zero'],
    [v.leaderHeartbeatCount === 0, 'LeaderHeartbeatCount should be greater than zero'],
    [d.CollectTimeout <= 0n, 'CollectTimeout should be greater than zero'],
    [v.requestBatchMaxCount > v.requestBatchMaxBytes, 'RequestBatchMaxCount is bigger than RequestBatchMaxBytes'],
    // Validate runs before the options' RequestMaxBytes is applied: it sees SmartBFT's default.
    [DEFAULT_REQUEST_MAX_BYTES > v.requestBatchMaxBytes, 'RequestMaxBytes is bigger than RequestBatchMaxBytes'],
    [d.RequestForwardTimeout > d.RequestComplainTimeout, 'RequestForwardTimeout is bigger than RequestComplainTimeout'],
    [d.RequestComplainTimeout > d.RequestAutoRemoveTimeout, 'RequestComplainTimeout is bigger than RequestAutoRemoveTimeout'],
    [d.ViewChangeResendInterval > d.ViewChangeTimeout, 'ViewChangeResendInterval is bigger than ViewChangeTimeout'],
  ];
  const failed = checks.find(([bad]) => bad);
  return failed === undefined ? undefined : `config validation failed: ${failed[1]}`;
}

/**
 * The rules a Fabric ordering service and configtxgen hold a BFT channel's config to, which a
 * peer's `NewBundle` does not check (a Fabric peer joins such a channel and then fails to verify
 * its blocks): `OrdererType: BFT` needs channel capability V3_0 (`encoder.NewOrdererGroup`); the
 * consenter mapping is not empty and each entry names host, port, both TLS certificates, MSP ID
 * and identity (`genesisconfig`); BlockValidation is exactly the BFT policy over that mapping, and
 * the metadata is valid `smartbft.Options` (`smartbft.ConfigBlockValidator`,
 * {@link smartBftOptionsProblem}). Undefined for a config that is not BFT or breaks none.
 */
export function bftOrdererConfigProblem(config: ParsedChannelConfig): BftConfigProblem | undefined {
  if (config.consensusType.type !== BFT_CONSENSUS_TYPE) return undefined;
  if (!config.capabilities.channel.includes('V3_0')) {
    return { path: '/Channel/Capabilities', problem: 'orderer type BFT must be used with V3_0 channel capability' };
  }
  const orderers = `/Channel/Orderer/${ORDERERS_KEY}`;
  if (config.consenters.length === 0) return { path: orderers, problem: 'BFT configuration did not specify any consenter' };
  for (const [i, c] of config.consenters.entries()) {
    const missing = [
      [c.host === '', 'host', 'host'],
      [c.port === 0, 'port', 'port'],
      [c.clientTlsCert.length === 0, 'client_tls_cert', 'client TLS cert'],
      [c.serverTlsCert.length === 0, 'server_tls_cert', 'server TLS cert'],
      [c.mspId === '', 'msp_id', 'MSP ID'],
      [c.identity.length === 0, 'identity', 'identity certificate'],
    ] as const;
    const gap = missing.find(([absent]) => absent);
    if (gap !== undefined) return { path: `${orderers}.consenter_mapping[${i}].${gap[1]}`, problem: `consenter info in BFT configuration did not specify ${gap[2]}` };
  }
  const policyPath = '/Channel/Orderer/BlockValidation';
  const policy = guard(policyPath, () => config.config.getChannelGroup()?.getGroupsMap().get('Orderer')?.getPoliciesMap().get('BlockValidation')?.getPolicy());
  if (policy === undefined) return { path: policyPath, problem: "block validation policy is not found in the policies of 'Orderer' group" };
  const expected = bftBlockValidationPolicy(config.consenters);
  if (policy.getType() !== Policy.PolicyType.SIGNATURE || !bytesEqual(policy.getValue_asU8(), expected)) {
    return {
      path: policyPath,
      problem: `block validation policy should be the BFT signature policy NOutOf(${bftQuorum(config.consenters.length)}, …) over the ${config.consenters.length} consenters' identities, in the consenter mapping's order, but it is another policy`,
    };
  }
  const options = smartBftOptionsProblem(config.consensusType.metadata, config.batchSize);
  if (options === undefined) return undefined;
  // The request batch limits come from BatchSize: a problem with them is that value's.
  return { path: /RequestBatchMax(Count|Bytes) |RequestMaxBytes/.test(options) ? '/Channel/Orderer/BatchSize' : METADATA_PATH, problem: options };
}

/** Throws `ProtocolError` PROTOCOL_BAD_FIELD naming the path of {@link bftOrdererConfigProblem}'s problem, if any. */
export function checkBftOrdererConfig(config: ParsedChannelConfig): void {
  const problem = bftOrdererConfigProblem(config);
  if (problem !== undefined) throw ruleError(problem.path, problem.problem);
}
