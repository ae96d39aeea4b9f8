import type { Logger } from '../../node/logger';
import { parseBlock } from '../../protocol/block';
import { buildSeekEnvelope } from '../../protocol/deliver-request';
import { deliverResponseBlock } from '../../protocol/deliver-response';
import type { Signer } from '../../protocol/signer';
import type { ChannelResources } from '../channel/channel-resources';
import { verifyBlockSignatures } from '../validation/block-verifier';
import type { OrdererClient } from './orderer-client';

/** What the monitor watches and whom it tells. */
export interface CensorshipMonitorOptions {
  readonly channelId: string;
  /** The channel's orderers other than the block source: each gets a header stream. */
  readonly endpoints: readonly string[];
  /** The connection to each orderer (the block puller's `OrdererSource.client`). */
  readonly source: { client(address: string, channelId: string): OrdererClient };
  readonly signer: Signer;
  /** The channel's current resources: each header's signatures are checked under its config. */
  resources(): ChannelResources;
  /** The number of the last block committed from the block source (height − 1). */
  lastBlock(): number;
  /** Fabric's `blockCensorshipTimeout`. */
  readonly timeoutMs: number;
  /** The longest wait before a failed header stream is opened again (Fabric's `MaxRetryInterval`). */
  readonly maxRetryMs: number;
  readonly logger: Logger;
  /** Called once, with the header's number, when a suspicion outlives the timeout; the monitor has stopped. */
  onCensorship(headerNumber: number): void;
}

/** A header stream to one orderer and what it has shown. */
interface HeaderReceiver {
  readonly address: string;
  stream: { cancel(): void } | undefined;
  /** The highest header whose signatures verified, and when it came. */
  last: { readonly number: number; readonly at: number } | undefined;
  /** Streams that ended in a row, setting when it may be opened again. */
  failures: number;
  retryAt: number;
}

/** Fabric's `MinRetryInterval` (the deliverer's `InitialRetryInterval`). */
const MIN_RETRY_MS = 100;

/**
 * Fabric's `BFTCensorshipMonitor` (common/deliverclient/blocksprovider): while a peer pulls a BFT
 * channel's blocks from one orderer, it also reads block headers (`HEADER_WITH_SIG`, from the next
 * block on) from every other orderer of the channel, keeping those whose signatures satisfy
 * BlockValidation (a quorum of consenters signed them: the block exists). When some header is
 * ahead of the last block committed, a suspicion starts at the time the earliest such header came;
 * a block reaching that number clears it, otherwise, once `timeoutMs` has passed, the block source
 * is reported as censoring. It checks every `timeoutMs`/100, as Fabric does. A header stream that
 * ends or shows a header that fails verification is opened again after a backoff doubling from
 * 100 ms up to `maxRetryMs`.
 */
export class BftCensorshipMonitor {
  private readonly receivers: HeaderReceiver[];
  private timer: NodeJS.Timeout | undefined;
  private suspicion: { readonly number: number; readonly since: number } | undefined;
  private stopped = false;

  constructor(private readonly options: CensorshipMonitorOptions) {
    this.receivers = options.endpoints.map((address) => ({ address, stream: undefined, last: undefined, failures: 0, retryAt: 0 }));
  }

  start(): void {
    this.launch();
    this.timer = setInterval(() => this.tick(), Math.max(10, this.options.timeoutMs / 100));
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    for (const r of this.receivers) {
      const stream = r.stream;
      r.stream = undefined;
      stream?.cancel();
    }
  }

  private tick(): void {
    if (this.stopped) return;
    this.launch();
    const censored = this.detect();
    if (censored === undefined) return;
    this.stop();
    this.options.onCensorship(censored);
  }

  /** Fabric's `detectBlockCensorship`: the header number when censorship is concluded, else undefined. */
  private detect(): number | undefined {
    const now = Date.now();
    const lastBlock = this.options.lastBlock();
    if (this.suspicion !== undefined) {
      if (lastBlock >= this.suspicion.number) this.suspicion = undefined;
      else if (now > this.suspicion.since + this.options.timeoutMs) return this.suspicion.number;
      // A pending suspicion is cleared by a block only: headers advancing further change nothing.
      else return undefined;
    }
    let first: { readonly number: number; readonly at: number } | undefined;
    for (const r of this.receivers) {
      if (r.last !== undefined && r.last.number > lastBlock && (first === undefined || r.last.at < first.at)) first = r.last;
    }
    if (first !== undefined) this.suspicion = { number: first.number, since: first.at };
    return undefined;
  }

  /** Opens a header stream to each orderer that has none and whose backoff has passed. */
  private launch(): void {
    const now = Date.now();
    for (const r of this.receivers) if (r.stream === undefined && r.retryAt <= now) this.open(r);
  }

  private open(r: HeaderReceiver): void {
    const { channelId, logger } = this.options;
    const ended = (reason: string, stream?: { cancel(): void }): void => {
      if (stream !== undefined && r.stream !== stream) return;
      r.stream = undefined;
      stream?.cancel();
      r.failures++;
      r.retryAt = Date.now() + Math.min(MIN_RETRY_MS * 2 ** (r.failures - 1), this.options.maxRetryMs);
      if (!this.stopped) logger.debug({ channel: channelId, address: r.address, reason }, 'block header stream ended; reopening it after a backoff');
    };
    let stream;
    let client;
    try {
      client = this.options.source.client(r.address, channelId);
      stream = client.deliver();
    } catch (err) {
      return ended((err as Error).message);
    }
    const open = stream;
    r.stream = open;
    open.on('error', (err: Error) => ended(err.message, open));
    open.on('end', () => ended('the orderer ended the stream', open));
    open.on('data', (chunk: Buffer) => {
      if (r.stream !== open) return;
      try {
        const blockBytes = deliverResponseBlock(chunk);
        if (blockBytes === undefined) return ended('the orderer answered with a status', open);
        // A header comes without its transactions: only the signatures over it can be checked.
        const header = parseBlock(blockBytes, { verifyDataHash: false });
        verifyBlockSignatures(header, this.options.resources());
        if (r.last === undefined || header.number > r.last.number) r.last = { number: header.number, at: Date.now() };
        r.failures = 0;
      } catch (err) {
        logger.warn({ channel: channelId, address: r.address, err }, 'block header from orderer failed verification');
        ended((err as Error).message, open);
      }
    });
    // From the next block, or past the last header this orderer showed before its stream ended.
    const from = Math.max(this.options.lastBlock() + 1, (r.last?.number ?? -1) + 1);
    open.write(buildSeekEnvelope({ channelId, start: from, headersOnly: true, signer: this.options.signer, tlsCertHash: client.tlsCertHash }));
  }
}
