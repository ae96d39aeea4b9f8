import type { Envelope } from '@hyperledger/fabric-protos/lib/common/common_pb';
import type { DurationObserver } from './channel-metrics';

/** The channel's `BatchSize` config value, as Fabric's `orderer.BatchSize`. */
export interface BatchSize {
  /** A batch is cut when it holds this many messages. */
  readonly maxMessageCount: number;
  /** No envelope larger than this (payload + signature) is accepted at all. */
  readonly absoluteMaxBytes: number;
  /** Batches aim to stay under this size; a larger message is ordered alone in its own batch. */
  readonly preferredMaxBytes: number;
}

/**
 * Fabric's block cutter (`orderer/common/blockcutter`): turns a stream of ordered envelopes into
 * batches. It holds no timer; the chain starts a `BatchTimeout` timer when `ordered` reports a
 * pending batch and calls `cut` when it fires. Not thread-safe in Fabric either: one chain loop
 * owns it.
 */
export interface BlockCutter {
  /**
   * Appends a message in order. Returns the batches cut by this message (zero, one or two) and
   * whether messages are left pending afterwards (the chain's cue to start or stop its timer).
   */
  ordered(env: Envelope): { batches: Envelope[][]; pending: boolean };
  /** Cuts and returns the pending batch (empty when nothing is pending). */
  cut(): Envelope[];
  /** Number of messages pending. */
  readonly pendingCount: number;
}

/** Fabric's `messageSizeBytes`: the envelope's payload plus signature length. */
export function messageSizeBytes(env: Envelope): number {
  return env.getPayload_asU8().length + env.getSignature_asU8().length;
}

/**
 * Fabric's receiver. Batch parameters are read on every message through `batchSize()`, so a
 * config block changing BatchSize takes effect for the next message, as in Fabric. With `fill`,
 * every batch cut with messages is observed as Fabric's `blockcutter_block_fill_duration`: the time
 * since its first message was ordered (0 for an oversized message batched alone).
 */
export class BlockCutterImpl implements BlockCutter {
  private pendingBatch: Envelope[] = [];
  private pendingBatchSizeBytes = 0;
  /** `performance.now()` when the pending batch got its first message; kept only with `fill`. */
  private pendingSince = 0;

  constructor(
    private readonly batchSize: () => BatchSize,
    private readonly fill?: DurationObserver,
  ) {}

  get pendingCount(): number {
    return this.pendingBatch.length;
  }

  ordered(env: Envelope): { batches: Envelope[][]; pending: boolean } {
    if (this.fill !== undefined && this.pendingBatch.length === 0) this.pendingSince = performance.now();
    const batchSize = this.batchSize();
    const batches: Envelope[][] = [];
    const size = messageSizeBytes(env);

    if (size > batchSize.preferredMaxBytes) {
      // Oversized: the pending batch goes first, then this message alone.
      if (this.pendingBatch.length > 0) batches.push(this.cut());
      batches.push([env]);
      this.fill?.observe(0);
      return { batches, pending: false };
    }

    if (this.pendingBatchSizeBytes + size > batchSize.preferredMaxBytes) {
      batches.push(this.cut());
      if (this.fill !== undefined) this.pendingSince = performance.now();
    }

    this.pendingBatch.push(env);
    this.pendingBatchSizeBytes += size;
    let pending = true;

    if (this.pendingBatch.length >= batchSize.maxMessageCount) {
      batches.push(this.cut());
      pending = false;
    }
    return { batches, pending };
  }

  cut(): Envelope[] {
    if (this.fill !== undefined && this.pendingBatch.length > 0) this.fill.observe((performance.now() - this.pendingSince) / 1000);
    const batch = this.pendingBatch;
    this.pendingBatch = [];
    this.pendingBatchSizeBytes = 0;
    return batch;
  }
}
