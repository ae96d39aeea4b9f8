import { Envelope, HeaderType } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { type Config, ConfigEnvelope } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { OrdererError, WeftError } from '../errors';
import type { Identity } from '../msp/identity';
import { decode } from '../protocol/bounded-decode';
import { buildEnvelope, envelopeSignedData, parseEnvelope, type ParsedEnvelope } from '../protocol/envelope';
import { goEnvelope } from '../protocol/envelope-encoding';
import { headerTypeName } from '../protocol/header';
import { configSuccessionProblem } from '../protocol/config-succession';
import type { Signer } from '../protocol/signer';
import { IngressErrorCode } from './broadcast-status';
import { consensusTypeMigration, type ChannelConfig } from './channel-config';
import { buildChannelResources, type ChannelResources, type ResourceProviders } from './channel-resources';
import { ConsensusState, type ProcessedConfig } from './consenter';
import { envelopeBytes, rememberEnvelopeBytes } from './envelope-bytes';
import { creatorExpiresAtCached } from '../msp/creator-expiry';
import { ordererChecksExpiration } from './expiration-rule';
import { consensusStateName, maintenanceProblem } from './maintenance-filter';

/** A broadcast message that passed the ingress checks. */
export type ProcessedMessage =
  | { readonly kind: 'normal'; readonly env: Envelope; readonly configSeq: number; readonly txId: string }
  | { readonly kind: 'config'; readonly config: Envelope; readonly configSeq: number; readonly txId: string };

const NORMAL_TYPES: readonly number[] = [HeaderType.ENDORSER_TRANSACTION, HeaderType.MESSAGE];
const INITIAL_CHECKS = 'config update for existing channel did not pass initial checks';

/** How a channel's ingress checks are configured beyond the channel config. */
export interface MsgProcessorOptions {
  /** The clock the expiration rule reads. */
  readonly now?: () => Date;
  /**
   * False drops the expiration rule from the filters (the orderer's `noExpirationChecks`, Fabric
   * `General.Authentication.NoExpirationChecks`); default true.
   */
  readonly expirationChecks?: boolean;
  /** The consenter's check of a config update's consensus metadata (`Consenter.configUpdateProblem`). */
  readonly consensusUpdateProblem?: (current: ChannelConfig, next: ChannelConfig) => string | undefined;
}

/**
 * Fabric's standard channel message processor (`msgprocessor/standardchannel.go`): the ingress
 * filters, in Fabric's order — empty, size against AbsoluteMaxBytes, expired creator, then the
 * signature filter (`/Channel/Writers`, or `/Channel/Orderer/Writers` while the channel is in
 * maintenance; it verifies the creator's signature) — and config update processing into a signed
 * CONFIG envelope, which passes the same filters and the maintenance filter before it is ordered.
 * Normal messages are refused while the channel is in maintenance (SERVICE_UNAVAILABLE), before any
 * filter runs, as Fabric's `ProcessNormalMsg` refuses them. Failures are `OrdererError`s
 * whose code maps to a Fabric status (`statusOf`); their messages say what was wrong.
 */
export class MsgProcessor {
  private readonly now: () => Date;
  private readonly expirationChecks: boolean;
  private readonly consensusUpdateProblem: MsgProcessorOptions['consensusUpdateProblem'];

  constructor(
    private readonly channelId: string,
    private readonly resources: () => ChannelResources,
    private readonly providers: ResourceProviders,
    private readonly signer: Signer,
    options: MsgProcessorOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.expirationChecks = options.expirationChecks ?? true;
    this.consensusUpdateProblem = options.consensusUpdateProblem;
  }

  /** Checks a broadcast message already parsed (channel found) and classifies it. */
  process(parsed: ParsedEnvelope): ProcessedMessage {
    const type = parsed.channelHeader.type;
    if (type === HeaderType.CONFIG_UPDATE) {
      const { config, configSeq } = this.processConfigUpdate(parsed);
      return { kind: 'config', config, configSeq, txId: parsed.channelHeader.txId };
    }
    if (!NORMAL_TYPES.includes(type)) throw unsupportedType(type);
    const configSeq = this.processNormal(parsed);
    return { kind: 'normal', env: toEnvelope(parsed), configSeq, txId: parsed.channelHeader.txId };
  }

  /** ConsenterSupport.processNormalMsg: re-runs the checks under the current config. */
  processNormalMsg(env: Envelope): number {
    return this.processNormal(parseEnvelope(envelopeBytes(env)));
  }

  /**
   * The checks Broadcast runs before it verifies any signature, in Fabric's order: the message type
   * (Fabric's `BroadcastChannelSupport` refuses CONFIG and ORDERER_TRANSACTION first), for a normal
   * message the maintenance refusal (`ProcessNormalMsg` answers SERVICE_UNAVAILABLE before any filter
   * runs), then the size filter against AbsoluteMaxBytes (BAD_REQUEST), which Fabric runs before its
   * signature filter, so an oversized envelope costs no hashing. A config update's size refusal is
   * worded as its initial checks word it in `process`.
   */
  checkBeforeSignatures(parsed: ParsedEnvelope): void {
    const type = parsed.channelHeader.type;
    if (type === HeaderType.CONFIG_UPDATE) return prefixed(INITIAL_CHECKS, () => this.sizeFilter(parsed));
    if (!NORMAL_TYPES.includes(type)) throw unsupportedType(type);
    this.refuseInMaintenance();
    this.sizeFilter(parsed);
  }

  private sizeFilter(parsed: ParsedEnvelope): void {
    const { absoluteMaxBytes } = this.resources().config.orderer.batchSize;
    const size = parsed.payloadBytes.length + parsed.signature.length;
    if (size > absoluteMaxBytes) {
      throw badRequest(`message payload is ${size} bytes and exceeds the channel's AbsoluteMaxBytes of ${absoluteMaxBytes}`);
    }
  }

  /** ConsenterSupport.processConfigMsg: re-validates the CONFIG envelope's original update. */
  processConfigMsg(env: Envelope): ProcessedConfig {
    const parsed = parseEnvelope(envelopeBytes(env), { types: [HeaderType.CONFIG] });
    const configEnvelope = decode(ConfigEnvelope, parsed.data, 'envelope.payload.data');
    const lastUpdate = configEnvelope.getLastUpdate();
    if (lastUpdate === undefined) throw badRequest('envelope.payload.data.last_update: a CONFIG message must carry its CONFIG_UPDATE');
    return this.processConfigUpdate(parseEnvelope(lastUpdate.serializeBinary(), { types: [HeaderType.CONFIG_UPDATE] }));
  }

  /** Fabric `ProcessNormalMsg`: the maintenance refusal, then the filters. */
  private processNormal(parsed: ParsedEnvelope): number {
    this.refuseInMaintenance();
    return this.applyFilters(parsed);
  }

  /** No normal message is ordered while the channel is in maintenance: SERVICE_UNAVAILABLE, as Fabric's `ErrMaintenanceMode`. */
  private refuseInMaintenance(): void {
    const { config } = this.resources();
    const state = config.orderer.consensusState;
    if (consensusTypeMigration(config) && state !== ConsensusState.Normal) {
      throw new OrdererError(
        IngressErrorCode.Unavailable,
        `normal transactions are rejected: channel ${this.channelId} is in maintenance mode (/Channel/Orderer/ConsensusType state ${consensusStateName(state)})`,
        { channel: this.channelId, state },
      );
    }
  }

  private applyFilters(parsed: ParsedEnvelope): number {
    const resources = this.resources();
    this.sizeFilter(parsed);
    const creator = parsed.signatureHeader.creator;
    if (creator.length === 0) throw forbidden('envelope.payload.header.signature_header.creator is empty: the message is not signed by anyone');
    this.checkExpiration(creator, resources);
    let identity: Identity;
    try {
      identity = resources.msps.deserializeIdentity(creator);
    } catch (err) {
      throw forbidden(`creator is not an identity of this channel: ${(err as Error).message}`, err);
    }
    try {
      identity.validate();
    } catch (err) {
      throw forbidden(`creator identity is not valid: ${(err as Error).message}`, err);
    }
    // Fabric's SigFilter: in maintenance only the orderer orgs' writers may submit (config updates
    // for the migration); everyone else is shut out.
    const path = resources.config.orderer.consensusState === ConsensusState.Maintenance ? '/Channel/Orderer/Writers' : '/Channel/Writers';
    const writers = resources.policies.getPolicy(path);
    if (writers === undefined) throw forbidden(`channel ${this.channelId} has no ${path} policy to authorize the message with`);
    const result = writers.evaluate([envelopeSignedData(parsed)]);
    if (!result.satisfied) {
      // The policy verifies the signature; tell a bad signature apart from a non-writer only on failure.
      if (!identity.verify(parsed.payloadBytes, parsed.signature)) {
        throw forbidden(`the creator's signature over the payload does not verify (identity ${identity.mspId})`);
      }
      throw forbidden(`creator of MSP ${identity.mspId} does not satisfy ${path}: ${result.reason}`);
    }
    return resources.config.sequence;
  }

  /**
   * Fabric's `ExpirationRejectRule`, placed before the signature filter so that an expired
   * certificate costs no MSP work (a DoS guard): the creator's certificate is read without any MSP,
   * so an expired certificate of an unknown CA is refused as expired, BAD_REQUEST. Only on channels
   * with the orderer `ExpirationCheck` capability, and only when the expiry can be read; never when
   * the orderer is configured with `noExpirationChecks` (Fabric then leaves the rule out of the set).
   */
  private checkExpiration(creator: Uint8Array, resources: ChannelResources): void {
    if (!this.expirationChecks || !ordererChecksExpiration(resources.config.capabilities)) return;
    const expiresAt = creatorExpiresAtCached(creator);
    const now = this.now();
    if (expiresAt === undefined || now.getTime() < expiresAt.getTime()) return;
    throw new OrdererError(IngressErrorCode.BadRequest, `broadcast client identity expired (certificate expired at ${expiresAt.toISOString()}, now ${now.toISOString()})`, {
      expiresAt: expiresAt.toISOString(),
    });
  }

  /**
   * Fabric's `StandardChannel.ProcessConfigUpdateMsg`, with its error texts: each stage prefixes its
   * failure as Fabric does ("config update for existing channel did not pass initial checks: …"), so
   * clients that match on them see the same answers. The filters keep their status (FORBIDDEN for
   * the signature filter, BAD_REQUEST for size and expiry, as Fabric's `ClassifyError` finds the
   * cause under the prefix); anything the proposal refuses is BAD_REQUEST, a mod_policy the
   * signatures do not satisfy included, as Fabric answers it.
   */
  private processConfigUpdate(parsed: ParsedEnvelope): ProcessedConfig {
    const resources = this.resources();
    const seq = resources.config.sequence;
    prefixed(INITIAL_CHECKS, () => this.applyFilters(parsed));
    const { next, nextResources } = this.propose(resources, parsed);

    const configEnvelope = new ConfigEnvelope();
    configEnvelope.setConfig(next);
    configEnvelope.setLastUpdate(toEnvelope(parsed));
    const bytes = buildEnvelope({
      type: HeaderType.CONFIG,
      channelId: this.channelId,
      data: configEnvelope.serializeBinary(),
      signer: this.signer,
      txId: '',
    });
    // Fabric re-applies the filters of the *current* config to the CONFIG envelope it just signed:
    // the size rule, so the message fits the consenter as configured now (not as the update would
    // configure it), and the signature filter, which checks the orderer's own identity.
    prefixed('config update for existing channel did not pass final checks', () => this.applyFilters(parseEnvelope(bytes, { types: [HeaderType.CONFIG] })));
    const maintenance = maintenanceProblem(resources.config, nextResources.config, parsed.data);
    if (maintenance !== undefined) throw badRequest(`config update for existing channel did not pass maintenance checks: ${maintenance}`);
    return { config: rememberEnvelopeBytes(Envelope.deserializeBinary(bytes), bytes), configSeq: seq };
  }

  /** Fabric's `ChainSupport.ProposeConfigUpdate`: the next config and its resources, or BAD_REQUEST saying why not. */
  private propose(resources: ChannelResources, parsed: ParsedEnvelope): { next: Config; nextResources: ChannelResources } {
    const prefix = `error applying config update to existing channel '${this.channelId}'`;
    let next: Config;
    try {
      next = resources.validator.propose(parsed.data);
    } catch (err) {
      if (!(err instanceof WeftError)) throw err;
      throw badRequest(`${prefix}: ${err.message}`, err);
    }
    let nextResources: ChannelResources;
    try {
      nextResources = buildChannelResources(this.channelId, next, this.providers);
    } catch (err) {
      // Fabric words a capability this binary lacks as an incompatibility, not a broken config.
      const incompatible = err instanceof WeftError && err.details.capability !== undefined;
      throw badRequest(`${prefix}: ${incompatible ? 'config update is not compatible' : 'the updated config would be unusable'}: ${(err as Error).message}`, err);
    }
    const succession = configSuccessionProblem(resources.config.config, next);
    if (succession !== undefined) throw badRequest(`${prefix}: config update is not compatible: ${succession}`);
    const consensus = this.consensusUpdateProblem?.(resources.config, nextResources.config);
    if (consensus !== undefined) throw badRequest(`${prefix}: consensus metadata update for channel config update is invalid: ${consensus}`);
    return { next, nextResources };
  }
}

/** Runs one stage of config update processing; an ingress error it throws gets `prefix`, keeping its code (and so its status). */
function prefixed(prefix: string, stage: () => unknown): void {
  try {
    stage();
  } catch (err) {
    if (err instanceof OrdererError) throw new OrdererError(err.code, `${prefix}: ${err.message}`, err.details, { cause: err });
    if (err instanceof WeftError) throw badRequest(`${prefix}: ${err.message}`, err);
    throw err;
  }
}

/**
 * An `Envelope` proto holding the received payload and signature bytes (the payload, which the
 * signature covers, is never re-encoded). Its bytes in the block are the envelope as a Fabric
 * orderer marshals it, which Fabric 3 peers require ({@link goEnvelope}): usually the bytes received.
 */
export function toEnvelope(parsed: ParsedEnvelope): Envelope {
  const env = new Envelope();
  env.setPayload(parsed.payloadBytes);
  env.setSignature(parsed.signature);
  return rememberEnvelopeBytes(env, goEnvelope(parsed.bytes).encoded);
}

function unsupportedType(type: number): OrdererError {
  return badRequest(`envelope.payload.header.channel_header.type: ${headerTypeName(type)} cannot be broadcast; expected ENDORSER_TRANSACTION, MESSAGE or CONFIG_UPDATE`);
}

function badRequest(message: string, cause?: unknown): OrdererError {
  return new OrdererError(IngressErrorCode.BadRequest, message, causeDetails(cause), { cause });
}

function forbidden(message: string, cause?: unknown): OrdererError {
  return new OrdererError(IngressErrorCode.Forbidden, message, causeDetails(cause), { cause });
}

function causeDetails(cause: unknown): Record<string, unknown> {
  return cause instanceof WeftError ? { cause: cause.code } : {};
}
