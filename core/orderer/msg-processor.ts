import { Envelope, HeaderType } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { ConfigEnvelope } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { OrdererError, WeftError } from '../errors';
import type { Identity } from '../msp/identity';
import { decode } from '../protocol/bounded-decode';
import { buildEnvelope, envelopeSignedData, parseEnvelope, type ParsedEnvelope } from '../protocol/envelope';
import { goEnvelope } from '../protocol/envelope-encoding';
import { headerTypeName } from '../protocol/header';
import { configSuccessionProblem } from '../protocol/config-succession';
import type { Signer } from '../protocol/signer';
import { IngressErrorCode } from './broadcast-status';
import { consensusTypeMigration } from './channel-config';
import { buildChannelResources, type ChannelResources, type ResourceProviders } from './channel-resources';
import { ConsensusState, type ProcessedConfig } from './consenter';
import { envelopeBytes, rememberEnvelopeBytes } from './envelope-bytes';
import { creatorExpiresAtCached, ordererChecksExpiration } from './expiration-rule';
import { consensusStateName, maintenanceProblem } from './maintenance-filter';

/** A broadcast message that passed the ingress checks. */
export type ProcessedMessage =
  | { readonly kind: 'normal'; readonly env: Envelope; readonly configSeq: number; readonly txId: string }
  | { readonly kind: 'config'; readonly config: Envelope; readonly configSeq: number; readonly txId: string };

const NORMAL_TYPES: readonly number[] = [HeaderType.ENDORSER_TRANSACTION, HeaderType.MESSAGE];

/**
 * Fabric's standard channel message processor (`msgprocessor/standardchannel.go`): the ingress
 * filters, in Fabric's order — empty, size against AbsoluteMaxBytes, expired creator, then the
 * signature filter (`/Channel/Writers`, or `/Channel/Orderer/Writers` while the channel is in
 * maintenance; it verifies the creator's signature) — and config update processing into a signed
 * CONFIG envelope, which passes the same filters and the maintenance filter before it is ordered.
 * Normal messages are refused while the channel is in maintenance. Failures are `OrdererError`s
 * whose code maps to a Fabric status (`statusOf`); their messages say what was wrong.
 */
export class MsgProcessor {
  constructor(
    private readonly channelId: string,
    private readonly resources: () => ChannelResources,
    private readonly providers: ResourceProviders,
    private readonly signer: Signer,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Checks a broadcast message already parsed (channel found) and classifies it. */
  process(parsed: ParsedEnvelope): ProcessedMessage {
    const type = parsed.channelHeader.type;
    if (type === HeaderType.CONFIG_UPDATE) {
      const { config, configSeq } = this.processConfigUpdate(parsed);
      return { kind: 'config', config, configSeq, txId: parsed.channelHeader.txId };
    }
    if (!NORMAL_TYPES.includes(type)) {
      throw badRequest(
        `envelope.payload.header.channel_header.type: ${headerTypeName(type)} cannot be broadcast; expected ENDORSER_TRANSACTION, MESSAGE or CONFIG_UPDATE`,
      );
    }
    const configSeq = this.processNormal(parsed);
    return { kind: 'normal', env: toEnvelope(parsed), configSeq, txId: parsed.channelHeader.txId };
  }

  /** ConsenterSupport.processNormalMsg: re-runs the checks under the current config. */
  processNormalMsg(env: Envelope): number {
    return this.processNormal(parseEnvelope(envelopeBytes(env)));
  }

  /**
   * The size filter alone: throws BAD_REQUEST when the envelope's payload and signature exceed the
   * channel's AbsoluteMaxBytes. Broadcast runs it before it verifies any signature, as Fabric runs
   * its size rule before the signature filter, so an oversized envelope costs no hashing.
   */
  checkSize(parsed: ParsedEnvelope): void {
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

  /** Fabric `ProcessNormalMsg`: no normal message is ordered while the channel is in maintenance. */
  private processNormal(parsed: ParsedEnvelope): number {
    const { config } = this.resources();
    const state = config.orderer.consensusState;
    if (consensusTypeMigration(config) && state !== ConsensusState.Normal) {
      throw new OrdererError(
        IngressErrorCode.Unavailable,
        `normal transactions are rejected: channel ${this.channelId} is in maintenance mode (/Channel/Orderer/ConsensusType state ${consensusStateName(state)})`,
        { channel: this.channelId, state },
      );
    }
    return this.applyFilters(parsed);
  }

  private applyFilters(parsed: ParsedEnvelope): number {
    const resources = this.resources();
    this.checkSize(parsed);
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
   * with the orderer `ExpirationCheck` capability, and only when the expiry can be read.
   */
  private checkExpiration(creator: Uint8Array, resources: ChannelResources): void {
    if (!ordererChecksExpiration(resources.config.capabilities)) return;
    const expiresAt = creatorExpiresAtCached(creator);
    const now = this.now();
    if (expiresAt === undefined || now.getTime() < expiresAt.getTime()) return;
    throw new OrdererError(IngressErrorCode.BadRequest, `broadcast client identity expired (certificate expired at ${expiresAt.toISOString()}, now ${now.toISOString()})`, {
      expiresAt: expiresAt.toISOString(),
    });
  }

  private processConfigUpdate(parsed: ParsedEnvelope): ProcessedConfig {
    const resources = this.resources();
    const seq = resources.config.sequence;
    this.applyFilters(parsed);
    const next = resources.validator.propose(parsed.data);
    let nextResources: ChannelResources;
    try {
      nextResources = buildChannelResources(this.channelId, next, this.providers);
    } catch (err) {
      // Fabric words a capability this binary lacks as an incompatibility, not a broken config.
      const incompatible = err instanceof WeftError && err.details.capability !== undefined;
      throw badRequest(`${incompatible ? 'config update is not compatible' : 'the updated config would be unusable'}: ${(err as Error).message}`, err);
    }
    const succession = configSuccessionProblem(resources.config.config, next);
    if (succession !== undefined) throw badRequest(`config update is not compatible: ${succession}`);

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
    this.finalChecks(bytes);
    const maintenance = maintenanceProblem(resources.config, nextResources.config, parsed.data);
    if (maintenance !== undefined) throw badRequest(`config update did not pass maintenance checks: ${maintenance}`);
    return { config: rememberEnvelopeBytes(Envelope.deserializeBinary(bytes), bytes), configSeq: seq };
  }

  /**
   * Fabric re-applies the ingress filters of the *current* config to the CONFIG envelope it just
   * signed: the size rule, so the message fits the consenter as configured now (not as the update
   * would configure it), and the signature filter, which checks the orderer's own identity.
   */
  private finalChecks(configEnvelope: Uint8Array): void {
    try {
      this.applyFilters(parseEnvelope(configEnvelope, { types: [HeaderType.CONFIG] }));
    } catch (err) {
      if (!(err instanceof OrdererError)) throw err;
      throw new OrdererError(err.code, `the CONFIG message built from this update did not pass final checks: ${err.message}`, err.details, { cause: err });
    }
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

function badRequest(message: string, cause?: unknown): OrdererError {
  return new OrdererError(IngressErrorCode.BadRequest, message, causeDetails(cause), { cause });
}

function forbidden(message: string, cause?: unknown): OrdererError {
  return new OrdererError(IngressErrorCode.Forbidden, message, causeDetails(cause), { cause });
}

function causeDetails(cause: unknown): Record<string, unknown> {
  return cause instanceof WeftError ? { cause: cause.code } : {};
}
