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

/** The bytes one open channel's ledger takes on disk in one of its parts, as a ledger plugin reports it. */
export interface LedgerDiskUse {
  readonly channelId: string;
  /** Which part (ledger-sqlite: `blocks`, `state`, or `wal` for both databases' write-ahead logs). */
  readonly db: string;
  readonly bytes: number;
}

/** A ledger store provider that can say what its open channels take on disk. */
export interface LedgerDiskSource {
  /**
   * Every open channel's parts now, read from the file system at each scrape: it must stay cheap
   * (a stat per file, no walk of a tree) and must not throw for a file gone meanwhile.
   */
  diskUse(): readonly LedgerDiskUse[];
}

function isLedgerCacheSource(ledgers: object): ledgers is LedgerCacheSource {
  const source = ledgers as Partial<LedgerCacheSource>;
  return typeof source.cacheLimits === 'function' && typeof source.cacheBudgetBytes === 'number';
}

function isLedgerDiskSource(ledgers: object): ledgers is LedgerDiskSource {
  return typeof (ledgers as Partial<LedgerDiskSource>).diskUse === 'function';
}

/**
 * The gauges of a node's ledger store provider, each for the capability it has (none otherwise), read
 * when scraped; a channel closed since the last scrape drops out of each. With a cache budget
 * ({@link LedgerCacheSource}): `weft_ledger_page_cache_limit_bytes{channel,db}`, each open database's
 * page cache limit as the budget divides it now, and `weft_ledger_page_cache_budget_bytes`, the
 * budget. With disk use ({@link LedgerDiskSource}): `weft_ledger_disk_bytes{channel,db}`.
 */
export function registerLedgerGauges(registry: Registry, ledgers: object): void {
  if (isLedgerCacheSource(ledgers)) registerCacheGauges(registry, ledgers);
  if (isLedgerDiskSource(ledgers)) {
    new Gauge({
      name: 'weft_ledger_disk_bytes',
      help: "Bytes on disk of the channel's open ledger, by part (db: blocks, state, or wal: the write-ahead logs of both, which keep their largest size until the ledger closes), read from its files when scraped (Weft).",
      labelNames: ['channel', 'db'],
      registers: [registry],
      collect(this: Gauge<'channel' | 'db'>) {
        this.reset();
        for (const use of ledgers.diskUse()) this.set({ channel: use.channelId, db: use.db }, use.bytes);
      },
    });
  }
}

function registerCacheGauges(registry: Registry, ledgers: LedgerCacheSource): void {
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
