import { HeaderType } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { Counter, type Registry } from 'prom-client';
import { type HistogramChild, HotPathHistogram } from '../node/operations/hot-path-histogram';
import { statusName } from '../protocol/status-name';

const HEADER_TYPE_NAMES = new Map(Object.entries(HeaderType).map(([name, value]) => [value, name]));
/** Fabric's `MetricsTracker` label for a channel and type it could not read. */
const UNKNOWN_LABEL = 'unknown';

/**
 * The steps of one envelope's Broadcast handling, as Fabric's broadcast `MetricsTracker` splits
 * them: `validate` (parsing, signature and policy checks, replay check), `ready` (the chain's
 * `waitReady`), `queued` (waiting for the envelope before it on the same stream to reach the chain:
 * Fabric handles a stream one message at a time, so this wait counts in neither histogram) and
 * `enqueue` (the chain's `order`/`configure` until it has taken the envelope).
 */
export type BroadcastPhase = 'validate' | 'ready' | 'queued' | 'enqueue';

/** Times one envelope through Broadcast; obtained from {@link BroadcastObserver.begin}. */
export interface BroadcastTracker {
  /** The handler moved on to `phase`; the time since the previous call counts towards the previous phase. */
  enter(phase: BroadcastPhase): void;
  /**
   * Called exactly once, with the answer. `channel` is '' unless the orderer serves it, and
   * `headerType` undefined unless the envelope's channel header parsed.
   */
  end(channel: string, headerType: number | undefined, status: number): void;
}

/** What Broadcast reports about each envelope it answers. */
export interface BroadcastObserver {
  /** Called by the broadcast handler once per envelope, as it starts on it (the `validate` phase). */
  begin(): BroadcastTracker;
}

interface BroadcastChildren {
  readonly processed: Counter.Internal;
  readonly validate: HistogramChild;
  readonly enqueue: HistogramChild;
}

/**
 * Fabric's broadcast metrics (`orderer/common/broadcast/metrics.go`): envelopes processed, and the
 * time spent validating and enqueueing each, labelled with the answer's `common.Status` name, the
 * channel and the header type's name; 'unknown' for both, as Fabric's `MetricsTracker`, when the
 * channel header does not parse. Unlike Fabric, a channel the orderer does not serve is 'unknown'
 * too, and a header type with no name UNKNOWN (Fabric writes either as the client sent it), so
 * clients cannot mint label values.
 */
export class BroadcastMetrics implements BroadcastObserver {
  private readonly processed: Counter<'channel' | 'type' | 'status'>;
  private readonly validateDuration: HotPathHistogram;
  private readonly enqueueDuration: HotPathHistogram;
  /**
   * Label children by channel, type name and status, made once: prom-client's `labels()` rebuilds
   * them on every call, and its histograms hash the label set on every `observe` (see HotPathHistogram).
   */
  private readonly children = new Map<string, Map<string, Map<number, BroadcastChildren>>>();

  constructor(registry: Registry) {
    const labelNames = ['channel', 'type', 'status'] as const;
    const registers = [registry];
    this.processed = new Counter({
      name: 'broadcast_processed_count',
      help: 'The number of transactions processed.',
      labelNames,
      registers,
    });
    this.validateDuration = new HotPathHistogram('broadcast_validate_duration', 'The time to validate a transaction in seconds.', registry);
    this.enqueueDuration = new HotPathHistogram('broadcast_enqueue_duration', 'The time to enqueue a transaction in seconds.', registry);
  }

  begin(): BroadcastTracker {
    return new Tracker(this);
  }

  /** The metric children of one label set; the key space is bounded by served channels × header type names × statuses. */
  childrenOf(channel: string, headerType: number | undefined, status: number): BroadcastChildren {
    const type = headerType === undefined ? UNKNOWN_LABEL : (HEADER_TYPE_NAMES.get(headerType) ?? 'UNKNOWN');
    let byType = this.children.get(channel);
    if (byType === undefined) {
      byType = new Map();
      this.children.set(channel, byType);
    }
    let byStatus = byType.get(type);
    if (byStatus === undefined) {
      byStatus = new Map();
      byType.set(type, byStatus);
    }
    let children = byStatus.get(status);
    if (children === undefined) {
      const labels = { channel: channel === '' ? UNKNOWN_LABEL : channel, type, status: statusName(status, 'UNKNOWN') };
      children = {
        processed: this.processed.labels(labels),
        validate: this.validateDuration.child(labels),
        enqueue: this.enqueueDuration.child(labels),
      };
      byStatus.set(status, children);
    }
    return children;
  }
}

class Tracker implements BroadcastTracker {
  private phase: BroadcastPhase = 'validate';
  private since = performance.now();
  private validateMs = 0;
  private enqueueMs = 0;

  constructor(private readonly metrics: BroadcastMetrics) {}

  enter(phase: BroadcastPhase): void {
    const now = performance.now();
    this.account(now);
    this.phase = phase;
    this.since = now;
  }

  end(channel: string, headerType: number | undefined, status: number): void {
    this.account(performance.now());
    const children = this.metrics.childrenOf(channel, headerType, status);
    children.validate.observe(this.validateMs / 1000);
    // As in Fabric, enqueue time exists only for an answer the chain gave (WaitReady, Order or
    // Configure, successful or not); an envelope rejected by validation never began enqueueing.
    if (this.phase === 'ready' || this.phase === 'enqueue') children.enqueue.observe(this.enqueueMs / 1000);
    children.processed.inc();
  }

  private account(now: number): void {
    if (this.phase === 'validate') this.validateMs += now - this.since;
    else if (this.phase !== 'queued') this.enqueueMs += now - this.since;
  }
}
