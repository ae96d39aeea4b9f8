import { z } from 'zod';

/**
 * Limits and switches every ledger honours, whatever store plugin sits underneath. Defaults follow
 * Fabric's `core.yaml` where Fabric has a knob (`totalQueryLimit`, `enableHistoryDatabase`).
 */
export const LedgerOptions = z
  .object({
    /** Largest key, in UTF-8 bytes, a transaction may write or read. */
    maxKeySize: z.number().int().positive().default(4096),
    /** Largest value, in bytes, a transaction may write. */
    maxValueSize: z.number().int().positive().default(16 * 1024 * 1024),
    /** Most results one range, rich or history query returns (Fabric `ledger.state.totalQueryLimit`). */
    totalQueryLimit: z.number().int().positive().default(100_000),
    /** Fabric `ledger.history.enableHistoryDatabase`. */
    historyEnabled: z.boolean().default(true),
  })
  .strict();
export type LedgerOptions = z.infer<typeof LedgerOptions>;

export const defaultLedgerOptions: LedgerOptions = LedgerOptions.parse({});
