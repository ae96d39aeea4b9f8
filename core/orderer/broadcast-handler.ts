import { Status } from '@hyperledger/fabric-protos/lib/common/common_pb';
import type { Logger } from 'pino';
import { OrdererError, wireErrorText } from '../errors';
import { DefaultProtocolLimits } from '../protocol/bounded-decode';
import { envelopeSignedData, parseEnvelope } from '../protocol/envelope';
import { IngressErrorCode, statusOf, type StatusCode } from './broadcast-status';
import type { BroadcastObserver, BroadcastTracker } from './broadcast-metrics';
import type { ChannelEntry, Registrar } from './registrar';
import type { SignaturePrecheck } from './signature-precheck';
import { statusName } from '../protocol/status-name';

/** What Broadcast answers for one envelope (`orderer.BroadcastResponse`). */
export interface BroadcastResult {
  readonly status: StatusCode;
  readonly info: string;
}

export interface BroadcastHandlerOptions {
  /** Largest envelope accepted before any parsing (the gRPC receive limit is the outer bound). */
  readonly maxEnvelopeBytes: number;
  /** Recent transaction ids remembered per channel to reject replays. */
  readonly replayWindow: number;
}

/**
 * Fabric's broadcast handler (`orderer/common/broadcast`): parses the envelope, finds its channel,
 * runs the channel's ingress checks, and hands the message to the chain. The answer is SUCCESS only
 * once the chain has made the envelope durable. Transport-agnostic: the gRPC service feeds it bytes.
 */
export class BroadcastHandler {
  private readonly recentTxIds = new Map<string, Map<string, true>>();

  constructor(
    private readonly registrar: Registrar,
    private readonly options: BroadcastHandlerOptions,
    private readonly logger: Logger,
    private readonly precheck?: SignaturePrecheck,
    private readonly observer?: BroadcastObserver,
  ) {}

  /**
   * Handles one envelope. `previous` is the `submitted` promise of the message before it on the same
   * stream: signatures are checked concurrently, but messages of one stream reach the chain in the
   * order they were sent. `result` resolves once the chain has made the envelope durable.
   */
  handle(bytes: Uint8Array, previous: Promise<void> = Promise.resolve()): { submitted: Promise<void>; result: Promise<BroadcastResult> } {
    let markSubmitted!: () => void;
    const submitted = new Promise<void>((resolve) => (markSubmitted = resolve));
    // A message that fails early still releases its successor only after its own predecessor.
    const result = this.process(bytes, previous, markSubmitted).finally(() => void previous.then(markSubmitted));
    return { submitted, result };
  }

  private async process(bytes: Uint8Array, previous: Promise<void>, markSubmitted: () => void): Promise<BroadcastResult> {
    const tracker = this.observer?.begin();
    const result = await this.answer(bytes, previous, markSubmitted, tracker);
    tracker?.end(result.channel, result.headerType, result.status);
    return { status: result.status, info: result.info };
  }

  private async answer(
    bytes: Uint8Array,
    previous: Promise<void>,
    markSubmitted: () => void,
    tracker: BroadcastTracker | undefined,
  ): Promise<BroadcastResult & { channel: string; headerType: number | undefined }> {
    let reserved: { channel: string; txId: string } | undefined;
    let channel = '';
    let headerType: number | undefined;
    try {
      if (bytes.length === 0) throw new OrdererError(IngressErrorCode.BadRequest, 'received an empty envelope');
      const parsed = parseEnvelope(bytes, { maxBytes: this.options.maxEnvelopeBytes, requireSignature: false });
      const channelId = parsed.channelHeader.channelId;
      headerType = parsed.channelHeader.type;
      const entry = this.channelOf(channelId);
      channel = channelId;
      // Fabric's refusals come in this order: maintenance, then size, before anything hashes the
      // envelope (it may be as large as the gRPC receive limit).
      entry.support.processor.checkBeforeSignatures(parsed);
      if (this.precheck !== undefined) await this.precheck.check(envelopeSignedData(parsed), entry.support.resources.msps);
      tracker?.enter('queued');
      await previous;
      tracker?.enter('validate');
      const message = entry.support.processor.process(parsed);
      if (message.txId.length > 0) {
        this.reserveTxId(channelId, message.txId);
        reserved = { channel: channelId, txId: message.txId };
      }
      // Fabric asks the consenter (WaitReady) only for a message that passed every check, so a bad
      // message is refused for what it is even while the chain cannot take any. Should the config
      // change meanwhile, the chain re-validates what was checked under an older sequence.
      tracker?.enter('ready');
      const signal = entry.chain.errored();
      if (signal.aborted) {
        throw new OrdererError(IngressErrorCode.Unavailable, `channel ${channelId} is not serving: ${(signal.reason as Error).message}`);
      }
      await entry.chain.waitReady();
      tracker?.enter('enqueue');
      const ordered = message.kind === 'normal' ? entry.chain.order(message.env, message.configSeq) : entry.chain.configure(message.config, message.configSeq);
      markSubmitted();
      await ordered;
      reserved = undefined;
      return { status: Status.SUCCESS, info: '', channel, headerType };
    } catch (err) {
      if (reserved !== undefined) this.recentTxIds.get(reserved.channel)?.delete(reserved.txId);
      const status = statusOf(err);
      if (status === Status.INTERNAL_SERVER_ERROR) this.logger.error({ err }, 'broadcast failed unexpectedly');
      // Fabric's broadcast handler warns of every message it rejects ("Rejecting broadcast of … message").
      else this.logger.warn({ channel, status: statusName(status), reason: (err as Error).message }, 'broadcast rejected');
      return { status, info: wireErrorText((err as Error).message), channel, headerType };
    }
  }

  /**
   * The message's channel. Fabric's `BroadcastChannelSupport` refuses a channel the orderer does
   * not serve before any processing, and Broadcast answers that BAD_REQUEST ("channel does not
   * exist"); NOT_FOUND is Deliver's answer only.
   */
  private channelOf(channelId: string): ChannelEntry {
    try {
      return this.registrar.require(channelId);
    } catch (err) {
      if (err instanceof OrdererError && err.code === IngressErrorCode.NotFound) {
        throw new OrdererError(IngressErrorCode.BadRequest, err.message, err.details, { cause: err });
      }
      throw err;
    }
  }

  private reserveTxId(channelId: string, txId: string): void {
    let seen = this.recentTxIds.get(channelId);
    if (seen === undefined) {
      seen = new Map();
      this.recentTxIds.set(channelId, seen);
    }
    if (seen.has(txId)) {
      throw new OrdererError(IngressErrorCode.BadRequest, `duplicate transaction id ${txId}: this envelope was already broadcast (replay)`, {
        txId,
      });
    }
    seen.set(txId, true);
    if (seen.size > this.options.replayWindow) seen.delete(seen.keys().next().value as string);
  }
}

export const defaultBroadcastOptions: BroadcastHandlerOptions = {
  maxEnvelopeBytes: DefaultProtocolLimits.maxEnvelopeBytes,
  replayWindow: 100_000,
};
