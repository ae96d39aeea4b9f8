/**
 * The benchmark harness: every suite in `bench/<suite>.ts` default-exports a `run()` that returns
 * its metrics; `npm run bench -- <suite>` prints them as a table and writes
 * `bench/results/<suite>.json`. Numbers live here, never in test assertions.
 */
import * as os from 'node:os';

export interface BenchMetric {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
}

export interface BenchResult {
  readonly suite: string;
  readonly date: string;
  readonly node: string;
  readonly cpus: number;
  readonly metrics: readonly BenchMetric[];
}

export type BenchSuite = () => Promise<BenchMetric[]>;

export interface Rate {
  /** Operations per wall-clock second. */
  readonly perSecond: number;
  /** Operations per second of this process's own CPU time (robust on a shared machine). */
  readonly perCpuSecond: number;
  readonly operations: number;
  readonly wallMs: number;
}

/**
 * Runs `op` repeatedly for about `seconds` after a short warm-up and reports its rate. `op` may do
 * a batch of `batch` operations per call so cheap operations are not dominated by loop overhead.
 */
export function measure(op: () => void, options: { seconds?: number; warmupSeconds?: number; batch?: number } = {}): Rate {
  const { seconds = 1.5, warmupSeconds = 0.3, batch = 1 } = options;
  const warmupEnd = performance.now() + warmupSeconds * 1000;
  while (performance.now() < warmupEnd) op();
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const end = start + seconds * 1000;
  let calls = 0;
  while (performance.now() < end) {
    op();
    calls++;
  }
  const wallMs = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const operations = calls * batch;
  return { perSecond: (operations * 1000) / wallMs, perCpuSecond: (operations * 1000) / Math.max(cpuMs, 1e-3), operations, wallMs };
}

/** The async form of {@link measure}, for operations that await. */
export async function measureAsync(
  op: () => Promise<void>,
  options: { seconds?: number; warmupSeconds?: number; batch?: number } = {},
): Promise<Rate> {
  const { seconds = 1.5, warmupSeconds = 0.3, batch = 1 } = options;
  const warmupEnd = performance.now() + warmupSeconds * 1000;
  while (performance.now() < warmupEnd) await op();
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const end = start + seconds * 1000;
  let calls = 0;
  while (performance.now() < end) {
    await op();
    calls++;
  }
  const wallMs = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const operations = calls * batch;
  return { perSecond: (operations * 1000) / wallMs, perCpuSecond: (operations * 1000) / Math.max(cpuMs, 1e-3), operations, wallMs };
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function resultOf(suite: string, metrics: readonly BenchMetric[]): BenchResult {
  return { suite, date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, metrics };
}

export function formatTable(result: BenchResult): string {
  const nameWidth = Math.max(6, ...result.metrics.map((m) => m.name.length));
  const valueWidth = Math.max(5, ...result.metrics.map((m) => formatValue(m.value).length));
  const lines = [
    `${result.suite} — ${result.date} — node ${result.node}, ${result.cpus} cpus`,
    `${'metric'.padEnd(nameWidth)}  ${'value'.padStart(valueWidth)}  unit`,
    `${'-'.repeat(nameWidth)}  ${'-'.repeat(valueWidth)}  ----`,
    ...result.metrics.map((m) => `${m.name.padEnd(nameWidth)}  ${formatValue(m.value).padStart(valueWidth)}  ${m.unit}`),
  ];
  return lines.join('\n');
}

function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  return String(round(value, 3));
}
