import { DeliverResponse } from '@hyperledger/fabric-protos/lib/orderer/ab_pb';
import type { Logger } from '../../node/logger';
import { parseBlock } from '../../protocol/block';
import { buildSeekEnvelope } from '../../protocol/deliver-request';
import type { Signer } from '../../protocol/signer';
import type { JoinedChannel } from '../channel/channel-manager';
import { readLengthDelimitedField } from '../grpc/proto-frame';
import { headerHashOf, verifyBlock } from '../validation/block-verifier';
import type { OrdererClient } from './orderer-client';

/** Where the puller finds orderers: the channel's current endpoints, mapped to clients. */
export interface OrdererSource {
  /** Orderer addresses of the channel's current config (with local overrides applied). */
  endpoints(channelId: string): string[];
  client(address: string, channelId: string): OrdererClient;
  /** SHA-256 of the TLS client certificate presented to orderers: Deliver requests name it (Fabric's mutual-TLS binding). */
  readonly clientCertHash: Uint8Array | undefined;
}

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;

/**
 * Follows one channel on the ordering service (Fabric 3's default: every peer pulls): a Deliver
 * stream from the ledger height onwards; each block is verified (number, hash chain,
 * BlockValidation signatures) and committed before the next is read, so a config block's new
 * rules apply to the block after it. On any failure it reconnects, rotating through the
 * endpoints with backoff, and resumes from the ledger height: nothing is committed twice.
 */
export class BlockPuller {
  private stopped = false;
  private current: { cancel(): void } | undefined;
  private loop: Promise<void> | undefined;
  private endpointIndex = 0;
  private wake: (() => void) | undefined;

  constructor(
    private readonly joined: JoinedChannel,
    private readonly signer: Signer,
    private readonly source: OrdererSource,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.current?.cancel();
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    let delay = RETRY_MIN_MS;
    while (!this.stopped) {
      if (this.joined.committer.failure() !== undefined) {
        // Nothing pulled now could be committed: the peer reports the channel unhealthy until restarted.
        this.logger.error({ channel: this.joined.channel.id }, 'stopped pulling blocks: the channel can no longer commit');
        break;
      }
      const endpoints = this.source.endpoints(this.joined.channel.id);
      if (endpoints.length === 0) {
        this.logger.warn({ channel: this.joined.channel.id }, 'channel config names no orderer endpoints');
      } else {
        const address = endpoints[this.endpointIndex++ % endpoints.length];
        const progressed = await this.pullFrom(address);
        if (progressed) delay = RETRY_MIN_MS;
      }
      if (this.stopped) break;
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, delay);
      });
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    }
  }

  /** Pulls until the stream ends or fails; true when at least one block was committed. */
  private async pullFrom(address: string): Promise<boolean> {
    const channel = this.joined.channel;
    let progressed = false;
    let stream;
    try {
      stream = this.source.client(address, channel.id).deliver();
    } catch (err) {
      this.logger.warn({ err, address, channel: channel.id }, 'cannot open deliver stream');
      return false;
    }
    this.current = stream;
    stream.on('error', () => undefined);
    try {
      stream.write(this.seekEnvelope(channel.height()));
      let previousHash: Uint8Array | undefined;
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        if (this.stopped) break;
        // DeliverResponse{status = 1 | block = 2}: the block bytes are taken as sent, decoded once.
        const blockBytes = readLengthDelimitedField(chunk, 2);
        if (blockBytes === undefined) {
          this.logger.info({ address, channel: channel.id, status: DeliverResponse.deserializeBinary(chunk).getStatus() }, 'orderer ended the deliver stream');
          break;
        }
        const parsed = parseBlock(blockBytes);
        const expected = channel.height();
        if (parsed.number < expected) continue;
        if (previousHash === undefined && expected > 0) {
          const last = parseBlock(channel.ledger.getBlockBytes(expected - 1) as Uint8Array, { verifyDataHash: false });
          previousHash = headerHashOf(last);
        }
        verifyBlock(parsed, expected, previousHash, channel.resources());
        await this.joined.committer.commit(parsed);
        previousHash = headerHashOf(parsed);
        progressed = true;
      }
    } catch (err) {
      if (!this.stopped) this.logger.warn({ err, address, channel: channel.id }, 'block pulling failed; reconnecting');
    } finally {
      stream.cancel();
      this.current = undefined;
    }
    return progressed;
  }

  private seekEnvelope(from: number): Uint8Array {
    return buildSeekEnvelope({ channelId: this.joined.channel.id, start: from, signer: this.signer, tlsCertHash: this.source.clientCertHash });
  }
}
