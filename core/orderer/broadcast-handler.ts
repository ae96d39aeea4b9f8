import { Status } from '@hyperledger/fabric-protos/lib/common/common_pb';
import type { Logger } from 'pino';
import { OrdererError, wireErrorText } from '../errors';
import { DefaultProtocolLimits } from '../protocol/bounded-decode';
import { bytesEqual } from '../protocol/bytes';
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
  /** Recent transaction ids remembered per channel, so that an envelope broadcast again is not ordered twice. */
  readonly replayWindow: number;
}

/**
 * A transaction id this orderer took recently: the signature of the envelope that carried it, and
 * whether the chain took that envelope (pending while it is being ordered; true once it was).
 */
interface RecentTx {
  readonly signature: Uint8Array;
  ordered: Promise<boolean> | true;
}

/**
 * Fabric's broadcast handler (`orderer/common/broadcast`): parses the envelope, finds its channel,
 * runs the channel's ingress checks, and hands the message to the chain. The answer is SUCCESS only
 * once the chain has made the envelope durable. Transport-agnostic: the gRPC service feeds it bytes.
 */
export class BroadcastHandler {
  private readonly recentTxIds = new Map<string, Map<string, RecentTx>>();

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
    let settleTxId: ((ordered: boolean) => void) | undefined;
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
        const reservation = await this.reserveTxId(channelId, message.txId, parsed.signature, message.kind);
        if (reservation === 'ordered before') {
          this.logger.debug({ channel, txId: message.txId }, 'envelope broadcast again: answered as its first broadcast, not ordered twice');
          markSubmitted();
          return { status: Status.SUCCESS, info: '', channel, headerType };
        }
        settleTxId = reservation;
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
      settleTxId?.(true);
      settleTxId = undefined;
      return { status: Status.SUCCESS, info: '', channel, headerType };
    } catch (err) {
      settleTxId?.(false);
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

  /**
   * Takes a transaction id for an envelope about to be ordered; returns how to settle it, or
   * undefined when another envelope holds the id.
   *
   * Fabric's orderer orders every envelope it is sent; one broadcast twice is answered SUCCESS twice
   * and the peers mark the second copy DUPLICATE_TXID. A client that lost the answer to its submit and
   * sends it again thus learns it was taken. Weft gives the same answer to the same envelope (same
   * signature: it was verified over this payload) without ordering it again, once the first copy is
   * ordered; should the first be refused after this point, the copy is ordered in its place. A
   * different envelope with a taken id (the client signed it anew) is ordered, as Fabric does. A
   * config update sent again is refused: Fabric's orderer refuses it too, as its read set no longer
   * matches the channel's config.
   */
  private async reserveTxId(
    channelId: string,
    txId: string,
    signature: Uint8Array,
    kind: 'normal' | 'config',
  ): Promise<((ordered: boolean) => void) | 'ordered before' | undefined> {
    let seen = this.recentTxIds.get(channelId);
    if (seen === undefined) {
      seen = new Map();
      this.recentTxIds.set(channelId, seen);
    }
    for (;;) {
      const earlier = seen.get(txId);
      if (earlier === undefined) break;
      if (kind === 'config') {
        throw new OrdererError(IngressErrorCode.BadRequest, `duplicate transaction id ${txId}: this config update was already broadcast`, { txId });
      }
      if (!bytesEqual(earlier.signature, signature)) return undefined;
      if (await earlier.ordered) return 'ordered before';
      // The first copy was refused after it took the id (and gave it back): this one goes in its place.
    }
    let settle!: (ordered: boolean) => void;
    const recent: RecentTx = { signature: Uint8Array.from(signature), ordered: new Promise<boolean>((resolve) => (settle = resolve)) };
    seen.set(txId, recent);
    if (seen.size > this.options.replayWindow) seen.delete(seen.keys().next().value as string);
    const taken = seen;
    return (ordered) => {
      if (ordered) recent.ordered = true;
      else if (taken.get(txId) === recent) taken.delete(txId);
      settle(ordered);
    };
  }
}

export const defaultBroadcastOptions: BroadcastHandlerOptions = {
  maxEnvelopeBytes: DefaultProtocolLimits.maxEnvelopeBytes,
  replayWindow: 100_000,
};
