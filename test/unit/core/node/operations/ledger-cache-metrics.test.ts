import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Registry } from 'prom-client';
import { registerLedgerCacheGauges } from '../../../../../core/node/operations/ledger-cache-metrics';
import { SqliteLedgerStoreProvider } from '../../../../../plugins/ledger-sqlite';

const MiB = 1024 * 1024;

describe('ledger cache gauges', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-cache-gauges-'))));
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
    registerLedgerCacheGauges(registry, provider);
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

  it('registers nothing for a ledger provider without a cache budget', async () => {
    const registry = new Registry();
    registerLedgerCacheGauges(registry, { list: () => [] });
    expect(await registry.getMetricsAsJSON()).toEqual([]);
  });
});
