import { Counter, Histogram, type Registry } from 'prom-client';
import type { ChaincodeMeter, ShimRequestMeter, ShimRequestType } from '../chaincode/chaincode-runtime';
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
 * Fabric's chaincode metrics (`core/chaincode/metrics.go`) with its names, labels and help texts:
 * launches (here: loading an installed package into the runtime), execute timeouts (the runtime's
 * time limit stopping Init or Invoke) and shim requests (the chaincode's calls into the host).
 * `chaincode` is the package ID, as Fabric labels them all with the ccid the chaincode registered
 * with; `channel` a joined channel and `type` one of a fixed set, so label values stay bounded.
 * Registered on the operations server's registry; absent when the peer has no operations endpoint.
 */
export class ChaincodeMetrics {
  private readonly launchDuration: Histogram<'chaincode' | 'success'>;
  private readonly launchFailures: Counter<'chaincode'>;
  private readonly launchTimeouts: Counter<'chaincode'>;
  private readonly shimRequestDuration: HotPathHistogram;
  private readonly executeTimeouts: Counter<'chaincode'>;
  private readonly shimCells: ShimRequestCell[] = [];
  /** channel → package ID → meter: two lookups per invocation, no key string built. */
  private readonly meters = new Map<string, Map<string, ChaincodeMeter>>();

  constructor(registry: Registry) {
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
  }

  /**
   * The meter the executor hands to every invocation of package `chaincode` on `channel`; created
   * on first use and kept, with its label children, for the peer's lifetime.
   */
  meter(channel: string, chaincode: string): ChaincodeMeter {
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

  private newMeter(channel: string, chaincode: string): ChaincodeMeter {
    const byType = new Map<ShimRequestType, ShimRequestMeter>();
    const executeTimeouts = this.executeTimeouts.labels(chaincode);
    return {
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
