import { HeaderType, Status } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { SeekInfo, SeekPosition } from '@hyperledger/fabric-protos/lib/orderer/ab_pb';
import type { Logger } from 'pino';
import { OrdererError, ProtocolError, WeftError } from '../errors';
import { type DeliverMetrics, type DeliverRequestMetrics, NO_DELIVER_METRICS } from '../node/operations/deliver-metrics';
import { decode } from '../protocol/bounded-decode';
import { deliverHeaderProblem, headerWithSignatures } from '../protocol/deliver-request';
import { envelopeSignedData, parseEnvelope, type ParsedEnvelope } from '../protocol/envelope';
import { IngressErrorCode, statusOf, type StatusCode } from './broadcast-status';
import { ConsensusState } from './consenter';
import { creatorExpiresAtCached } from '../msp/creator-expiry';
import type { ChannelEntry, Registrar } from './registrar';
import { statusName } from '../protocol/status-name';

/** Where a Deliver request's answers go: blocks (serialized) and one final status. */
export interface DeliverSink {
  /** Sends a block; resolves when the transport can take more (flow control). */
  sendBlock(blockBytes: Uint8Array): Promise<void>;
  sendStatus(status: StatusCode): void;
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal;
  /** The client's address (`host:port`), named in the warning logged when a request is refused; absent when the transport cannot tell. */
  readonly remoteAddress?: string;
}

/** What a request got as far as, for the warning that names why it was refused. */
interface RequestProgress {
  /** Set once the channel is found (Fabric logs an unknown channel at debug only: SDKs poll for new channels). */
  channel?: string;
  /** True once the client was first authorized: a later FORBIDDEN is a revocation. */
  authorized?: boolean;
}


const NEVER = Number.MAX_SAFE_INTEGER;

/**
 * Fabric's Deliver handler (`common/deliver/deliver.go`) for the orderer: one SeekInfo request at
 * a time, authorized by `/Channel/Readers` (`/Channel/Orderer/Readers` while the channel is in
 * maintenance; re-checked when the config changes, and the creator's certificate expiry re-checked
 * per block unless `noExpirationChecks`),
 * streaming stored blocks and then new ones as they are written.
 */
export class DeliverHandler {
  private readonly timeWindowMs: number;
  private readonly expirationChecks: boolean;
  private readonly now: () => Date;
  /** Counted when the orderer has an operations endpoint; the gRPC layer counts streams on it too. */
  readonly metrics: DeliverMetrics | undefined;
  private readonly logger: Logger | undefined;

  /**
   * `timeWindowMs` bounds a request's timestamp (`orderer.authTimeWindowMs`); `expirationChecks`
   * false ignores the client certificate's expiry (`orderer.noExpirationChecks`; default true);
   * `now` is the clock (tests pass their own); `logger` (Fabric's `common.deliver`) gets a warning
   * for each refused request, as Fabric's deliver handler logs one.
   */
  constructor(
    private readonly registrar: Registrar,
    options: { timeWindowMs: number; expirationChecks?: boolean; metrics?: DeliverMetrics; now?: () => Date; logger?: Logger },
  ) {
    this.logger = options.logger;
    this.timeWindowMs = options.timeWindowMs;
    this.expirationChecks = options.expirationChecks ?? true;
    this.metrics = options.metrics;
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Serves one request to completion; always ends with exactly one `sendStatus` (unless the client
   * left), and resolves to that status. Fabric's deliver handler returns after any status but
   * SUCCESS, which ends the stream: the transport should read no further request then.
   * `clientCertHash`: the hash of the connection's client TLS certificate when the orderer
   * requires client certificates (the request must name it), else undefined.
   */
  async handle(bytes: Uint8Array, sink: DeliverSink, clientCertHash?: Uint8Array): Promise<StatusCode> {
    const request = this.metrics?.request('block') ?? NO_DELIVER_METRICS;
    let status: StatusCode;
    const progress: RequestProgress = {};
    try {
      status = await this.deliver(bytes, sink, clientCertHash, request, progress);
    } catch (err) {
      status = statusOf(err);
      this.logRefusal(err, status, progress, sink.remoteAddress);
    }
    request.completed(status === Status.SUCCESS);
    if (!sink.signal.aborted) sink.sendStatus(status);
    return status;
  }

  /**
   * Fabric's deliver handler warns, naming the channel and the client, for every refusal but an
   * unknown channel (debug: SDKs poll for channels being created). Only the reason's text is
   * logged: it names identities by MSP and policy, never by certificate.
   */
  private logRefusal(err: unknown, status: StatusCode, progress: RequestProgress, client: string | undefined): void {
    if (this.logger === undefined) return;
    const reason = (err as Error).message;
    if (!(err instanceof OrdererError || err instanceof ProtocolError)) {
      this.logger.error({ channel: progress.channel, client, reason }, 'deliver request failed unexpectedly');
      return;
    }
    const fields = { channel: progress.channel, client, status: statusName(status), reason };
    if (progress.channel === undefined && status === Status.NOT_FOUND) this.logger.debug(fields, 'deliver request for a channel this orderer does not serve');
    else if (status === Status.FORBIDDEN) this.logger.warn(fields, progress.authorized === true ? 'deliver client authorization revoked' : 'deliver client is not authorized');
    else this.logger.warn(fields, 'deliver request refused');
  }

  private async deliver(
    bytes: Uint8Array,
    sink: DeliverSink,
    clientCertHash: Uint8Array | undefined,
    request: DeliverRequestMetrics,
    progress: RequestProgress,
  ): Promise<StatusCode> {
    if (bytes.length === 0) throw new OrdererError(IngressErrorCode.BadRequest, 'received an empty envelope');
    const parsed = parseEnvelope(bytes, { types: [HeaderType.DELIVER_SEEK_INFO] });
    const problem = deliverHeaderProblem(parsed.channelHeader, { now: this.now().getTime(), timeWindowMs: this.timeWindowMs, clientCertHash });
    if (problem !== undefined) throw new OrdererError(IngressErrorCode.BadRequest, problem);
    const channelId = parsed.channelHeader.channelId;
    const entry = this.registrar.require(channelId);
    progress.channel = channelId;
    request.channelKnown(channelId);
    const seek = decode(SeekInfo, parsed.data, 'envelope.payload.data');
    // Fabric's deliverBlocks: a STRICT request ends when the chain fails; a BEST_EFFORT one (an
    // orderer catching up from another) keeps reading what is stored, until the channel closes.
    const endsOn = seek.getErrorResponse() === SeekInfo.SeekErrorResponse.BEST_EFFORT ? [entry.closed] : [entry.chain.errored(), entry.closed];
    if (endsOn.some((s) => s.aborted)) throw notServing(entry, channelId);

    const access = new SessionAccess(entry, parsed, this.now, this.expirationChecks ? creatorExpiresAtCached(parsed.signatureHeader.creator) : undefined);
    access.evaluate();
    progress.authorized = true;
    const start = seek.getStart();
    const stop = seek.getStop();
    if (start === undefined || stop === undefined) {
      throw new OrdererError(IngressErrorCode.BadRequest, 'seek_info: start and stop are both required');
    }
    const failIfNotReady = seek.getBehavior() === SeekInfo.SeekBehavior.FAIL_IF_NOT_READY;
    const headersOnly = seek.getContentType() === SeekInfo.SeekContentType.HEADER_WITH_SIG;
    const support = entry.support;

    let number: number;
    switch (start.getTypeCase()) {
      case SeekPosition.TypeCase.OLDEST:
        number = 0;
        break;
      case SeekPosition.TypeCase.NEWEST:
        number = support.height() - 1;
        break;
      case SeekPosition.TypeCase.SPECIFIED:
        number = clamp(start.getSpecified()!.getNumber());
        if (number > support.height()) throw beyondHeight(number, support.height());
        break;
      case SeekPosition.TypeCase.NEXT_COMMIT:
        number = support.height();
        break;
      default:
        // Fabric's ledger iterator answers a start it cannot read with its NotFoundErrorIterator.
        throw new OrdererError(IngressErrorCode.NotFound, 'seek_info.start: no position type set');
    }

    let stopNum: number;
    switch (stop.getTypeCase()) {
      case SeekPosition.TypeCase.OLDEST:
        stopNum = number;
        break;
      case SeekPosition.TypeCase.NEWEST:
        stopNum = start.getTypeCase() === SeekPosition.TypeCase.NEWEST ? number : support.height() - 1;
        break;
      case SeekPosition.TypeCase.SPECIFIED:
        stopNum = clamp(stop.getSpecified()!.getNumber());
        if (stopNum < number) {
          throw new OrdererError(IngressErrorCode.BadRequest, `seek_info: start block ${number} is after stop block ${stopNum}`);
        }
        break;
      case SeekPosition.TypeCase.NEXT_COMMIT:
        stopNum = support.height();
        break;
      default:
        throw new OrdererError(IngressErrorCode.BadRequest, 'seek_info.stop: no position type set');
    }

    for (;;) {
      if (entry.closed.aborted) throw notServing(entry, channelId);
      if (failIfNotReady && number > support.height() - 1) throw beyondHeight(number, support.height(), ' (FAIL_IF_NOT_READY)');
      if (number >= support.height()) {
        const outcome = await waitForBlock(entry, number, endsOn, sink.signal);
        if (outcome === 'ended') throw notServing(entry, channelId);
        // The client went away: Fabric logs this at debug only.
        if (outcome === 'cancelled') return Status.INTERNAL_SERVER_ERROR;
      }
      access.evaluate();
      const blockBytes = support.blockBytes(number);
      if (blockBytes === undefined) throw new OrdererError(IngressErrorCode.NotFound, `block ${number} could not be read from channel ${channelId}'s ledger`);
      await sink.sendBlock(headersOnly ? headerWithSignatures(blockBytes) : blockBytes);
      if (sink.signal.aborted) return Status.INTERNAL_SERVER_ERROR;
      request.blockSent();
      if (number === stopNum) return Status.SUCCESS;
      number++;
    }
  }
}

/**
 * Fabric's `SessionAccessControl` (common/deliver/acl.go): the session ends when the client's
 * certificate expires, read once from the creator's bytes as Fabric's `crypto.ExpiresAt` reads it
 * (no MSP; undefined = cannot tell, or expiry checks are off) and checked before every block, so a
 * stream left open past the expiry is cut at its next block; the Readers check is redone only when
 * the channel config changes.
 */
class SessionAccess {
  private evaluatedAt: number | undefined;

  constructor(
    private readonly entry: ChannelEntry,
    private readonly envelope: ParsedEnvelope,
    private readonly now: () => Date,
    private readonly sessionEnd: Date | undefined,
  ) {}

  evaluate(): void {
    const now = this.now();
    // Fabric: time.Now().After(sessionEndTime), so the instant of expiry itself still passes.
    if (this.sessionEnd !== undefined && now.getTime() > this.sessionEnd.getTime()) {
      throw forbidden(`deliver client identity expired at ${this.sessionEnd.toISOString()} (now ${now.toISOString()})`);
    }
    const resources = this.entry.support.resources;
    if (this.evaluatedAt === resources.config.sequence) return;
    try {
      resources.msps.deserializeIdentity(this.envelope.signatureHeader.creator).validate();
    } catch (err) {
      throw forbidden(`deliver client is not a valid identity of this channel: ${(err as Error).message}`, err);
    }
    // Fabric's SigFilter for Deliver: in maintenance only the orderer orgs' readers are served.
    const path = resources.config.orderer.consensusState === ConsensusState.Maintenance ? '/Channel/Orderer/Readers' : '/Channel/Readers';
    const readers = resources.policies.getPolicy(path);
    if (readers === undefined) throw forbidden(`channel ${resources.config.channelId} has no ${path} policy to authorize the deliver client with`);
    const result = readers.evaluate([envelopeSignedData(this.envelope)]);
    if (!result.satisfied) throw forbidden(`deliver client does not satisfy ${path}: ${result.reason}`);
    this.evaluatedAt = resources.config.sequence;
  }
}

/** SERVICE_UNAVAILABLE for a channel removed or a chain that stopped serving. */
function notServing(entry: ChannelEntry, channelId: string): OrdererError {
  if (entry.closed.aborted) return new OrdererError(IngressErrorCode.Unavailable, `channel ${channelId} was removed from this orderer`);
  const reason = entry.chain.errored().reason as Error | undefined;
  return new OrdererError(IngressErrorCode.Unavailable, `channel ${channelId} is not serving: ${reason?.message ?? 'consenter error'}`);
}

function beyondHeight(number: number, height: number, why = ''): OrdererError {
  return new OrdererError(IngressErrorCode.NotFound, `block ${number} not found: the channel's height is ${height}${why}`);
}

function forbidden(message: string, cause?: unknown): OrdererError {
  return new OrdererError(IngressErrorCode.Forbidden, message, cause instanceof WeftError ? { cause: cause.code } : {}, { cause });
}

/** A uint64 block number as a JS number; values beyond 2^53 (MaxUint64 = "never stop") saturate. */
function clamp(n: number): number {
  return Number.isSafeInteger(n) && n >= 0 ? n : NEVER;
}

/** Until block `number` is stored, one of `endsOn` aborts, or the client goes away. */
function waitForBlock(entry: ChannelEntry, number: number, endsOn: readonly AbortSignal[], cancelled: AbortSignal): Promise<'ready' | 'ended' | 'cancelled'> {
  return new Promise((resolve) => {
    const done = (outcome: 'ready' | 'ended' | 'cancelled') => {
      unsubscribe();
      for (const s of endsOn) s.removeEventListener('abort', onEnded);
      cancelled.removeEventListener('abort', onCancelled);
      resolve(outcome);
    };
    const onEnded = () => done('ended');
    const onCancelled = () => done('cancelled');
    const unsubscribe = entry.support.onBlock((height) => {
      if (height > number) done('ready');
    });
    for (const s of endsOn) s.addEventListener('abort', onEnded);
    cancelled.addEventListener('abort', onCancelled);
    if (endsOn.some((s) => s.aborted)) done('ended');
    else if (cancelled.aborted) done('cancelled');
    else if (entry.support.height() > number) done('ready');
  });
}
