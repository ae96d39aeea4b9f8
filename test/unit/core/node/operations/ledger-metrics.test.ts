import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Registry } from 'prom-client';
import { registerLedgerGauges } from '../../../../../core/node/operations/ledger-metrics';
import { SqliteLedgerStoreProvider } from '../../../../../plugins/ledger-sqlite';

const MiB = 1024 * 1024;

describe('ledger gauges', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-ledger-gauges-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function series(registry: Registry): Promise<Record<string, number>> {
    const metrics = await registry.getMetricsAsJSON();
    return Object.fromEntries(
      metrics
        .filter((m) => m.name.startsWith('weft_ledger_page_cache_'))
        .flatMap((m) => m.values.map((v) => [`${m.name}${v.labels.channel === undefined ? '' : `{${String(v.labels.channel)},${String(v.labels.db)}}`}`, v.value / MiB])),
    );
  }

  it('shows how the budget is divided now, a closed channel dropping out', async () => {
    const provider = new SqliteLedgerStoreProvider({ rootDir: dir, cacheSizeMiB: 64, blockCacheSizeMiB: 16, cacheBudgetMiB: 168 });
    const registry = new Registry();
    registerLedgerGauges(registry, provider);
    const stores = ['ch0', 'ch1', 'ch2'].map((c) => provider.open(c));
    try {
      expect(await series(registry)).toEqual({
        'weft_ledger_page_cache_limit_bytes{ch0,blocks}': 16,
        'weft_ledger_page_cache_limit_bytes{ch0,state}': 40,
        'weft_ledger_page_cache_limit_bytes{ch1,blocks}': 16,
        'weft_ledger_page_cache_limit_bytes{ch1,state}': 40,
        'weft_ledger_page_cache_limit_bytes{ch2,blocks}': 16,
        'weft_ledger_page_cache_limit_bytes{ch2,state}': 40,
        weft_ledger_page_cache_budget_bytes: 168,
      });
      stores[1]!.close();
      stores[2]!.close();
      expect(await series(registry)).toEqual({
        'weft_ledger_page_cache_limit_bytes{ch0,blocks}': 16,
        'weft_ledger_page_cache_limit_bytes{ch0,state}': 64,
        weft_ledger_page_cache_budget_bytes: 168,
      });
    } finally {
      for (const s of stores) s.close();
    }
  });

  /** `weft_ledger_disk_bytes` by `channel/db`, in bytes. */
  async function diskSeries(registry: Registry): Promise<Record<string, number>> {
    const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === 'weft_ledger_disk_bytes');
    return Object.fromEntries((metric?.values ?? []).map((v) => [`${String(v.labels.channel)}/${String(v.labels.db)}`, v.value]));
  }

  it("gives each open channel's blocks, state and WAL bytes as on disk, growing with commits, a closed channel dropping out", async () => {
    // Checkpoints every 16 pages: the commits below reach the database files, not only the WALs.
    const provider = new SqliteLedgerStoreProvider({ rootDir: dir, walAutocheckpointPages: 16 });
    const registry = new Registry();
    registerLedgerGauges(registry, provider);
    const peerChannel = provider.open('ch0');
    // The orderer's kind of ledger: a block file alone.
    const ordererChannel = provider.openBlocks('ch1');
    const size = (file: string): number => fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0;
    const wal = (...files: string[]): number => files.reduce((sum, f) => sum + size(`${f}-wal`) + size(`${f}-shm`), 0);
    const onDisk = (): Record<string, number> => ({
      'ch0/blocks': size(provider.file('ch0')),
      'ch0/state': size(provider.stateFile('ch0')),
      'ch0/wal': wal(provider.file('ch0'), provider.stateFile('ch0')),
      'ch1/blocks': size(provider.file('ch1')),
      'ch1/wal': wal(provider.file('ch1')),
    });
    try {
      const before = await diskSeries(registry);
      expect(before).toEqual(onDisk());
      expect(before['ch0/blocks']).toBeGreaterThan(0);
      expect(before['ch0/state']).toBeGreaterThan(0);

      for (let n = 0; n < 20; n++) {
        peerChannel.commit({
          blockNum: n,
          blockHash: new Uint8Array(32).fill(n),
          blockBytes: new Uint8Array(20_000).fill(n),
          txs: [{ txId: `tx${n}`, txNum: 0, validationCode: 0 }],
          state: Array.from({ length: 50 }, (_, k) => ({ namespace: 'cc', key: `k${n}-${k}`, value: Buffer.alloc(200, k), version: { blockNum: n, txNum: 0 } })),
          history: [],
        });
      }
      const after = await diskSeries(registry);
      expect(after).toEqual(onDisk());
      expect(after['ch0/blocks']).toBeGreaterThan(before['ch0/blocks']! + 20 * 20_000);
      expect(after['ch0/state']).toBeGreaterThan(before['ch0/state']! + 20 * 50 * 200);
      expect(after['ch0/wal']).toBeGreaterThan(0);
      expect(after['ch1/blocks']).toBe(before['ch1/blocks']);

      ordererChannel.close();
      expect(Object.keys(await diskSeries(registry))).toEqual(['ch0/blocks', 'ch0/state', 'ch0/wal']);
      peerChannel.close();
      expect(await diskSeries(registry)).toEqual({});
    } finally {
      peerChannel.close();
      ordererChannel.close();
    }
  });

  it('registers nothing for a ledger provider without a cache budget or disk use', async () => {
    const registry = new Registry();
    registerLedgerGauges(registry, { list: () => [] });
    expect(await registry.getMetricsAsJSON()).toEqual([]);
  });
});
