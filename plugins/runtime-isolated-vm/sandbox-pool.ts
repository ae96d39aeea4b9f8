import type { ChaincodeInvocation, ChaincodeResult, RuntimeQueueMeter, RuntimeSupport, RuntimeSupportSource } from '../../core/chaincode/chaincode-runtime';
import { ChaincodeError } from '../../core/errors';
import type { SandboxHeapUsage } from '../../core/peer/chaincode-metrics';
import type { ChaincodeSandbox } from './chaincode-sandbox';

const EMPTY = new Uint8Array(0);

/**
 * The sandboxes of one installed package. A Fabric chaincode process serves transactions side by
 * side; here each sandbox runs one transaction at a time, so top-level transactions take an idle
 * sandbox, start another up to `limit`, and past that wait their turn (first come, first served:
 * the wait counts against the caller's own deadline, not the chaincode's time limit). A waiting
 * transaction gets its support (the peer's simulator, which holds the channel's state) only once it
 * has a sandbox, so a queue never delays a block commit; it leaves the queue when its caller gives
 * up, and past `maxQueued` waiting ones a new one is refused at once. A chaincode-to-chaincode call
 * does not queue (its caller holds a sandbox while it waits, maybe the one it would wait for), so
 * it takes any idle sandbox or starts one beyond the limit, as many as calls are nested.
 */
export class SandboxPool {
  private readonly all: ChaincodeSandbox[];
  /** Sandboxes lent to a top-level transaction: busy from the hand-over, before their session opens. */
  private readonly lent = new Set<ChaincodeSandbox>();
  /** First come, first served; one that gives up is taken out (a linear search, over at most `maxQueued`). */
  private readonly waiting: ((sandbox: ChaincodeSandbox | undefined) => void)[] = [];
  private disposed = false;

  constructor(
    readonly primary: ChaincodeSandbox,
    private readonly limit: number,
    private readonly maxQueued = Infinity,
  ) {
    this.all = [primary];
  }

  /** Sandboxes started for this package (the primary included): visible to tests and metrics. */
  get size(): number {
    return this.all.length;
  }

  /** True while a sandbox of the package holds an isolate. */
  get loaded(): boolean {
    return this.all.some((s) => s.loaded);
  }

  /** True while no transaction runs in the package's sandboxes or waits for one. */
  get idle(): boolean {
    return this.waiting.length === 0 && this.all.every((s) => !s.busy && !this.lent.has(s));
  }

  /** The package's isolates (a sandbox unloaded has none) and their V8 heaps as last read, summed. */
  async heapStatistics(): Promise<Omit<SandboxHeapUsage, 'packageId'>> {
    const loaded = this.all.filter((s) => s.loaded);
    const heaps = (await Promise.all(loaded.map((s) => s.heapStatistics()))).filter((h) => h !== undefined);
    return {
      isolates: loaded.length,
      usedBytes: heaps.reduce((sum, h) => sum + h.usedBytes, 0),
      totalBytes: heaps.reduce((sum, h) => sum + h.totalBytes, 0),
    };
  }

  /** Releases every isolate of an idle package: its other sandboxes go, the first keeps what reloads it. */
  unload(): void {
    if (!this.idle) return;
    for (const sibling of this.all.splice(1)) sibling.dispose();
    this.primary.unload();
  }

  /**
   * Throws `CHAINCODE_QUEUE_FULL` or `CHAINCODE_CANCELLED` for a transaction it did not run (`support`
   * not asked for). `meter` hears of the wait only: a transaction that finds a sandbox costs it nothing.
   */
  async invoke(invocation: ChaincodeInvocation, support: RuntimeSupport | RuntimeSupportSource, signal?: AbortSignal, meter?: RuntimeQueueMeter): Promise<ChaincodeResult> {
    if (signal?.aborted === true) {
      meter?.cancelled();
      throw cancelled(invocation, signal);
    }
    const nested = typeof support !== 'function' && support.calledByChaincode === true;
    // In debug mode only the sandbox DevTools is attached to: a transaction waits for it rather than
    // run unseen; a nested call takes any idle one first (the primary is), as it cannot wait.
    const idle = nested ? this.free() : this.free((s) => s.debuggable || !this.primary.debuggable);
    const sandbox = idle ?? (nested || this.all.length < this.limit ? this.start() : await this.wait(invocation, signal, meter));
    if (sandbox === undefined || 'response' in sandbox) return sandbox ?? closed(this.primary.packageId);
    this.lent.add(sandbox);
    try {
      // Asked for only now: whatever it holds is held for the run, not for the wait.
      return await sandbox.invokeAsync(invocation, typeof support === 'function' ? await support() : support);
    } finally {
      this.lent.delete(sandbox);
      this.handOver(sandbox);
    }
  }

  /** A debuggable sandbox is not used here: a breakpoint on the calling thread would stop the relay that resumes it. */
  invokeSync(invocation: ChaincodeInvocation, support: RuntimeSupport): ChaincodeResult {
    const sandbox = this.free((s) => !s.debuggable) ?? this.start();
    return 'response' in sandbox ? sandbox : sandbox.invoke(invocation, support);
  }

  dispose(): void {
    this.disposed = true;
    for (const sandbox of this.all) sandbox.dispose();
    for (const resolve of this.waiting.splice(0)) resolve(undefined);
  }

  /** Resolves with the sandbox {@link handOver} lends it (undefined once disposed). */
  private wait(invocation: ChaincodeInvocation, signal: AbortSignal | undefined, meter: RuntimeQueueMeter | undefined): Promise<ChaincodeSandbox | undefined> {
    if (this.waiting.length >= this.maxQueued) {
      meter?.refused();
      return Promise.reject(queueFull(invocation, this.primary.packageId, this.maxQueued, this.all.length));
    }
    const since = meter === undefined ? 0 : performance.now();
    return new Promise((resolve, reject) => {
      const abort = (): void => {
        // Out of the queue before anything is lent to it: handOver never sees it again.
        this.waiting.splice(this.waiting.indexOf(take), 1);
        meter?.left((performance.now() - since) / 1000, false);
        meter?.cancelled();
        reject(cancelled(invocation, signal as AbortSignal));
      };
      const take = (sandbox: ChaincodeSandbox | undefined): void => {
        signal?.removeEventListener('abort', abort);
        meter?.left((performance.now() - since) / 1000, sandbox !== undefined);
        resolve(sandbox);
      };
      signal?.addEventListener('abort', abort, { once: true });
      this.waiting.push(take);
      meter?.queued();
    });
  }

  private free(also: (s: ChaincodeSandbox) => boolean = () => true): ChaincodeSandbox | undefined {
    return this.all.find((s) => !s.busy && !this.lent.has(s) && also(s));
  }

  private handOver(sandbox: ChaincodeSandbox): void {
    const next = this.waiting.shift();
    if (next === undefined) return;
    if (this.disposed) return next(undefined);
    // Lent before the waiter resumes (a later microtask), so that nothing else takes it meanwhile;
    // the waiter gives it back when its transaction ends.
    this.lent.add(sandbox);
    next(sandbox);
  }

  /** Another started sandbox of the package, or the failure to start one answered as the chaincode's. */
  private start(): ChaincodeSandbox | ChaincodeResult {
    try {
      const sibling = this.primary.fork();
      this.all.push(sibling);
      return sibling;
    } catch (err) {
      const message = err instanceof ChaincodeError ? err.message : `chaincode failed to start: ${(err as Error).message}`;
      return { response: { status: 500, message, payload: EMPTY } };
    }
  }
}

function closed(packageId: string): ChaincodeResult {
  return { response: { status: 500, message: `chaincode ${packageId}: its sandbox was disposed (uninstalled or the peer is stopping) before the transaction ran`, payload: EMPTY } };
}

function queueFull(invocation: ChaincodeInvocation, packageId: string, limit: number, sandboxes: number): ChaincodeError {
  return new ChaincodeError(
    'CHAINCODE_QUEUE_FULL',
    `chaincode ${invocation.chaincodeName} is busy: its ${sandboxes} sandboxes are running transactions and ${limit} more wait, the limit (runtime option queuedPerChaincode = ${limit}); transaction ${invocation.txId} was not run: try again later`,
    { chaincode: invocation.chaincodeName, packageId, txId: invocation.txId, queuedPerChaincode: limit, sandboxes },
  );
}

function cancelled(invocation: ChaincodeInvocation, signal: AbortSignal): ChaincodeError {
  const reason: unknown = signal.reason;
  const why = reason instanceof Error ? reason.message : String(reason);
  return new ChaincodeError('CHAINCODE_CANCELLED', `transaction ${invocation.txId} of chaincode ${invocation.chaincodeName} was not run: its caller gave up before it had a sandbox (${why})`, {
    chaincode: invocation.chaincodeName,
    txId: invocation.txId,
  });
}
