import { DeliverResponse } from '@hyperledger/fabric-protos/lib/orderer/ab_pb';
import type { Logger } from '../../node/logger';
import { parseBlock } from '../../protocol/block';
import { buildSeekEnvelope } from '../../protocol/deliver-request';
import type { Signer } from '../../protocol/signer';
import { toHex } from '../../protocol/bytes';
import type { ChannelResources } from '../channel/channel-resources';
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
 * How long a connection to an orderer may take before the puller tries the next endpoint: Fabric's
 * `peer.deliveryclient.connTimeout` default (core/deliverservice/config.go).
 */
export const ORDERER_DIAL_TIMEOUT_MS = 3_000;

/** How a Deliver stream ended: `refresh` = the channel's orderers changed, reconnect at once. */
type PullOutcome = { readonly progressed: boolean; readonly refresh: boolean };

/**
 * What decides where and how the puller dials: the endpoints and each orderer org's TLS roots.
 * Fabric's connection source hashes the same per org and refreshes every endpoint when one changes.
 */
function ordererFingerprint(endpoints: readonly string[], resources: ChannelResources): string {
  const orgs = resources.config.ordererOrgs.map((o) => [
    o.mspId,
    [...o.msp.getTlsRootCertsList_asU8(), ...o.msp.getTlsIntermediateCertsList_asU8()].map(toHex),
  ]);
  return JSON.stringify([[...endpoints].sort(), orgs]);
}

/**
 * Follows one channel on the ordering service (Fabric 3's default: every peer pulls): a Deliver
 * stream from the ledger height onwards; each block is verified (number, hash chain,
 * BlockValidation signatures) and committed before the next is read, so a config block's new
 * rules apply to the block after it. On any failure it reconnects, rotating through the
 * endpoints with backoff, and resumes from the ledger height: nothing is committed twice. A config
 * block that changes the orderer endpoints or the orderer orgs' TLS roots ends the stream and
 * reconnects at once under the new config (Fabric's endpoint refresh): the orderer it was on may
 * have left the channel without closing its streams.
 */
export class BlockPuller {
  private stopped = false;
  private current: { cancel(): void } | undefined;
  private loop: Promise<void> | undefined;
  // Peers start on different orderers, as Fabric's random endpoint choice spreads them.
  private endpointIndex = Math.floor(Math.random() * 1024);
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
        const outcome = await this.pullFrom(address, ordererFingerprint(endpoints, this.joined.channel.resources()));
        if (outcome.refresh) {
          delay = RETRY_MIN_MS;
          continue;
        }
        if (outcome.progressed) delay = RETRY_MIN_MS;
      }
      if (this.stopped) break;
      await new Promise<void>((r) => {
        const timer = setTimeout(r, delay);
        // stop() wakes the loop; the timer must not keep the process alive for the rest of the delay.
        this.wake = () => {
          clearTimeout(timer);
          r();
        };
      });
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    }
  }

  /**
   * Pulls until the stream ends or fails, or until a committed config block changes `fingerprint`
   * (the orderers as the stream was opened under).
   */
  private async pullFrom(address: string, fingerprint: string): Promise<PullOutcome> {
    const channel = this.joined.channel;
    let progressed = false;
    let refresh = false;
    let stream;
    try {
      const client = this.source.client(address, channel.id);
      const connected = await this.connect(client);
      if (this.stopped) return { progressed: false, refresh: false };
      if (!connected) {
        this.logger.warn({ address, channel: channel.id, timeoutMs: ORDERER_DIAL_TIMEOUT_MS }, 'cannot connect to orderer; trying the next endpoint');
        return { progressed: false, refresh: false };
      }
      stream = client.deliver();
    } catch (err) {
      this.logger.warn({ err, address, channel: channel.id }, 'cannot open deliver stream');
      return { progressed: false, refresh: false };
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
        const resources = channel.resources();
        verifyBlock(parsed, expected, previousHash, resources);
        await this.joined.committer.commit(parsed);
        previousHash = headerHashOf(parsed);
        progressed = true;
        // A config block committed VALID swaps the resources; only then can the orderers have changed.
        if (channel.resources() !== resources && ordererFingerprint(this.source.endpoints(channel.id), channel.resources()) !== fingerprint) {
          this.logger.info({ address, channel: channel.id, block: parsed.number }, 'orderer endpoints or TLS roots changed; reconnecting under the new config');
          refresh = true;
          break;
        }
      }
    } catch (err) {
      if (!this.stopped) this.logger.warn({ err, address, channel: channel.id }, 'block pulling failed; reconnecting');
    } finally {
      stream.cancel();
      this.current = undefined;
    }
    return { progressed, refresh };
  }

  /** Waits for the connection to `client` (false if it fails, times out, or the puller stops first). */
  private connect(client: OrdererClient): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      this.current = { cancel: () => resolve(false) };
      void client.ready(ORDERER_DIAL_TIMEOUT_MS).then(resolve);
    }).finally(() => {
      this.current = undefined;
    });
  }

  private seekEnvelope(from: number): Uint8Array {
    return buildSeekEnvelope({ channelId: this.joined.channel.id, start: from, signer: this.signer, tlsCertHash: this.source.clientCertHash });
  }
}
