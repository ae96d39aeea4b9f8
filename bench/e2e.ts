/**
 * End-to-end throughput and cost: closed-loop clients drive the 2-org network of real Weft
 * processes (one solo orderer, one peer per org, TLS, MAJORITY endorsement) through the official
 * `@hyperledger/fabric-gateway` client, as Caliper would drive Fabric. Server CPU is read from
 * `/proc` for every Weft process and divided by committed transactions or answered queries.
 *
 * Each measurement follows a warm-up under the same load: a peer is a long-running process, and the
 * figures are its steady state. V8 optimizes a function with TurboFan after about 3,000 calls, so at
 * ~160 tx/s the per-transaction code paths are compiled 20–40 s into the load: 10 s windows of the
 * submit load cost about 4.7, 3.6, 3.2, 3.1 and then 2.9–3.0 ms of server CPU per transaction, and
 * `--trace-opt` shows the gateway peer spending ~0.65 s per 10 s window in TurboFan until about 40 s.
 * So submits warm up for WEFT_BENCH_WARMUP_SECONDS (default 45); queries, at ~600/s, for 20 s; the
 * BatchTimeout 2 s network reports only its latency-bound throughput and warms up for 10 s. The
 * warm-up's own cost is reported beside the steady-state figure, not hidden.
 *
 * Knobs (environment): WEFT_BENCH_CONCURRENCY (default 64 clients), WEFT_BENCH_SECONDS (20);
 * WEFT_CPU_PROF=<dir> makes every node write a V8 .cpuprofile there on exit, and WEFT_NODE_FLAGS adds
 * Node flags to every node (e.g. `--perf-basic-prof` for `perf`), both in test/e2e/weft-process.ts.
 */
import type { Gateway } from '@hyperledger/fabric-gateway';
import { CHANNEL, gatewayFor } from '../test/integration/peer/network-fixture';
import { type ProcessNetwork, startProcessNetwork } from '../test/e2e/process-network';
import type { BenchMetric } from './harness';
import { round } from './harness';

const CONCURRENCY = Number(process.env.WEFT_BENCH_CONCURRENCY ?? 64);
const SECONDS = Number(process.env.WEFT_BENCH_SECONDS ?? 20);
const WARMUP_SECONDS = Number(process.env.WEFT_BENCH_WARMUP_SECONDS ?? 45);
const QUERY_WARMUP_SECONDS = 20;
const LATENCY_BOUND_WARMUP_SECONDS = 10;

interface LoadResult {
  readonly ok: number;
  readonly failed: number;
  readonly latenciesMs: number[];
  readonly wallMs: number;
  readonly serverCpuMs: number;
  /** CPU ms of the orderer, the gateway peer and the other peer, in that order. */
  readonly cpuMsByProcess: readonly number[];
  /** The warm-up's successful operations and server CPU, reported apart from the measurement. */
  readonly warmup: { readonly ok: number; readonly serverCpuMs: number };
}

function cpuMsByProcess(net: ProcessNetwork): number[] {
  return [net.orderer, ...net.peers].map((p) => p.cpuMs());
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** `concurrency` closed-loop workers run `op` until `endAt` (ms since the epoch); latencies of successes. */
async function drive(op: (worker: number, n: number) => Promise<void>, endAt: number, concurrency: number, firstN: number): Promise<{ ok: number; failed: number; latenciesMs: number[] }> {
  const latenciesMs: number[] = [];
  let ok = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let n = firstN; Date.now() < endAt; n++) {
        const t0 = performance.now();
        try {
          await op(w, n);
          ok++;
          latenciesMs.push(performance.now() - t0);
        } catch {
          failed++;
        }
      }
    }),
  );
  return { ok, failed, latenciesMs };
}

/** Runs `op` from {@link CONCURRENCY} closed-loop workers: `warmupSeconds` of warm-up, then `seconds` measured. */
async function closedLoop(
  net: ProcessNetwork,
  op: (worker: number, n: number) => Promise<void>,
  { seconds, warmupSeconds }: { seconds: number; warmupSeconds: number },
): Promise<LoadResult> {
  const warmCpu0 = cpuMsByProcess(net);
  // Negative operation numbers keep the warm-up's keys apart from the measured ones.
  const warm = await drive(op, Date.now() + warmupSeconds * 1000, CONCURRENCY, -1_000_000_000);
  const cpu0 = cpuMsByProcess(net);
  const start = performance.now();
  const { ok, failed, latenciesMs } = await drive(op, Date.now() + seconds * 1000, CONCURRENCY, 0);
  const wallMs = performance.now() - start;
  const byProcess = cpuMsByProcess(net).map((ms, i) => ms - cpu0[i]);
  const warmupCpuMs = cpu0.reduce((a, ms, i) => a + ms - warmCpu0[i], 0);
  return {
    ok,
    failed,
    latenciesMs: latenciesMs.sort((a, b) => a - b),
    wallMs,
    serverCpuMs: byProcess.reduce((a, b) => a + b, 0),
    cpuMsByProcess: byProcess,
    warmup: { ok: warm.ok, serverCpuMs: warmupCpuMs },
  };
}

async function withNetwork<T>(batchTimeout: string, fn: (net: ProcessNetwork, gateway: Gateway) => Promise<T>): Promise<T> {
  const net = await startProcessNetwork({ batchTimeout });
  const client = net.client(0);
  const gateway = gatewayFor(net.m.orgs[0], client);
  try {
    return await fn(net, gateway);
  } finally {
    gateway.close();
    client.close();
    await net.stop();
  }
}

export default async function run(): Promise<BenchMetric[]> {
  const metrics: BenchMetric[] = [];
  await withNetwork('250ms', async (net, gateway) => {
    const contract = gateway.getNetwork(CHANNEL).getContract('kv');
    const submit = await closedLoop(net, (w, n) => contract.submitTransaction('Put', `w${w}-${n}`, `value-${w}-${n}`).then(() => undefined), {
      seconds: SECONDS,
      warmupSeconds: WARMUP_SECONDS,
    });
    metrics.push(
      { name: 'submit_tps', value: round((submit.ok * 1000) / submit.wallMs, 1), unit: 'tx/s' },
      { name: 'submit_p50_ms', value: round(percentile(submit.latenciesMs, 50), 1), unit: 'ms' },
      { name: 'submit_p95_ms', value: round(percentile(submit.latenciesMs, 95), 1), unit: 'ms' },
      { name: 'submit_p99_ms', value: round(percentile(submit.latenciesMs, 99), 1), unit: 'ms' },
      { name: 'server_cpu_ms_per_tx', value: round(submit.serverCpuMs / Math.max(1, submit.ok), 3), unit: 'ms' },
      ...['orderer', 'gateway_peer', 'other_peer'].map((who, i) => ({
        name: `server_cpu_ms_per_tx_${who}`,
        value: round(submit.cpuMsByProcess[i] / Math.max(1, submit.ok), 3),
        unit: 'ms',
      })),
      { name: 'submit_failed', value: submit.failed, unit: 'tx' },
      {
        name: 'server_cpu_ms_per_tx_warmup',
        value: round(submit.warmup.serverCpuMs / Math.max(1, submit.warmup.ok), 3),
        unit: `ms (the first ${WARMUP_SECONDS} s under load, not in the figures above)`,
      },
    );
    await contract.submitTransaction('Put', 'query-key', 'query-value');
    const query = await closedLoop(net, () => contract.evaluateTransaction('Get', 'query-key').then(() => undefined), {
      seconds: SECONDS,
      warmupSeconds: QUERY_WARMUP_SECONDS,
    });
    metrics.push(
      { name: 'query_per_s', value: round((query.ok * 1000) / query.wallMs, 1), unit: 'q/s' },
      { name: 'server_cpu_ms_per_query', value: round(query.serverCpuMs / Math.max(1, query.ok), 3), unit: 'ms' },
    );
  });
  await withNetwork('2s', async (net, gateway) => {
    const contract = gateway.getNetwork(CHANNEL).getContract('kv');
    const submit = await closedLoop(net, (w, n) => contract.submitTransaction('Put', `w${w}-${n}`, `value-${w}-${n}`).then(() => undefined), {
      seconds: SECONDS,
      warmupSeconds: LATENCY_BOUND_WARMUP_SECONDS,
    });
    metrics.push({ name: 'submit_tps_2s', value: round((submit.ok * 1000) / submit.wallMs, 1), unit: 'tx/s' });
  });
  return metrics;
}
