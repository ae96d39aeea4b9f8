import { Histogram, type Registry } from 'prom-client';

/** Where one channel's durations go (a histogram's label child), in seconds. */
export interface DurationObserver {
  observe(seconds: number): void;
}

/** Runs `fn`, observing its duration even when it throws (as Fabric's `BlockStore.AddBlock` does); no clock read without an observer. */
export function timed<T>(observer: DurationObserver | undefined, fn: () => T): T {
  if (observer === undefined) return fn();
  const start = performance.now();
  try {
    return fn();
  } finally {
    observer.observe((performance.now() - start) / 1000);
  }
}

/**
 * Fabric's per-channel orderer metrics kept on the block path: the block cutter's fill time
 * (`orderer/common/blockcutter/metrics.go`) and the block store's commit time
 * (`common/ledger/blkstorage/metrics.go`). Each channel takes its label children once, when it opens.
 */
export class ChannelMetrics {
  private readonly blockFillDuration: Histogram<'channel'>;
  private readonly commitTime: Histogram<'channel'>;

  constructor(registry: Registry) {
    this.blockFillDuration = new Histogram({
      name: 'blockcutter_block_fill_duration',
      help: 'The time from first transaction enqueuing to the block being cut in seconds.',
      labelNames: ['channel'],
      registers: [registry],
    });
    this.commitTime = new Histogram({
      name: 'ledger_blockstorage_commit_time',
      help: 'Time taken in seconds for committing the block to storage.',
      labelNames: ['channel'],
      buckets: [0.005, 0.01, 0.015, 0.05, 0.1, 1, 10],
      registers: [registry],
    });
  }

  /** The block cutter's observer for `channel`: one observation per batch cut with messages. */
  blockFill(channel: string): DurationObserver {
    return this.blockFillDuration.labels(channel);
  }

  /** The block store's observer for `channel`: one observation per block appended. */
  blockStorageCommit(channel: string): DurationObserver {
    return this.commitTime.labels(channel);
  }
}
