/**
 * End-to-end throughput and cost: closed-loop clients drive the 2-org network of real Weft
 * processes (one solo orderer, one peer per org, TLS, MAJORITY endorsement) through the official
 * `@hyperledger/fabric-gateway` client, as Caliper would drive Fabric. Server CPU is read from
 * `/proc` for every Weft process and divided by committed transactions or answered queries.
 *
 * Knobs (environment): WEFT_BENCH_CONCURRENCY (default 64 clients), WEFT_BENCH_SECONDS (10);
 * WEFT_CPU_PROF=<dir> makes every node write a V8 .cpuprofile there on exit (test/e2e/weft-process.ts).
 */
import type { Gateway } from '@hyperledger/fabric-gateway';
import { CHANNEL, gatewayFor } from '../test/integration/peer/network-fixture';
import { type ProcessNetwork, startProcessNetwork } from '../test/e2e/process-network';
import type { BenchMetric } from './harness';
import { round } from './harness';

const CONCURRENCY = Number(process.env.WEFT_BENCH_CONCURRENCY ?? 64);
const SECONDS = Number(process.env.WEFT_BENCH_SECONDS ?? 10);

interface LoadResult {
  readonly ok: number;
  readonly failed: number;
  readonly latenciesMs: number[];
  readonly wallMs: number;
  readonly serverCpuMs: number;
  /** CPU ms of the orderer, the gateway peer and the other peer, in that order. */
  readonly cpuMsByProcess: readonly number[];
}

function cpuMsByProcess(net: ProcessNetwork): number[] {
  return [net.orderer, ...net.peers].map((p) => p.cpuMs());
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Runs `op` from `concurrency` closed-loop workers for `seconds` (after a 1 s warm-up). */
async function closedLoop(net: ProcessNetwork, op: (worker: number, n: number) => Promise<void>, seconds: number, concurrency: number): Promise<LoadResult> {
  const warmupEnd = Date.now() + 1000;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, 8) }, async (_, w) => {
      for (let n = 0; Date.now() < warmupEnd; n++) await op(w, -1 - n).catch(() => undefined);
    }),
  );
  const latenciesMs: number[] = [];
  let ok = 0;
  let failed = 0;
  const cpu0 = cpuMsByProcess(net);
  const start = performance.now();
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let n = 0; Date.now() < end; n++) {
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
  const wallMs = performance.now() - start;
  const byProcess = cpuMsByProcess(net).map((ms, i) => ms - cpu0[i]);
  return { ok, failed, latenciesMs: latenciesMs.sort((a, b) => a - b), wallMs, serverCpuMs: byProcess.reduce((a, b) => a + b, 0), cpuMsByProcess: byProcess };
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
    const submit = await closedLoop(net, (w, n) => contract.submitTransaction('Put', `w${w}-${n}`, `value-${w}-${n}`).then(() => undefined), SECONDS, CONCURRENCY);
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
    );
    await contract.submitTransaction('Put', 'query-key', 'query-value');
    const query = await closedLoop(net, () => contract.evaluateTransaction('Get', 'query-key').then(() => undefined), SECONDS, CONCURRENCY);
    metrics.push(
      { name: 'query_per_s', value: round((query.ok * 1000) / query.wallMs, 1), unit: 'q/s' },
      { name: 'server_cpu_ms_per_query', value: round(query.serverCpuMs / Math.max(1, query.ok), 3), unit: 'ms' },
    );
  });
  await withNetwork('2s', async (net, gateway) => {
    const contract = gateway.getNetwork(CHANNEL).getContract('kv');
    const submit = await closedLoop(net, (w, n) => contract.submitTransaction('Put', `w${w}-${n}`, `value-${w}-${n}`).then(() => undefined), SECONDS, CONCURRENCY);
    metrics.push({ name: 'submit_tps_2s', value: round((submit.ok * 1000) / submit.wallMs, 1), unit: 'tx/s' });
  });
  return metrics;
}
