import { Gauge, type Registry } from 'prom-client';

/** One open ledger database's page cache limit, as a ledger plugin reports it (ledger-sqlite's `cacheLimits()`). */
export interface LedgerCacheLimit {
  readonly channelId: string;
  /** Which of the channel's databases (ledger-sqlite: `blocks` or `state`). */
  readonly db: string;
  readonly bytes: number;
}

/**
 * A ledger store provider whose page caches share one budget (ledger-sqlite's `cacheBudgetMiB`).
 * Read at every scrape, so both must be cheap.
 */
export interface LedgerCacheSource {
  /** The budget, bytes; 0 = none (each cache keeps its configured size). */
  readonly cacheBudgetBytes: number;
  /** Every open database's limit now. */
  cacheLimits(): readonly LedgerCacheLimit[];
}

function isLedgerCacheSource(ledgers: object): ledgers is LedgerCacheSource {
  const source = ledgers as Partial<LedgerCacheSource>;
  return typeof source.cacheLimits === 'function' && typeof source.cacheBudgetBytes === 'number';
}

/**
 * For a ledger provider that divides a cache budget ({@link LedgerCacheSource}), nothing otherwise:
 * `weft_ledger_page_cache_limit_bytes{channel,db}`, each open database's page cache limit as the
 * budget divides it now (a closed channel drops out), and `weft_ledger_page_cache_budget_bytes`,
 * the budget. Read when scraped.
 */
export function registerLedgerCacheGauges(registry: Registry, ledgers: object): void {
  if (!isLedgerCacheSource(ledgers)) return;
  new Gauge({
    name: 'weft_ledger_page_cache_limit_bytes',
    help: "Page cache limit of one of the channel's open ledger databases (db: blocks or state), as the ledger's cacheBudgetMiB divides it now (Weft).",
    labelNames: ['channel', 'db'],
    registers: [registry],
    collect(this: Gauge<'channel' | 'db'>) {
      // Reset first: a channel closed since the last scrape leaves no stale series.
      this.reset();
      for (const limit of ledgers.cacheLimits()) this.set({ channel: limit.channelId, db: limit.db }, limit.bytes);
    },
  });
  new Gauge({
    name: 'weft_ledger_page_cache_budget_bytes',
    help: "The ledger's cacheBudgetMiB, bytes: what the page caches of all its open databases may take together (0 = no budget) (Weft).",
    registers: [registry],
    collect(this: Gauge) {
      this.set(ledgers.cacheBudgetBytes);
    },
  });
}
