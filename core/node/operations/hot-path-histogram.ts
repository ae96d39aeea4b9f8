import type { Metric, Registry } from 'prom-client';

/** Prometheus's default buckets: prom-client's and Fabric's (`prometheus.DefBuckets`) alike. */
export const DEFAULT_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** One exported sample, in the shape prom-client's registry formats. */
interface Sample {
  readonly metricName: string;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
}

/** The observations of one label set. */
export interface HistogramChild {
  observe(value: number): void;
}

class Cell implements HistogramChild {
  /** Per bucket, not cumulative; the last slot counts values above every bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]) i++;
    this.counts[i]++;
    this.sum += value;
    this.count++;
  }
}

/**
 * A labelled histogram for calls made several times per transaction, exported by a prom-client
 * registry with the same samples as a prom-client `Histogram`. prom-client's `observe` (a `labels()` child's
 * too) validates and hashes the label set on every call, about 0.8 µs; a child here is a plain
 * array, observed in tens of nanoseconds, and the samples are built only when scraped. A label set
 * appears once it has an observation, as with prom-client.
 */
export class HotPathHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly cells: Cell[] = [];

  constructor(
    readonly name: string,
    readonly help: string,
    registry: Registry,
    private readonly buckets: readonly number[] = DEFAULT_BUCKETS,
  ) {
    // The registry reads a metric through `get()` alone; its type only lists prom-client's classes.
    registry.registerMetric(this as unknown as Metric);
  }

  /** The child of one label set: call once per label set and keep it (each call adds a child). */
  child(labels: Readonly<Record<string, string>>): HistogramChild {
    const cell = new Cell(labels, this.buckets);
    this.cells.push(cell);
    return cell;
  }

  /** Called by the registry on each scrape. */
  async get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: Sample[] }> {
    const values: Sample[] = [];
    const bucket = `${this.name}_bucket`;
    for (const cell of this.cells) {
      if (cell.count === 0) continue;
      let cumulative = 0;
      this.buckets.forEach((le, i) => {
        cumulative += cell.counts[i];
        values.push({ metricName: bucket, labels: { ...cell.labels, le }, value: cumulative });
      });
      values.push({ metricName: bucket, labels: { ...cell.labels, le: '+Inf' }, value: cell.count });
      values.push({ metricName: `${this.name}_sum`, labels: cell.labels, value: cell.sum });
      values.push({ metricName: `${this.name}_count`, labels: cell.labels, value: cell.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** `registry.resetMetrics()`: every label set starts again from zero. */
  reset(): void {
    for (const cell of this.cells) {
      cell.counts.fill(0);
      cell.sum = 0;
      cell.count = 0;
    }
  }
}
