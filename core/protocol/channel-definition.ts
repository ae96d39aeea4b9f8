import { FabricMSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { z } from 'zod';
import { ConfigError } from '../errors';
import type { CapabilityLevel } from './capabilities';
import type { ConfigPolicyInput } from './config-policies';
import { parseGoDurationNanos } from './go-time-duration';

const MiB = 1024 * 1024;

/** Fabric's sample ACLs (`sampleconfig/configtx.yaml` `ACLsDefault`). */
export const DEFAULT_ACLS: Readonly<Record<string, string>> = {
  '_lifecycle/CheckCommitReadiness': '/Channel/Application/Writers',
  '_lifecycle/CommitChaincodeDefinition': '/Channel/Application/Writers',
  '_lifecycle/QueryChaincodeDefinition': '/Channel/Application/Writers',
  '_lifecycle/QueryChaincodeDefinitions': '/Channel/Application/Writers',
  'lscc/ChaincodeExists': '/Channel/Application/Readers',
  'lscc/GetDeploymentSpec': '/Channel/Application/Readers',
  'lscc/GetChaincodeData': '/Channel/Application/Readers',
  'lscc/GetInstantiatedChaincodes': '/Channel/Application/Readers',
  'qscc/GetChainInfo': '/Channel/Application/Readers',
  'qscc/GetBlockByNumber': '/Channel/Application/Readers',
  'qscc/GetBlockByHash': '/Channel/Application/Readers',
  'qscc/GetTransactionByID': '/Channel/Application/Readers',
  'qscc/GetBlockByTxID': '/Channel/Application/Readers',
  'cscc/GetConfigBlock': '/Channel/Application/Readers',
  'cscc/GetChannelConfig': '/Channel/Application/Readers',
  'peer/Propose': '/Channel/Application/Writers',
  'peer/ChaincodeToChaincode': '/Channel/Application/Writers',
  'event/Block': '/Channel/Application/Readers',
  'event/FilteredBlock': '/Channel/Application/Readers',
};

/**
 * The capabilities a definition that names none requires: Fabric 3's newest channel level, which
 * Weft's own features (Ed25519 identities, BFT ordering) need. Fabric 2.x nodes refuse such a
 * channel (they know channel V2_0 at most, 2.4 application V2_0): a network they join is made
 * lower and raised once every node is upgraded (`weft channel update --capability`).
 */
export const DEFAULT_CHANNEL_CAPABILITIES: Readonly<Record<CapabilityLevel, string>> = { channel: 'V3_0', orderer: 'V2_0', application: 'V2_5' };

const bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array, { message: 'expected bytes (Uint8Array)' });
const mspConfig = z.union([z.instanceof(FabricMSPConfig), bytes]);
const policyInput = z.custom<ConfigPolicyInput>(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    (((v as { type?: unknown }).type === 'signature' && (v as { envelope?: unknown }).envelope instanceof Uint8Array) ||
      ((v as { type?: unknown }).type === 'implicitMeta' &&
        ['ANY', 'ALL', 'MAJORITY'].includes(String((v as { rule?: unknown }).rule)) &&
        typeof (v as { subPolicy?: unknown }).subPolicy === 'string')),
  { message: "expected {type: 'signature', envelope: bytes} or {type: 'implicitMeta', rule, subPolicy}" },
);
const policies = z.record(z.string(), policyInput).optional();
const port = z.number().int().min(1).max(65535);
const endpoint = z.string().regex(/^[^\s:]+:\d{1,5}$/, "expected 'host:port'");

/**
 * A channel as a network definition names it; {@link buildConfigBlock} turns it into the genesis
 * config block configtxgen would produce. `policies` on an org or group override the defaults by name.
 */
export const ChannelDefinition = z.object({
  /** Fabric channel names: lower case letters, digits, '.' and '-', starting with a letter, < 250 chars. */
  channelId: z.string().regex(/^[a-z][a-z0-9.-]{0,248}$/, 'expected a Fabric channel name ([a-z][a-z0-9.-]*)'),
  applicationOrgs: z
    .array(
      z.object({
        mspId: z.string().min(1),
        /** Config group key; configtxgen uses the org's Name, which defaults here to the msp id. */
        name: z.string().min(1).optional(),
        /** `FabricMSPConfig` (proto or its bytes); its `name` must equal `mspId`. */
        mspConfig,
        anchorPeers: z.array(z.object({ host: z.string().min(1), port })).default([]),
        policies,
      }),
    )
    .default([]),
  ordererOrgs: z
    .array(
      z.object({
        mspId: z.string().min(1),
        name: z.string().min(1).optional(),
        mspConfig,
        endpoints: z.array(endpoint).default([]),
        policies,
      }),
    )
    .min(1, 'a channel needs at least one orderer org'),
  batchSize: z
    .object({
      maxMessageCount: z.number().int().positive().default(500),
      absoluteMaxBytes: z.number().int().positive().default(10 * MiB),
      preferredMaxBytes: z.number().int().positive().default(2 * MiB),
    })
    .refine((b) => b.preferredMaxBytes <= b.absoluteMaxBytes, 'preferredMaxBytes must not exceed absoluteMaxBytes')
    .default({ maxMessageCount: 500, absoluteMaxBytes: 10 * MiB, preferredMaxBytes: 2 * MiB }),
  batchTimeout: z
    .string()
    .refine(positiveGoDuration, "expected a positive Go duration such as '2s' or '500ms'")
    .default('2s'),
  consensusType: z
    .object({ type: z.string().min(1), metadata: bytes.optional() })
    .default({ type: 'etcdraft' }),
  /** configtxgen's `ConsenterMapping`, for consensus type BFT (the Orderer group's `Orderers` value and its BlockValidation policy). */
  consenters: z
    .array(
      z.object({
        id: z.number().int().positive(),
        host: z.string(),
        port: z.number().int().min(0).max(65535),
        mspId: z.string(),
        identity: bytes,
        clientTlsCert: bytes,
        serverTlsCert: bytes,
      }),
    )
    .default([]),
  capabilities: z
    .object({
      channel: z.string().default(DEFAULT_CHANNEL_CAPABILITIES.channel),
      orderer: z.string().default(DEFAULT_CHANNEL_CAPABILITIES.orderer),
      application: z.string().default(DEFAULT_CHANNEL_CAPABILITIES.application),
    })
    .default({ ...DEFAULT_CHANNEL_CAPABILITIES }),
  acls: z.record(z.string(), z.string()).default({ ...DEFAULT_ACLS }),
  /** Overrides for /Channel, /Channel/Orderer and /Channel/Application policies. */
  policies: z
    .object({ channel: policies, orderer: policies, application: policies })
    .default({}),
});
/** A validated channel definition (defaults filled in). */
export type ChannelDefinition = z.infer<typeof ChannelDefinition>;
/** What callers write: defaults may be omitted. */
export type ChannelDefinitionInput = z.input<typeof ChannelDefinition>;

/** Whether Go's `time.ParseDuration` (what Fabric's orderer config uses) reads a positive duration. */
function positiveGoDuration(text: string): boolean {
  try {
    return parseGoDurationNanos(text) > 0n;
  } catch {
    return false;
  }
}

/** Validates a definition; throws `ConfigError` (`CHANNEL_DEFINITION_INVALID`) naming each bad path. */
export function validateChannelDefinition(input: ChannelDefinitionInput): ChannelDefinition {
  const result = ChannelDefinition.safeParse(input);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError('CHANNEL_DEFINITION_INVALID', `invalid channel definition: ${issues.join('; ')}`, { issues });
  }
  return result.data;
}
