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
    /**
     * Transactions of one chaincode that run at once, each in an isolate of its own on isolated-vm's
     * thread pool (as a Fabric chaincode process serves transactions side by side); more wait their
     * turn. A sandbox is started only when transactions overlap. Chaincode-to-chaincode calls may
     * start more (they cannot wait).
     */
    sandboxesPerChaincode: z.number().int().min(1).max(64).default(2),
    /**
     * Transactions that may wait for one chaincode's busy sandboxes; past that a new one is refused
     * at once (status 500 naming the chaincode and this limit) rather than queued. Half the peer's
     * default Gateway concurrency (500): a chaincode stuck in long transactions holds at most that
     * many of the peer's request slots, while a burst of that many proposals to a healthy one waits.
     */
    queuedPerChaincode: z.number().int().min(0).max(100_000).default(250),
    /**
     * Installed packages whose isolates stay in memory, the most recently used ones; the others keep
     * only their bundle and load it again when next invoked (Fabric keeps installed packages on
     * disk until a chaincode is launched). An isolate with its bundle costs some MiB at rest.
     */
    loadedChaincodes: z.number().int().min(1).max(4096).default(16),
    /** Largest value one putState may write, in bytes. */
    maxValueBytes: z.number().int().positive().default(8 * 1024 * 1024),
    /**
     * Most bytes one transaction may make the peer hold for it: its write set, the query results
     * its open iterators hold pulled ahead, its response and event, chaincode-to-chaincode callees
     * included (see `RuntimeLimits.maxTransactionBytes`). Default 100 MiB, Fabric's gRPC message limit.
     */
    maxTransactionBytes: z.number().int().positive().default(DEFAULT_MAX_TRANSACTION_BYTES),
    /** Fabric's `chaincode.keepalive` (seconds, 0 = none): checked and used by the chaincode-as-a-service runtime. */
    keepalive: z.unknown().optional(),
    /** Fabric's `chaincode.runtimeParams` (write batches, multi-key reads): checked and used by the chaincode-as-a-service runtime. */
    runtimeParams: z.unknown().optional(),
    /** Where installed packages are kept (`<label>.<hash>.tar.gz`); none = in memory only. */
    packageDir: z.string().optional(),
    /**
     * Debug mode, for a developer's own peer only: every chaincode's isolate speaks the Chrome
     * DevTools Protocol on this address (discovery at `/json/list`, as `node --inspect`), one
     * sandbox per chaincode so that every transaction runs where the breakpoints are. Whoever
     * reaches the port can run code in the peer: a host off this machine is refused unless
     * `allowRemote` says otherwise. Absent (the default): no inspector at all.
     */
    inspector: z
      .object({
        port: z.number().int().min(0).max(65_535).default(9229),
        host: z.string().min(1).default('127.0.0.1'),
        allowRemote: z.boolean().default(false),
      })
      .strict()
      .optional(),
  })
  .strict();
export type IsolatedVmRuntimeOptions = z.input<typeof IsolatedVmRuntimeOptions>;
