import { DeliverResponse } from '@hyperledger/fabric-protos/lib/orderer/ab_pb';
import type { Logger } from '../../node/logger';
import { parseBlock } from '../../protocol/block';
import { buildSeekEnvelope } from '../../protocol/deliver-request';
import { deliverResponseBlock } from '../../protocol/deliver-response';
import type { Signer } from '../../protocol/signer';
import { toHex } from '../../protocol/bytes';
import type { ChannelResources } from '../channel/channel-resources';
import type { JoinedChannel } from '../channel/channel-manager';
import { headerHashOf, verifyBlock } from '../validation/block-verifier';
import { BFT_CONSENSUS_TYPE } from '../../protocol/bft-config';
import { BftCensorshipMonitor } from './bft-censorship-monitor';
import { DEFAULT_BLOCK_CENSORSHIP_TIMEOUT_MS, DEFAULT_DELIVERY_TIMINGS, type DeliveryTimings, reconnectDelayMs } from './delivery-timings';
import type { OrdererClient } from './orderer-client';

/** Where the puller finds orderers: the channel's current endpoints, mapped to clients. */
export interface OrdererSource {
  /** Orderer addresses of the channel's current config (with local overrides applied). */
  endpoints(channelId: string): string[];
  /** The connection to dial now; Deliver requests on it name its {@link OrdererClient.tlsCertHash} (Fabric's mutual-TLS binding). */
  client(address: string, channelId: string): OrdererClient;
  /** The peer's `deliveryClient` timings; Fabric's defaults when absent. */
  readonly deliveryTimings?: DeliveryTimings;
}

/**
 * How a Deliver attempt ended, as Fabric's deliverer counts it: `refresh` = the channel's orderers
 * changed, or the connection was retired for one with a reloaded client certificate (reconnect at
 * once, not a failure); `failed` = no stream, or a stream that ended in an
 * error, a status or a block refused (the next attempt waits the backoff); `progressed` = a block
 * was committed (the failures so far are forgotten).
 */
type PullOutcome = { readonly progressed: boolean; readonly refresh: boolean; readonly failed: boolean };

/**
 * What decides where and how the puller dials: the endpoints and each orderer org's TLS roots.
 * Fabric's connection source hashes the same per org and refreshes every endpoint when one changes.
 * A config block revoking the orderer's TLS certificate cuts its connection (`PeerNetwork`), which
 * ends the stream; the next dial's handshake refuses that orderer.
 */
function ordererFingerprint(endpoints: readonly string[], resources: ChannelResources): string {
  const { ordererOrgs } = resources.config;
  const orgs = ordererOrgs.map((o) => [o.mspId, [...o.msp.getTlsRootCertsList_asU8(), ...o.msp.getTlsIntermediateCertsList_asU8()].map(toHex)]);
  return JSON.stringify([[...endpoints].sort(), orgs]);
}

/**
 * Follows one channel on the ordering service (Fabric 3's default: every peer pulls): a Deliver
 * stream from the ledger height onwards; each block is verified (number, hash chain,
 * BlockValidation signatures) and committed before the next is read, so a config block's new
 * rules apply to the block after it. A block that fails verification (a wrong number, an old or
 * duplicate block included, as Fabric's `BlockVerificationAssistant` refuses it) ends the stream as
 * any other failure does: it reconnects, rotating through the endpoints, after Fabric's backoff
 * (100 ms growing ×1.2 per failure in a row up to `reConnectBackoffThreshold`), and resumes from
 * the ledger height: nothing is committed twice. A config
 * block that changes the orderer endpoints or the orderer orgs' TLS roots ends the stream and
 * reconnects at once under the new config (Fabric's endpoint refresh): the orderer it was on may
 * have left the channel without closing its streams. So does a certificate reload that retires the
 * connection (Weft's; Fabric hashes its client certificate once per deliverer): the stream moves to
 * a connection presenting the new certificate while the old one is still valid, its request naming
 * that connection's certificate; a block being committed finishes first, and the new stream starts
 * from the ledger height, so no block is skipped or pulled twice.
 *
 * On a BFT channel (consensus type BFT) a {@link BftCensorshipMonitor} reads block headers from the
 * channel's other orderers meanwhile (Fabric's `BFTDeliverer`): when they show a block, signed by
 * a quorum, that the source has not delivered within `blockCensorshipTimeout`, the stream is
 * ended as a failure and the next endpoint becomes the source.
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

  private get timings(): DeliveryTimings {
    return this.source.deliveryTimings ?? DEFAULT_DELIVERY_TIMINGS;
  }

  /** Fabric's `Deliverer.DeliverBlocks`: attempts in a row that failed set the wait before the next. */
  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      if (failures > 0) {
        const delay = reconnectDelayMs(failures, this.timings.reConnectBackoffThresholdMs);
        this.logger.warn({ channel: this.joined.channel.id, failures, delayMs: delay }, 'disconnected from the ordering service; reconnecting after a delay');
        await this.sleep(delay);
        if (this.stopped) break;
      }
      if (this.joined.committer.failure() !== undefined) {
        // Nothing pulled now could be committed: the peer reports the channel unhealthy until restarted.
        this.logger.error({ channel: this.joined.channel.id }, 'stopped pulling blocks: the channel can no longer commit');
        break;
      }
      const endpoints = this.source.endpoints(this.joined.channel.id);
      if (endpoints.length === 0) {
        this.logger.warn({ channel: this.joined.channel.id }, 'channel config names no orderer endpoints');
        failures++;
        continue;
      }
      const address = endpoints[this.endpointIndex++ % endpoints.length];
      const outcome = await this.pullFrom(address, ordererFingerprint(endpoints, this.joined.channel.resources()));
      if (outcome.progressed) failures = 0;
      if (outcome.failed) failures++;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((r) => {
      const timer = setTimeout(r, ms);
      // stop() wakes the loop; the timer must not keep the process alive for the rest of the delay.
      this.wake = () => {
        clearTimeout(timer);
        r();
      };
    });
  }

  /**
   * Pulls until the stream ends or fails, until a committed config block changes `fingerprint`
   * (the orderers as the stream was opened under), or until its connection is retired.
   */
  private async pullFrom(address: string, fingerprint: string): Promise<PullOutcome> {
    let client: OrdererClient;
    try {
      client = this.source.client(address, this.joined.channel.id);
    } catch (err) {
      this.logger.warn({ err, address, channel: this.joined.channel.id }, 'cannot open deliver stream');
      return { progressed: false, refresh: false, failed: true };
    }
    let retired = false;
    const stopWatching = client.onRetired(() => {
      retired = true;
      this.current?.cancel();
    });
    try {
      return await this.pullOn(client, address, fingerprint, () => retired);
    } finally {
      stopWatching();
    }
  }

  /** {@link pullFrom} on `client`, until it ends, fails, the orderers change or `retired()` (the connection is to be replaced). */
  private async pullOn(client: OrdererClient, address: string, fingerprint: string, retired: () => boolean): Promise<PullOutcome> {
    const channel = this.joined.channel;
    let progressed = false;
    let refresh = false;
    let stream;
    const unreachable = { progressed: false, refresh: false, failed: true };
    const moved = (): PullOutcome => {
      this.logger.info({ address, channel: channel.id }, 'TLS client certificate reloaded; reopening the deliver stream on a new connection');
      return { progressed, refresh: true, failed: false };
    };
    try {
      const connected = await this.connect(client);
      if (this.stopped) return { ...unreachable, failed: false };
      if (retired()) return moved();
      if (!connected) {
        this.logger.warn({ address, channel: channel.id, timeoutMs: this.timings.connTimeoutMs }, 'cannot connect to orderer; trying the next endpoint');
        return unreachable;
      }
      stream = client.deliver();
    } catch (err) {
      this.logger.warn({ err, address, channel: channel.id }, 'cannot open deliver stream');
      return unreachable;
    }
    this.current = stream;
    stream.on('error', () => undefined);
    let censoredAt: number | undefined;
    const open = stream;
    const monitor = this.censorshipMonitor(address, (header) => {
      censoredAt = header;
      open.cancel();
    });
    try {
      stream.write(this.seekEnvelope(channel.height(), client));
      let previousHash: Uint8Array | undefined;
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        if (this.stopped || retired()) break;
        // DeliverResponse{status = 1 | block = 2}: the block bytes are taken as sent, decoded once.
        const blockBytes = deliverResponseBlock(chunk);
        if (blockBytes === undefined) {
          // A request with no stop block never succeeds: any status ends the attempt as a failure.
          this.logger.warn({ address, channel: channel.id, status: DeliverResponse.deserializeBinary(chunk).getStatus() }, 'orderer ended the deliver stream with a status');
          break;
        }
        const parsed = parseBlock(blockBytes);
        const expected = channel.height();
        if (previousHash === undefined && expected > 0) {
          const lastBytes = channel.ledger.getBlockBytes(expected - 1);
          // A channel joined from a snapshot holds no block at or below the snapshot's: the first block pulled chains to the snapshot's last block hash.
          const bootstrap = lastBytes === undefined ? channel.ledger.snapshotBootstrap() : undefined;
          previousHash = bootstrap !== undefined && bootstrap.lastBlockNumber === expected - 1 ? bootstrap.lastBlockHash : headerHashOf(parseBlock(lastBytes as Uint8Array, { verifyDataHash: false }));
        }
        const resources = channel.resources();
        verifyBlock(parsed, expected, previousHash, resources);
        await this.joined.committer.commit(parsed);
        previousHash = headerHashOf(parsed);
        progressed = true;
        // A config block committed VALID swaps the resources; only then can the orderers have changed.
        if (channel.resources() !== resources && ordererFingerprint(this.source.endpoints(channel.id), channel.resources()) !== fingerprint) {
          this.logger.info({ address, channel: channel.id, block: parsed.number }, 'orderer endpoints, TLS roots or TLS revocations changed; reconnecting under the new config');
          refresh = true;
          break;
        }
      }
    } catch (err) {
      if (!this.stopped && !retired() && censoredAt === undefined) this.logger.warn({ err, address, channel: channel.id }, 'block pulling failed; disconnecting from the orderer');
    } finally {
      monitor?.stop();
      stream.cancel();
      this.current = undefined;
    }
    if (retired() && !this.stopped) return moved();
    if (censoredAt !== undefined && !this.stopped) {
      this.logger.warn({ address, channel: channel.id, header: censoredAt, height: channel.height() }, 'other orderers show a block this orderer has not delivered (censorship suspected); moving to the next orderer');
    }
    // Fabric counts every end of a stream but an endpoint refresh as a failure: a Deliver for ever
    // (stop = max) never ends on its own, so a status, a hang-up or a refused block all mean trouble.
    return { progressed, refresh, failed: !refresh && !this.stopped };
  }

  /**
   * On a BFT channel with other orderers, a started monitor of their block headers against the
   * block source at `address` (Fabric's BFT deliverer; the `simple` policy has none); else undefined.
   */
  private censorshipMonitor(address: string, onCensorship: (header: number) => void): BftCensorshipMonitor | undefined {
    const channel = this.joined.channel;
    if (channel.resources().config.consensusType !== BFT_CONSENSUS_TYPE) return undefined;
    const others = this.source.endpoints(channel.id).filter((e) => e !== address);
    if (others.length === 0) return undefined;
    const monitor = new BftCensorshipMonitor({
      channelId: channel.id,
      endpoints: others,
      source: this.source,
      signer: this.signer,
      resources: () => channel.resources(),
      lastBlock: () => channel.height() - 1,
      timeoutMs: this.timings.blockCensorshipTimeoutMs ?? DEFAULT_BLOCK_CENSORSHIP_TIMEOUT_MS,
      maxRetryMs: this.timings.reConnectBackoffThresholdMs,
      logger: this.logger,
      onCensorship,
    });
    monitor.start();
    return monitor;
  }

  /** Waits for the connection to `client` (false if it fails, times out, or the puller stops first). */
  private connect(client: OrdererClient): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      this.current = { cancel: () => resolve(false) };
      void client.ready(this.timings.connTimeoutMs).then(resolve);
    }).finally(() => {
      this.current = undefined;
    });
  }

  /** The request names the certificate of the connection it goes on: the orderer refuses any other. */
  private seekEnvelope(from: number, on: OrdererClient): Uint8Array {
    return buildSeekEnvelope({ channelId: this.joined.channel.id, start: from, signer: this.signer, tlsCertHash: on.tlsCertHash });
  }
}
