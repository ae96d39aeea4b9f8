import type Database from 'better-sqlite3';
import type { Logger } from '../../core/node/logger';
import type { LedgerFileKind } from './sqlite-schema';

/**
 * The smallest page cache the budget gives a connection (unless its own size is smaller). Below it
 * a commit of a few hundred random keys re-reads interior B-tree pages from the OS on every block;
 * the budget is exceeded rather than a ledger made that slow.
 */
export const CACHE_FLOOR_MIB = 8;

/** One open connection's page cache (see {@link SqliteCacheBudget.limits}). */
export interface SqliteCacheLimit {
  readonly channelId: string;
  readonly db: LedgerFileKind;
  /** Its `PRAGMA cache_size` now, in bytes. */
  readonly bytes: number;
}

/** What a connection asks for: its configured size, which the budget only ever lowers. */
export interface CacheWant {
  readonly db: LedgerFileKind;
  readonly kiB: number;
}

/**
 * Spends `spare` on raising the `members` from `given` toward their wants, evenly: a member that
 * needs less than an even share gets what it needs, the others split the rest (max-min fairness).
 * Returns what is left of `spare`.
 */
function fill(given: number[], wants: readonly number[], members: readonly number[], spare: number): number {
  const byRoom = [...members].sort((a, b) => wants[a]! - given[a]! - (wants[b]! - given[b]!));
  let left = spare;
  for (let i = 0; i < byRoom.length; i++) {
    const m = byRoom[i]!;
    const even = Math.floor(left / (byRoom.length - i));
    const raise = Math.min(wants[m]! - given[m]!, even);
    given[m]! += raise;
    left -= raise;
  }
  return left;
}

/**
 * Divides `budgetKiB` over the connections: first every connection gets the floor (or its want if
 * smaller); then the block databases grow back to their wants, then the state databases share
 * what is left. So block caches (small, and commits only append there) keep their size while the
 * states can have the floor, and shrink toward the floor before the budget is ever exceeded,
 * which happens only when the floors alone exceed it. Returns the sizes in KiB, in input order.
 */
export function divideCacheBudget(budgetKiB: number, wants: readonly CacheWant[]): number[] {
  const floorKiB = CACHE_FLOOR_MIB * 1024;
  const kiB = wants.map((w) => w.kiB);
  const given = kiB.map((k) => Math.min(k, floorKiB));
  let spare = budgetKiB - given.reduce((a, b) => a + b, 0);
  if (spare <= 0) return given;
  const of = (db: LedgerFileKind): number[] => wants.flatMap((w, i) => (w.db === db ? [i] : []));
  spare = fill(given, kiB, of('blocks'), spare);
  fill(given, kiB, of('state'), spare);
  return given;
}

interface Connection {
  readonly channelId: string;
  readonly db: LedgerFileKind;
  readonly conn: Database.Database;
  readonly wantKiB: number;
  /** The `cache_size` last applied, KiB. */
  kiB: number;
}

/**
 * The page caches of one provider's open connections, held within `budgetMiB` in all (0 = no
 * budget: each keeps its own size). `PRAGMA soft_heap_limit` cannot do this: better-sqlite3's
 * SQLite is built without memory accounting, so the limit is accepted and ignored. Re-divided on
 * every open and close: a closed channel's share goes back to the others. glibc keeps the pages a
 * shrunk cache frees, but other caches reuse them, so RSS stays near the budget.
 */
export class SqliteCacheBudget {
  private readonly open = new Map<string, Connection[]>();
  /** Whether the last division exceeded the budget: the warning is logged when it starts to. */
  private over = false;

  constructor(
    readonly budgetMiB: number,
    private readonly logger: Logger,
  ) {}

  /** Counts a channel's newly opened connections (with their configured sizes, MiB) and re-divides. */
  add(channelId: string, connections: readonly { db: LedgerFileKind; conn: Database.Database; wantMiB: number }[]): void {
    this.open.set(
      channelId,
      connections.map((c) => ({ channelId, db: c.db, conn: c.conn, wantKiB: c.wantMiB * 1024, kiB: c.wantMiB * 1024 })),
    );
    this.divide();
  }

  /** Called once the channel's connections have closed: its share goes back to the others. */
  remove(channelId: string): void {
    if (this.open.delete(channelId)) this.divide();
  }

  /** Every open connection's `cache_size`, read back from SQLite, by channel then database. */
  limits(): SqliteCacheLimit[] {
    return [...this.open.values()]
      .flat()
      .filter((c) => c.conn.open)
      .map((c) => ({ channelId: c.channelId, db: c.db, bytes: cacheBytes(c.conn) }))
      .sort((a, b) => (a.channelId === b.channelId ? a.db.localeCompare(b.db) : a.channelId < b.channelId ? -1 : 1));
  }

  private divide(): void {
    if (this.budgetMiB === 0) return;
    const all = [...this.open.values()].flat();
    const sizes = divideCacheBudget(this.budgetMiB * 1024, all.map((c) => ({ db: c.db, kiB: c.wantKiB })));
    all.forEach((c, i) => {
      // A connection whose close failed stays counted (its channel stays open) but takes no pragma.
      if (sizes[i] === c.kiB || !c.conn.open) return;
      // Negative: KiB, whatever the page size. A smaller limit takes effect as pages are unpinned.
      c.conn.pragma(`cache_size = -${sizes[i]!}`);
      c.kiB = sizes[i]!;
    });
    const totalKiB = sizes.reduce((a, b) => a + b, 0);
    const over = totalKiB > this.budgetMiB * 1024;
    if (over && !this.over) {
      this.logger.warn(
        {
          cacheBudgetMiB: this.budgetMiB,
          totalMiB: mib(totalKiB),
          floorMiB: CACHE_FLOOR_MIB,
          channels: this.open.size,
          caches: all.map((c) => ({ channel: c.channelId, db: c.db, cacheMiB: mib(c.kiB) })),
        },
        `the SQLite page caches of ${this.open.size} open channels take ${mib(totalKiB)} MiB at ${CACHE_FLOOR_MIB} MiB each, above cacheBudgetMiB ${this.budgetMiB}: raise the budget for this many channels (weft_ledger_page_cache_limit_bytes shows each cache)`,
      );
    }
    this.over = over;
  }
}

function mib(kiB: number): number {
  return Math.round((kiB / 1024) * 100) / 100;
}

/** `cache_size` is pages when positive, KiB when negative. */
function cacheBytes(conn: Database.Database): number {
  const size = conn.pragma('cache_size', { simple: true }) as number;
  return size < 0 ? -size * 1024 : size * (conn.pragma('page_size', { simple: true }) as number);
}
