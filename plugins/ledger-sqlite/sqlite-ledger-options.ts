import { z } from 'zod';

/** Options of the SQLite ledger store (the `ledger` slot's `options` in a node config). */
export const SqliteLedgerOptions = z
  .object({
    /** Folder holding two files per channel: `<channel>.sqlite` (blocks, txids, history) and `<channel>_state.sqlite`. */
    rootDir: z.string().min(1),
    /**
     * SQLite `synchronous` in WAL mode. NORMAL never loses atomicity on a process crash (only the
     * last commits on power loss, which the orderer or gossip re-delivers); FULL fsyncs every commit.
     */
    synchronous: z.enum(['OFF', 'NORMAL', 'FULL', 'EXTRA']).default('NORMAL'),
    /**
     * WAL pages before SQLite checkpoints into the database file. Commits of random keys dirty
     * hundreds of pages per block; a large WAL lets one checkpoint write each hot page once for many
     * blocks (SQLite's default of 1000 pages made commits 2-3x slower).
     */
    walAutocheckpointPages: z.number().int().nonnegative().default(16384),
    /**
     * The state's WAL may grow to this multiple of the state database's size (when that exceeds
     * `walAutocheckpointPages`, and at most 512 MiB) before a checkpoint folds it back. A
     * checkpoint writes each distinct page once: with 1M keys updated at random, a WAL of 64 MiB
     * writes ~440 pages back per block of 500 updates, one as large as the database ~320. 0 turns
     * this off; so does `walAutocheckpointPages` 0 (no automatic checkpoints at all).
     */
    stateWalToDatabaseRatio: z.number().nonnegative().max(16).default(1),
    /** Memory-mapped I/O window per database file, MiB (0 = off); saves a copy per page read. */
    mmapSizeMiB: z.number().int().nonnegative().default(0),
    /**
     * Page cache of a channel's state database, MiB (an upper bound; it fills as pages are used).
     * Commits against 1M keys ran ~25% slower with 64 MiB than with 256 MiB: every dirtied page was a miss.
     */
    cacheSizeMiB: z.number().int().positive().default(256),
    /**
     * Committed point reads a channel keeps in memory (0 = off). Only values ≤ 4 KiB are kept, so
     * a channel's cache holds at most entries × 4 KiB (40 MiB at the default). Chaincode
     * definitions and key-level policies are read for every proposal and every transaction
     * validated; a hit costs ~0.1 µs instead of a ~7 µs SQLite read.
     */
    stateCacheEntries: z.number().int().nonnegative().max(1_000_000).default(10_000),
    /**
     * Page cache of a channel's block database (blocks, txids, history), MiB. Kept small: commits
     * only append there, and SQLite scans the whole cache at the end of a transaction in which a
     * B-tree page split reordered pages, which random txid and history inserts do every block.
     */
    blockCacheSizeMiB: z.number().int().positive().default(32),
    /**
     * All the page caches of this provider's open ledgers together, MiB (0 = no budget: each keeps
     * `cacheSizeMiB` or `blockCacheSizeMiB`). Re-divided over the open connections at every open
     * and close: block databases keep their size while every state database can have 8 MiB
     * (then they shrink too), state databases share the rest up to `cacheSizeMiB` each, and no
     * cache goes below 8 MiB (then the budget is exceeded, with a warning). 512 leaves one
     * channel its 288 MiB (so its commits run as without a budget) and gives four channels 96 MiB
     * of state cache each.
     */
    cacheBudgetMiB: z
      .number()
      .int({ message: 'must be a whole number of MiB (0 = no budget)' })
      .nonnegative({ message: 'must be 0 (no budget) or more MiB' })
      .default(512),
    /**
     * Background writeback, MiB (0 = off): a thread fdatasyncs each file's WAL whenever it has grown
     * by this much, and the database while a checkpoint copies into it, so the checkpoint's own
     * syncs, inside a commit, find little left to write. Off with `synchronous: OFF`, which never syncs.
     */
    writebackEveryMiB: z.number().int().nonnegative().max(1024).default(8),
  })
  .strict();
export type SqliteLedgerOptions = z.infer<typeof SqliteLedgerOptions>;
