/**
 * Ledger suite: commits of blocks of 500 transactions, each writing one ~200 B value, on the SQLite
 * ledger; point reads, 1,000-key range scans and history reads; and how the commit rate holds with
 * 1M keys in state compared with 10k, for updates of uniformly random existing keys (the headline:
 * no locality at all) and for new keys appended by 8 clients (Caliper's createAsset). Each
 * ledger's updates are measured over whole cycles of its state WAL (see {@link UpdateWindow}).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import type { Block } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { LedgerManagerImpl, RwSetBuilder, type Ledger } from '../core/ledger';
import { buildRwSetEnvelope, TestChain } from '../core/ledger/test-blocks';
import { SqliteLedgerStoreProvider } from '../plugins/ledger-sqlite';
import { measure, round, type BenchMetric } from './harness';
import { seededRandom } from '../test/support/seeded-random';

const TXS_PER_BLOCK = 500;
/** At least this many rounds of updates: enough that the 1M ledger's state WAL cycles three times. */
const ROUNDS = 8;
const BLOCKS_PER_ROUND = 40;
/** Where aligning on a checkpoint gives up: a 1M-key state's WAL, at its default size, cycles every ~134 blocks. */
const ALIGN_MAX_BLOCKS = 2_000;
const NS = 'bench';
const VALUE = Buffer.alloc(200, 'v');

const keyOf = (i: number): string => `key${String(i).padStart(8, '0')}`;

function blindWriteEnvelope(txId: string, key: string): Uint8Array {
  const b = new RwSetBuilder();
  b.addWrite(NS, key, VALUE);
  return buildRwSetEnvelope({ txId, rwset: b.build().serializeBinary(), channelId: 'bench' });
}

/** A block whose transaction `t` writes `key(t)`. */
function buildBlock(chain: TestChain, key: (t: number) => string, tag: string): Block {
  const envs: Uint8Array[] = [];
  for (let t = 0; t < TXS_PER_BLOCK; t++) envs.push(blindWriteEnvelope(`${tag}-${t}`, key(t)));
  return chain.block(envs);
}

/** Updates of existing keys drawn uniformly from [0, keySpace): the workload with the least locality. */
function randomUpdates(keySpace: number): (t: number) => string {
  const random = seededRandom(42);
  return () => keyOf(Math.floor(random() * keySpace));
}

let inserted = 0;
/** New keys, as Caliper's createAsset: 8 clients each appending `asset_<client>_<n>`. */
function clientInserts(): (t: number) => string {
  return (t) => `asset_${t % 8}_${String(inserted++).padStart(10, '0')}`;
}

/** Keys [0, n) written directly into the state table, sorted, in one transaction: the fast bulk path. */
function bulkLoad(file: string, n: number): void {
  const db = new Database(file);
  const ins = db.prepare('INSERT INTO state (ns, key, value, block_num, tx_num) VALUES (?, ?, ?, 0, 0)');
  db.transaction(() => {
    for (let i = 0; i < n; i++) ins.run(NS, keyOf(i), VALUE);
  })();
  db.close();
}

interface Env {
  dir: string;
  /** The state database's WAL index (`<state file>-shm`), read to see when a checkpoint ran. */
  walIndex: string;
  manager: LedgerManagerImpl;
  ledger: Ledger;
  chain: TestChain;
}

/** Store defaults unless overridden (WEFT_BENCH_CACHE_MIB, WEFT_BENCH_MMAP_MIB) to compare settings. */
const STORE_OPTIONS = {
  ...(process.env.WEFT_BENCH_CACHE_MIB !== undefined ? { cacheSizeMiB: Number(process.env.WEFT_BENCH_CACHE_MIB) } : {}),
  ...(process.env.WEFT_BENCH_MMAP_MIB !== undefined ? { mmapSizeMiB: Number(process.env.WEFT_BENCH_MMAP_MIB) } : {}),
  ...(process.env.WEFT_BENCH_STORE_OPTIONS !== undefined ? (JSON.parse(process.env.WEFT_BENCH_STORE_OPTIONS) as object) : {}),
};

function open(keys: number): Env {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-bench-ledger-'));
  const provider = new SqliteLedgerStoreProvider({ rootDir: dir, ...STORE_OPTIONS });
  let manager = new LedgerManagerImpl(provider);
  const chain = new TestChain();
  manager.create('bench', chain.block([]));
  manager.close();
  bulkLoad(provider.stateFile('bench'), keys);
  manager = new LedgerManagerImpl(new SqliteLedgerStoreProvider({ rootDir: dir, ...STORE_OPTIONS }));
  return { dir, walIndex: `${provider.stateFile('bench')}-shm`, manager, ledger: manager.open('bench'), chain };
}

/**
 * Reads every key once so the measurement sees a peer in steady state (its working set cached),
 * not the first touches after a cold open; the 10k ledger is trivially cached either way.
 */
function warm(env: Env): void {
  const q = env.ledger.newQueryExecutor();
  let bookmark = '';
  do {
    bookmark = q.getStateRangeWithPagination(NS, '', '', 50_000, bookmark).bookmark;
  } while (bookmark !== '');
  q.done();
}

function close(env: Env): void {
  env.manager.close();
  fs.rmSync(env.dir, { recursive: true, force: true });
}

interface Rate {
  blocks: number;
  wallMs: number;
  cpuMs: number;
}

/** Commits `blocks` blocks, timing only the commits. */
function commitRate(env: Env, key: (t: number) => string, blocks: number, tag: string): Rate {
  return commitBlocks(env, key, blocks, tag, false);
}

const walIndexHeader = Buffer.alloc(100);
/**
 * Whether the last commit ended with a checkpoint that copied the state's whole WAL back into its
 * database. The WAL index header (https://www.sqlite.org/walformat.html) holds the WAL's frame
 * count (`mxFrame`, offset 16) and how many of them a checkpoint has copied (`nBackfill`, offset
 * 96), in native byte order; every commit appends frames, so the two are equal only right after a
 * checkpoint.
 */
function stateCheckpointed(env: Env): boolean {
  const fd = fs.openSync(env.walIndex, 'r');
  try {
    fs.readSync(fd, walIndexHeader, 0, walIndexHeader.length, 0);
  } finally {
    fs.closeSync(fd);
  }
  const u32 = (offset: number): number => (os.endianness() === 'LE' ? walIndexHeader.readUInt32LE(offset) : walIndexHeader.readUInt32BE(offset));
  const frames = u32(16);
  return frames > 0 && u32(96) === frames;
}

/**
 * Commits up to `count` blocks, each built just before it commits, timing only the commits; with
 * `untilCheckpoint`, stops after the commit that checkpointed the state.
 */
function commitBlocks(env: Env, key: (t: number) => string, count: number, tag: string, untilCheckpoint: boolean): Rate {
  const total = { blocks: 0, wallMs: 0, cpuMs: 0 };
  for (let b = 0; b < count; b++) {
    const block = buildBlock(env.chain, key, `${tag}-${b}`);
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    env.ledger.commit(block);
    total.wallMs += performance.now() - start;
    const cpu = process.cpuUsage(cpu0);
    total.cpuMs += (cpu.user + cpu.system) / 1000;
    total.blocks++;
    if (untilCheckpoint && stateCheckpointed(env)) break;
  }
  return { ...total, cpuMs: Math.max(total.cpuMs, 0.001) };
}

/**
 * Random-update rounds for one ledger, measured over whole cycles of its state WAL: a checkpoint
 * copies every page the cycle's blocks dirtied, so its cost (0.5 s or more with 1M keys, every
 * ~134 blocks) belongs to all of them. A window that took in the blocks of two and a half cycles
 * but only two checkpoints would understate the 1M ledger's cost by a few percent.
 */
class UpdateWindow {
  readonly rounds: Rate[] = [];
  private measured = 0;
  private done = false;
  private readonly key: (t: number) => string;

  constructor(
    private readonly env: Env,
    private readonly keySpace: number,
    private readonly minBlocks: number,
  ) {
    this.key = randomUpdates(keySpace);
  }

  /** Commits unmeasured blocks up to a state checkpoint, so that the window opens on a fresh WAL. */
  align(): void {
    const r = commitBlocks(this.env, this.key, ALIGN_MAX_BLOCKS, `align${this.keySpace}`, true);
    if (!stateCheckpointed(this.env)) throw new Error(`no state checkpoint in ${r.blocks} blocks: the ledger bench needs automatic checkpoints`);
  }

  get finished(): boolean {
    return this.done;
  }

  /** One measured round; once `minBlocks` are in, the round ends at the next state checkpoint and so does the window. */
  round(tag: string): void {
    const closing = this.measured >= this.minBlocks;
    const r = commitBlocks(this.env, this.key, BLOCKS_PER_ROUND, tag, closing);
    this.rounds.push(r);
    this.measured += r.blocks;
    this.done = closing && stateCheckpointed(this.env);
  }
}

/** Blocks per wall second and per second of this process's CPU. */
function rate(r: Rate): { wall: number; cpu: number } {
  return { wall: (r.blocks * 1000) / r.wallMs, cpu: (r.blocks * 1000) / r.cpuMs };
}

function total(rounds: readonly Rate[]): { wall: number; cpu: number } {
  return rate(rounds.reduce((a, r) => ({ blocks: a.blocks + r.blocks, wallMs: a.wallMs + r.wallMs, cpuMs: a.cpuMs + r.cpuMs })));
}

export default async function run(): Promise<BenchMetric[]> {
  const metrics: BenchMetric[] = [];
  const small = open(10_000);
  const large = open(1_000_000);
  try {
    warm(small);
    warm(large);
    const smallUpdates = new UpdateWindow(small, 10_000, ROUNDS * BLOCKS_PER_ROUND);
    const largeUpdates = new UpdateWindow(large, 1_000_000, ROUNDS * BLOCKS_PER_ROUND);
    smallUpdates.align();
    largeUpdates.align();
    // Alternate rounds so machine noise (other processes) hits both sizes alike. Rates per CPU
    // second are the headline (this machine is shared); wall rates are reported beside them. Rates
    // are totals over all rounds, not medians of rounds: a WAL checkpoint lands in only some
    // rounds, and its cost belongs to every block that dirtied the pages it writes.
    for (let r = 0; !smallUpdates.finished || !largeUpdates.finished; r++) {
      if (!smallUpdates.finished) smallUpdates.round(`small${r}`);
      if (!largeUpdates.finished) largeUpdates.round(`large${r}`);
    }
    const small_ = smallUpdates.rounds;
    const large_ = largeUpdates.rounds;
    const smallIns: Rate[] = [];
    const largeIns: Rate[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      smallIns.push(commitRate(small, clientInserts(), 10, `smallIns${r}`));
      largeIns.push(commitRate(large, clientInserts(), 10, `largeIns${r}`));
    }
    const blocksPerS = total(small_).cpu;
    const largePerS = total(large_).cpu;
    metrics.push({ name: 'commit_blocks_per_s', value: round(blocksPerS), unit: 'blocks/s (per CPU second)' });
    metrics.push({ name: 'commit_keys_per_s', value: Math.round(blocksPerS * TXS_PER_BLOCK), unit: 'keys/s (per CPU second)' });
    metrics.push({ name: 'commit_keys_per_s_wall', value: Math.round(total(small_).wall * TXS_PER_BLOCK), unit: 'keys/s (wall)' });
    metrics.push({ name: 'commit_keys_per_s_1m', value: Math.round(largePerS * TXS_PER_BLOCK), unit: 'keys/s (per CPU second)' });
    const blocksIn = (rounds: readonly Rate[]): number => rounds.reduce((n, r) => n + r.blocks, 0);
    metrics.push({
      name: 'commit_keys_per_s_1m_vs_10k',
      value: round(largePerS / blocksPerS, 3),
      unit: `ratio (target >= 0.8; over ${blocksIn(large_)} and ${blocksIn(small_)} blocks, whole state WAL cycles)`,
    });
    // Each round's own ratio (its 1M rate over the 10k rate measured just before it): their spread
    // shows how much of a run-to-run difference in the headline is this machine's noise.
    const paired = Math.min(small_.length, large_.length);
    const roundRatios = large_.slice(0, paired).map((l, r) => rate(l).cpu / rate(small_[r]).cpu).sort((a, b) => a - b);
    metrics.push({ name: 'commit_keys_per_s_1m_vs_10k_round_min', value: round(roundRatios[0], 3), unit: `ratio (lowest of ${paired} rounds)` });
    metrics.push({ name: 'commit_keys_per_s_1m_vs_10k_round_max', value: round(roundRatios[roundRatios.length - 1], 3), unit: `ratio (highest of ${paired} rounds)` });
    metrics.push({ name: 'commit_keys_per_s_1m_vs_10k_wall', value: round(total(large_).wall / total(small_).wall, 3), unit: 'ratio (wall)' });
    metrics.push({ name: 'commit_keys_per_s_inserts', value: Math.round(total(smallIns).cpu * TXS_PER_BLOCK), unit: 'keys/s (per CPU second)' });
    metrics.push({ name: 'commit_keys_per_s_1m_vs_10k_inserts', value: round(total(largeIns).cpu / total(smallIns).cpu, 3), unit: 'ratio (new keys)' });
    close(large);

    const random = seededRandom(7);
    const pointReads = (ledger: Ledger): number => {
      const reader = ledger.newQueryExecutor();
      const r = measure(
        () => {
          for (let i = 0; i < 100; i++) reader.getState(NS, keyOf(Math.floor(random() * 10_000)));
        },
        { batch: 100 },
      );
      reader.done();
      return Math.round(r.perCpuSecond);
    };
    // The store's point-read cache holds 10k entries by default, so these reads are nearly all hits,
    // as a peer's reads of hot keys are; the uncached figure is SQLite's own (the cache turned off).
    metrics.push({ name: 'point_reads_per_s', value: pointReads(small.ledger), unit: 'reads/s (per CPU second, 10k hot keys, cache on)' });
    const uncached = new LedgerManagerImpl(new SqliteLedgerStoreProvider({ rootDir: small.dir, ...STORE_OPTIONS, stateCacheEntries: 0 }));
    try {
      metrics.push({ name: 'point_reads_per_s_uncached', value: pointReads(uncached.open('bench')), unit: 'reads/s (per CPU second, SQLite alone)' });
    } finally {
      uncached.close();
    }
    const q = small.ledger.newQueryExecutor();
    const scans = measure(() => {
      let n = 0;
      for (const kv of q.getStateRange(NS, keyOf(Math.floor(random() * 9_000)), '')) {
        void kv;
        if (++n === 1000) break;
      }
    });
    metrics.push({ name: 'range_scans_per_s', value: round(scans.perCpuSecond), unit: 'scans/s of 1,000 keys (per CPU second)' });
    const history = measure(
      () => {
        for (let i = 0; i < 100; i++) for (const h of q.getHistoryForKey(NS, keyOf(Math.floor(random() * 10_000)))) void h;
      },
      { batch: 100 },
    );
    metrics.push({ name: 'history_reads_per_s', value: Math.round(history.perCpuSecond), unit: 'queries/s (per CPU second)' });
    q.done();
  } finally {
    close(small);
    if (fs.existsSync(large.dir)) close(large);
  }
  return metrics;
}
