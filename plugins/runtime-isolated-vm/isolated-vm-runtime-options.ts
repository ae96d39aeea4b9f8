import { z } from 'zod';
import { DEFAULT_MAX_TRANSACTION_BYTES } from '../../core/chaincode/host-budget';

/** Options of the isolated-vm runtime (node config `plugins.runtime.options`). */
export const IsolatedVmRuntimeOptions = z
  .object({
    /** V8 heap limit per chaincode isolate, in MiB. */
    memoryLimitMb: z.number().int().min(8).max(8192).default(128),
    /** Wall-clock budget per invocation (Fabric's execute timeout). */
    timeoutMs: z.number().int().positive().default(30_000),
    /** true: a fresh context per transaction (no state survives between transactions, ~1 ms each). */
    strict: z.boolean().default(false),
    /** Largest value one putState may write, in bytes. */
    maxValueBytes: z.number().int().positive().default(8 * 1024 * 1024),
    /**
     * Most bytes one transaction may make the peer hold for it: its write set, the query results
     * its open iterators hold pulled ahead, its response and event, chaincode-to-chaincode callees
     * included (see `RuntimeLimits.maxTransactionBytes`). Default 100 MiB, Fabric's gRPC message limit.
     */
    maxTransactionBytes: z.number().int().positive().default(DEFAULT_MAX_TRANSACTION_BYTES),
    /** Where installed packages are kept (`<label>.<hash>.tar.gz`); none = in memory only. */
    packageDir: z.string().optional(),
  })
  .strict();
export type IsolatedVmRuntimeOptions = z.input<typeof IsolatedVmRuntimeOptions>;
