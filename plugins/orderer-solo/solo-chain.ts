import { Envelope } from '@hyperledger/fabric-protos/lib/common/common_pb';
import type { Logger } from 'pino';
import { OrdererError } from '../../core/errors';
import { retryWhileDiskFull } from '../../core/ledger/disk-full-backoff';
import type { Chain, ConsenterSupport } from '../../core/orderer/consenter';
import { envelopeBytes, rememberEnvelopeBytes } from '../../core/orderer/envelope-bytes';
import type { SoloWal, WalRecord } from './solo-wal';

type Event =
  | { readonly type: 'normal' | 'config'; readonly env: Envelope; readonly configSeq: number; readonly index: number }
  | { readonly type: 'timeout'; readonly generation: number };

/** Consenter metadata of a solo block: the WAL index of the block's last message, u64 big-endian. */
export function encodeSoloMetadata(index: number): Uint8Array {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(index));
  return b;
}

export function decodeSoloMetadata(metadata: Uint8Array | undefined): number {
  if (metadata === undefined || metadata.length !== 8) return 0;
  return Number(Buffer.from(metadata.buffer, metadata.byteOffset, 8).readBigUInt64BE(0));
}

export interface SoloChainOptions {
  /** Accepted messages not yet processed beyond which `order` rejects (back-pressure). */
  readonly maxQueued: number;
  /** WAL size beyond which it is emptied once all its records are in blocks. */
  readonly walTruncateBytes: number;
  /** The waits between tries of a block write while the disk is full (1 s doubling to 30 s); tests shorten them. */
  readonly diskFullDelaysMs?: { first: number; max: number };
}

/**
 * Fabric's solo chain loop (`orderer/consensus/solo/consensus.go`): messages go through the block
 * cutter in order, a BatchTimeout timer starts with the first pending message, config messages cut
 * the pending batch and get a block of their own. Unlike Fabric's solo, a message is acknowledged
 * only once it is in the WAL, so an acknowledged envelope survives a crash: on restart the WAL
 * records after the last block's consenter metadata are ordered again.
 */
export class SoloChain implements Chain {
  private readonly abort = new AbortController();
  private readonly events: Event[] = [];
  private head = 0;
  private pumping: Promise<void> | undefined;
  private started = false;
  private timer: NodeJS.Timeout | undefined;
  private timerGeneration = 0;
  /** WAL indexes of the messages pending in the cutter, oldest first (the cutter is FIFO). */
  private cutterIndexes: number[] = [];
  private lastProcessedIndex: number;
  private nextIndex: number;
  /** Accepted messages whose WAL record is being written: they count towards `maxQueued`. */
  private appending = 0;
  /** Set while a block write waits for disk space; `accept` refuses meanwhile. */
  private paused: Error | undefined;

  constructor(
    private readonly support: ConsenterSupport,
    private readonly wal: SoloWal,
    replay: readonly WalRecord[],
    lastIncludedIndex: number,
    private readonly options: SoloChainOptions,
    private readonly logger: Logger,
  ) {
    this.lastProcessedIndex = lastIncludedIndex;
    let maxIndex = lastIncludedIndex;
    for (const record of replay) {
      maxIndex = Math.max(maxIndex, record.index);
      if (record.index <= lastIncludedIndex) continue;
      let env: Envelope;
      try {
        env = rememberEnvelopeBytes(Envelope.deserializeBinary(record.envelope), record.envelope);
      } catch {
        this.logger.warn({ channel: support.channelId, index: record.index }, 'skipping unreadable WAL record');
        continue;
      }
      this.events.push({ type: record.kind, env, configSeq: record.configSeq, index: record.index });
    }
    this.nextIndex = maxIndex + 1;
    if (this.events.length > 0) {
      this.logger.info({ channel: support.channelId, replayed: this.events.length }, 'replaying accepted messages from the WAL');
    }
  }

  order(env: Envelope, configSeq: number): Promise<void> {
    return this.accept('normal', env, configSeq);
  }

  configure(configEnv: Envelope, configSeq: number): Promise<void> {
    return this.accept('config', configEnv, configSeq);
  }

  waitReady(): Promise<void> {
    if (this.abort.signal.aborted) return Promise.reject(this.abort.signal.reason as Error);
    if (this.paused !== undefined) return Promise.reject(this.pausedError(this.paused));
    return Promise.resolve();
  }

  /** Why the chain takes no messages while its ledger's disk is full, or undefined when it takes them. */
  pausedBy(): Error | undefined {
    return this.paused;
  }

  errored(): AbortSignal {
    return this.abort.signal;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.kick();
  }

  async halt(): Promise<void> {
    if (!this.abort.signal.aborted) {
      this.abort.abort(new OrdererError('ORDERER_HALTED', `chain ${this.support.channelId} was halted`, { channel: this.support.channelId }));
    }
    this.stopTimer();
    await this.pumping;
    await this.wal.close();
  }

  private async accept(type: 'normal' | 'config', env: Envelope, configSeq: number): Promise<void> {
    const signal = this.abort.signal;
    if (signal.aborted) throw signal.reason as Error;
    // Accepted now, they would only wait in memory behind a block that cannot be written.
    if (this.paused !== undefined) throw this.pausedError(this.paused);
    if (this.events.length - this.head + this.appending >= this.options.maxQueued) {
      throw new OrdererError('ORDERER_BUSY', `chain ${this.support.channelId} has ${this.options.maxQueued} messages queued; retry later`, {
        channel: this.support.channelId,
      });
    }
    const index = this.nextIndex++;
    // Queued only once its WAL record is durable: a message whose record could not be written is
    // refused (SERVICE_UNAVAILABLE) and must never reach a block, or a client resubmitting it as a
    // new transaction would have it applied twice. The WAL completes appends in index order, so
    // the queue keeps arrival order.
    this.appending++;
    try {
      await this.wal.append({ index, kind: type, configSeq, envelope: envelopeBytes(env) });
    } finally {
      this.appending--;
    }
    this.events.push({ type, env, configSeq, index });
    this.kick();
  }

  private pausedError(cause: Error): OrdererError {
    return new OrdererError('ORDERER_BUSY', `chain ${this.support.channelId} is paused: ${cause.message}; it resumes by itself once space is freed`, {
      channel: this.support.channelId,
    }, { cause });
  }

  /**
   * Writes a block, retrying the same block with backoff while the ledger's disk is full (Fabric's
   * orderer panics there and recovers when restarted): the chain resumes by itself once space is
   * freed. The writer's store rejects a failed append whole, so the retry appends the same block.
   */
  private writeRetrying(write: () => Promise<void>, blockNum: number): Promise<void> {
    return retryWhileDiskFull(write, {
      signal: this.abort.signal,
      delaysMs: this.options.diskFullDelaysMs,
      onPause: (err) => {
        this.paused = err;
        this.logger.error({ channel: this.support.channelId, block: blockNum, err }, 'block write failed: the disk is full; retrying the same block with backoff (1 s doubling to 30 s) and refusing new messages until space is freed');
      },
      onResume: () => {
        this.paused = undefined;
        this.logger.info({ channel: this.support.channelId, block: blockNum }, 'block written after the disk was full; the chain takes messages again');
      },
    });
  }

  private kick(): void {
    if (!this.started || this.pumping !== undefined || this.abort.signal.aborted) return;
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined;
      if (this.head < this.events.length) this.kick();
    });
  }

  private async pump(): Promise<void> {
    try {
      while (this.head < this.events.length && !this.abort.signal.aborted) {
        const event = this.events[this.head]!;
        this.events[this.head++] = undefined as unknown as Event;
        if (this.head > 4096 && this.head * 2 > this.events.length) {
          this.events.splice(0, this.head);
          this.head = 0;
        }
        if (event.type === 'timeout') await this.onTimeout(event.generation);
        else if (event.type === 'normal') await this.onNormal(event.env, event.configSeq, event.index);
        else await this.onConfig(event.env, event.configSeq, event.index);
      }
    } catch (err) {
      this.logger.error({ channel: this.support.channelId, err }, 'solo chain stopped: block write failed');
      if (!this.abort.signal.aborted) {
        this.abort.abort(
          new OrdererError('ORDERER_CHAIN_FAILED', `chain ${this.support.channelId} failed: ${(err as Error).message}`, {
            channel: this.support.channelId,
          }, { cause: err }),
        );
      }
      this.stopTimer();
    }
  }

  private async onNormal(env: Envelope, configSeq: number, index: number): Promise<void> {
    if (configSeq < this.support.sequence()) {
      try {
        this.support.processNormalMsg(env);
      } catch (err) {
        this.logger.warn({ channel: this.support.channelId, err: (err as Error).message }, 'discarding bad normal message');
        this.lastProcessedIndex = index;
        return;
      }
    }
    this.cutterIndexes.push(index);
    this.lastProcessedIndex = index;
    const { batches, pending } = this.support.blockCutter().ordered(env);
    for (const batch of batches) await this.writeBatch(batch);
    if (this.timer !== undefined && !pending) this.stopTimer();
    else if (this.timer === undefined && pending) this.startTimer();
  }

  private async onConfig(env: Envelope, configSeq: number, index: number): Promise<void> {
    let configEnv = env;
    if (configSeq < this.support.sequence()) {
      try {
        configEnv = this.support.processConfigMsg(env).config;
      } catch (err) {
        this.logger.warn({ channel: this.support.channelId, err: (err as Error).message }, 'discarding bad config message');
        this.lastProcessedIndex = index;
        return;
      }
    }
    const batch = this.support.blockCutter().cut();
    if (batch.length > 0) await this.writeBatch(batch);
    this.lastProcessedIndex = index;
    const block = this.support.createNextBlock([configEnv]);
    const metadata = encodeSoloMetadata(index);
    // The config applies once, on the first try; a retry only appends (the writer keeps the block
    // as the last config block).
    let write = () => this.support.writeConfigBlock(block, metadata);
    await this.writeRetrying(() => {
      const attempt = write();
      write = () => this.support.writeBlock(block, metadata);
      return attempt;
    }, block.getHeader()!.getNumber());
    this.stopTimer();
    this.maybeTruncate();
  }

  private async onTimeout(generation: number): Promise<void> {
    if (generation !== this.timerGeneration || this.timer === undefined) return;
    this.timer = undefined;
    const batch = this.support.blockCutter().cut();
    if (batch.length === 0) return;
    await this.writeBatch(batch);
  }

  private async writeBatch(batch: readonly Envelope[]): Promise<void> {
    const indexes = this.cutterIndexes.splice(0, batch.length);
    const block = this.support.createNextBlock(batch);
    const metadata = encodeSoloMetadata(indexes[indexes.length - 1]!);
    await this.writeRetrying(() => this.support.writeBlock(block, metadata), block.getHeader()!.getNumber());
    this.maybeTruncate();
  }

  private maybeTruncate(): void {
    if (this.cutterIndexes.length === 0 && this.wal.bytes >= this.options.walTruncateBytes) {
      this.wal.requestTruncate(this.lastProcessedIndex);
    }
  }

  private startTimer(): void {
    const generation = ++this.timerGeneration;
    this.timer = setTimeout(() => {
      this.events.push({ type: 'timeout', generation });
      this.kick();
    }, this.support.sharedConfig().batchTimeoutMs);
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerGeneration++;
  }
}
