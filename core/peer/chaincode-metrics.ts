import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ChaincodeMeter, RuntimeQueueMeter, ShimRequestMeter, ShimRequestType } from '../chaincode/chaincode-runtime';
import { type HistogramChild, HotPathHistogram } from '../node/operations/hot-path-histogram';

/** How loading a package into the runtime ended (Fabric's `RuntimeLauncher.Launch`). */
export type LaunchOutcome = 'success' | 'failure' | 'timeout';

type ShimLabels = 'type' | 'channel' | 'chaincode';

/**
 * One shim request type of one chaincode on one channel. Its counts are plain numbers added to the
 * prom-client counters when scraped: a counter's `inc` hashes its label set on every call (about
 * 0.5 µs, twice per host call), which a host call costing a few microseconds should not pay.
 */
class ShimRequestCell implements ShimRequestMeter {
  pendingReceived = 0;
  pendingSucceeded = 0;
  pendingFailed = 0;
  readonly succeededLabels: Readonly<Record<ShimLabels | 'success', string>>;
  readonly failedLabels: Readonly<Record<ShimLabels | 'success', string>>;

  constructor(
    readonly labels: Readonly<Record<ShimLabels, string>>,
    private readonly succeededDuration: HistogramChild,
    private readonly failedDuration: HistogramChild,
  ) {
    this.succeededLabels = { ...labels, success: 'true' };
    this.failedLabels = { ...labels, success: 'false' };
  }

  received(): void {
    this.pendingReceived++;
  }

  completed(success: boolean, seconds: number): void {
    if (success) {
      this.pendingSucceeded++;
      this.succeededDuration.observe(seconds);
    } else {
      this.pendingFailed++;
      this.failedDuration.observe(seconds);
    }
  }
}

/**
 * Seconds a queued transaction may wait for a sandbox: up to its client's deadline (the Gateway's
 * 30 s endorsement timeout, a CLI's minutes), beyond Prometheus's default 10 s top bucket.
 */
const QUEUE_WAIT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** The V8 heap a runtime's sandboxes of one installed package hold, summed over its isolates. */
export interface SandboxHeapUsage {
  readonly packageId: string;
  readonly isolates: number;
  readonly usedBytes: number;
  readonly totalBytes: number;
}

/**
 * A runtime whose sandboxes are V8 isolates of their own (isolated-vm's), whose heaps
 * `process.memoryUsage()` and the `nodejs_heap_*` metrics do not count. Packages without a loaded
 * isolate are left out.
 */
export interface SandboxHeapSource {
  sandboxHeaps(): Promise<readonly SandboxHeapUsage[]>;
}

function isSandboxHeapSource(runtime: object | undefined): runtime is SandboxHeapSource {
  return runtime !== undefined && typeof (runtime as Partial<SandboxHeapSource>).sandboxHeaps === 'function';
}

/** Both meters of one package on one channel: the executor gives the same object to the runtime for each. */
export type PackageMeter = ChaincodeMeter & RuntimeQueueMeter;

/**
 * Fabric's chaincode metrics (`core/chaincode/metrics.go`) with its names, labels and help texts:
 * launches (here: loading an installed package into the runtime), execute timeouts (the runtime's
 * time limit stopping Init or Invoke) and shim requests (the chaincode's calls into the host).
 * `chaincode` is the package ID, as Fabric labels them all with the ccid the chaincode registered
 * with; `channel` a joined channel and `type` one of a fixed set, so label values stay bounded.
 * Registered on the operations server's registry; absent when the peer has no operations endpoint.
 *
 * With them, Weft's own metrics of the wait for a sandbox (Fabric has no such queue), same labels:
 * `weft_chaincode_queued_transactions` (waiting now), `weft_chaincode_queue_wait_seconds` (from
 * queued to running, observed only for those that waited: one of a free sandbox pays nothing, and
 * zeros would bury the waits in the lowest bucket; the share that waited is its count over
 * `endorser_proposals_received`), `weft_chaincode_queue_refused_total` (queue full) and
 * `weft_chaincode_queue_cancelled_total` (client gone before a sandbox was free).
 *
 * And, for a runtime whose sandboxes are V8 isolates ({@link SandboxHeapSource}), their memory per
 * package (label `chaincode`, the package ID), read from the isolates when scraped:
 * `weft_chaincode_sandbox_heap_used_bytes`, `weft_chaincode_sandbox_heap_total_bytes` (summed over
 * the package's sandboxes) and `weft_chaincode_sandbox_isolates`. A package unloaded drops out.
 */
export class ChaincodeMetrics {
  private readonly launchDuration: Histogram<'chaincode' | 'success'>;
  private readonly launchFailures: Counter<'chaincode'>;
  private readonly launchTimeouts: Counter<'chaincode'>;
  private readonly shimRequestDuration: HotPathHistogram;
  private readonly executeTimeouts: Counter<'chaincode'>;
  private readonly queued: Gauge<'channel' | 'chaincode'>;
  private readonly queueWait: Histogram<'channel' | 'chaincode'>;
  private readonly queueRefused: Counter<'channel' | 'chaincode'>;
  private readonly queueCancelled: Counter<'channel' | 'chaincode'>;
  private readonly shimCells: ShimRequestCell[] = [];
  /** channel → package ID → meter: two lookups per invocation, no key string built. */
  private readonly meters = new Map<string, Map<string, PackageMeter>>();

  constructor(registry: Registry, runtime?: object) {
    const registers = [registry];
    const chaincode = ['chaincode'] as const;
    const shim = ['type', 'channel', 'chaincode'] as const;
    this.launchDuration = new Histogram({ name: 'chaincode_launch_duration', help: 'The time to launch a chaincode.', labelNames: ['chaincode', 'success'], registers });
    this.launchFailures = new Counter({ name: 'chaincode_launch_failures', help: 'The number of chaincode launches that have failed.', labelNames: chaincode, registers });
    this.launchTimeouts = new Counter({ name: 'chaincode_launch_timeouts', help: 'The number of chaincode launches that have timed out.', labelNames: chaincode, registers });
    const cells = this.shimCells;
    new Counter({
      name: 'chaincode_shim_requests_received',
      help: 'The number of chaincode shim requests received.',
      labelNames: shim,
      registers,
      collect(this: Counter<ShimLabels>) {
        for (const cell of cells) {
          if (cell.pendingReceived > 0) this.inc(cell.labels, cell.pendingReceived);
          cell.pendingReceived = 0;
        }
      },
    });
    new Counter({
      name: 'chaincode_shim_requests_completed',
      help: 'The number of chaincode shim requests completed.',
      labelNames: [...shim, 'success'],
      registers,
      collect(this: Counter<ShimLabels | 'success'>) {
        for (const cell of cells) {
          if (cell.pendingSucceeded > 0) this.inc(cell.succeededLabels, cell.pendingSucceeded);
          if (cell.pendingFailed > 0) this.inc(cell.failedLabels, cell.pendingFailed);
          cell.pendingSucceeded = cell.pendingFailed = 0;
        }
      },
    });
    this.shimRequestDuration = new HotPathHistogram('chaincode_shim_request_duration', 'The time to complete chaincode shim requests.', registry);
    this.executeTimeouts = new Counter({
      name: 'chaincode_execute_timeouts',
      help: 'The number of chaincode executions (Init or Invoke) that have timed out.',
      labelNames: chaincode,
      registers,
    });
    const queue = ['channel', 'chaincode'] as const;
    this.queued = new Gauge({ name: 'weft_chaincode_queued_transactions', help: "Transactions waiting for one of the chaincode's sandboxes (Weft).", labelNames: queue, registers });
    this.queueWait = new Histogram({
      name: 'weft_chaincode_queue_wait_seconds',
      help: 'The time a transaction waited for a sandbox of its chaincode, from queued to running; only those that waited (Weft).',
      labelNames: queue,
      buckets: QUEUE_WAIT_BUCKETS,
      registers,
    });
    this.queueRefused = new Counter({
      name: 'weft_chaincode_queue_refused_total',
      help: "Transactions refused unrun because the chaincode's queue was full (runtime option queuedPerChaincode) (Weft).",
      labelNames: queue,
      registers,
    });
    this.queueCancelled = new Counter({
      name: 'weft_chaincode_queue_cancelled_total',
      help: 'Transactions dropped unrun because their client gave up before a sandbox was free (Weft).',
      labelNames: queue,
      registers,
    });
    if (isSandboxHeapSource(runtime)) registerSandboxHeapGauges(registry, runtime);
  }

  /**
   * The meter the executor hands to every invocation of package `chaincode` on `channel`; created
   * on first use and kept, with its label children, for the peer's lifetime.
   */
  meter(channel: string, chaincode: string): PackageMeter {
    let byPackage = this.meters.get(channel);
    if (byPackage === undefined) this.meters.set(channel, (byPackage = new Map()));
    let meter = byPackage.get(chaincode);
    if (meter === undefined) byPackage.set(chaincode, (meter = this.newMeter(channel, chaincode)));
    return meter;
  }

  /**
   * One load of a package into the runtime. As Fabric's launcher does, the duration is observed
   * whatever the outcome, and a failure or a timeout is also counted on its own (never both).
   */
  launched(chaincode: string, seconds: number, outcome: LaunchOutcome): void {
    this.launchDuration.observe({ chaincode, success: String(outcome === 'success') }, seconds);
    if (outcome === 'failure') this.launchFailures.inc({ chaincode });
    else if (outcome === 'timeout') this.launchTimeouts.inc({ chaincode });
  }

  private newMeter(channel: string, chaincode: string): PackageMeter {
    const byType = new Map<ShimRequestType, ShimRequestMeter>();
    const executeTimeouts = this.executeTimeouts.labels(chaincode);
    // Children made once, so that every series shows from the package's first invocation (0 until it waits).
    const queued = this.queued.labels(channel, chaincode);
    const queueWait = this.queueWait.labels(channel, chaincode);
    const refused = this.queueRefused.labels(channel, chaincode);
    const cancelled = this.queueCancelled.labels(channel, chaincode);
    queued.set(0);
    refused.inc(0);
    cancelled.inc(0);
    return {
      queued: () => queued.inc(),
      left: (seconds, ran) => {
        queued.dec();
        if (ran) queueWait.observe(seconds);
      },
      refused: () => refused.inc(),
      cancelled: () => cancelled.inc(),
      shimRequest: (type) => {
        let m = byType.get(type);
        if (m === undefined) byType.set(type, (m = this.newShimRequestMeter(type, channel, chaincode)));
        return m;
      },
      executeTimeout: () => executeTimeouts.inc(),
    };
  }

  private newShimRequestMeter(type: ShimRequestType, channel: string, chaincode: string): ShimRequestMeter {
    const labels = { type, channel, chaincode };
    const cell = new ShimRequestCell(
      labels,
      this.shimRequestDuration.child({ ...labels, success: 'true' }),
      this.shimRequestDuration.child({ ...labels, success: 'false' }),
    );
    this.shimCells.push(cell);
    return cell;
  }
}

/**
 * The sandbox heap gauges. One scrape reads the isolates once: prom-client collects the three
 * gauges side by side, so each awaits the read already under way.
 */
function registerSandboxHeapGauges(registry: Registry, source: SandboxHeapSource): void {
  let reading: Promise<readonly SandboxHeapUsage[]> | undefined;
  const read = (): Promise<readonly SandboxHeapUsage[]> =>
    (reading ??= source.sandboxHeaps().finally(() => {
      reading = undefined;
    }));
  const gauge = (name: string, help: string, value: (usage: SandboxHeapUsage) => number): void => {
    new Gauge({
      name,
      help,
      labelNames: ['chaincode'],
      registers: [registry],
      async collect(this: Gauge<'chaincode'>) {
        const usages = await read();
        // Reset first: a package unloaded or uninstalled since the last scrape leaves no stale series.
        this.reset();
        for (const usage of usages) this.set({ chaincode: usage.packageId }, value(usage));
      },
    });
  };
  gauge('weft_chaincode_sandbox_heap_used_bytes', "V8 heap used by the chaincode package's sandboxes (isolates), summed (Weft).", (u) => u.usedBytes);
  gauge('weft_chaincode_sandbox_heap_total_bytes', "V8 heap reserved by the chaincode package's sandboxes (isolates), summed (Weft).", (u) => u.totalBytes);
  gauge('weft_chaincode_sandbox_isolates', 'Isolates the chaincode package holds in memory now (Weft).', (u) => u.isolates);
}
