import { z } from 'zod';

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
    /** Where installed packages are kept (`<label>.<hash>.tar.gz`); none = in memory only. */
    packageDir: z.string().optional(),
  })
  .strict();
export type IsolatedVmRuntimeOptions = z.input<typeof IsolatedVmRuntimeOptions>;
