import ivm from 'isolated-vm';
import type { ChaincodeInvocation, ChaincodeResult, RuntimeLimits, RuntimeSupport } from '../../core/chaincode/chaincode-runtime';
import { SUPPORTED_SANDBOX_ABIS, type HostTable } from '../../core/chaincode/host-api';
import { createHostTable, toSandboxInvocation } from '../../core/chaincode/host-table';
import { LoadLog } from '../../core/chaincode/host-log';
import { HostSession } from '../../core/chaincode/host-session';
import { StackSourceMap } from '../../core/chaincode/stack-source-map';
import { ChaincodeError } from '../../core/errors';
import type { SandboxHeapUsage } from '../../core/peer/chaincode-metrics';
import { debugScript, debugScriptUrl } from './inspector/debug-script';
import { disposeDetached } from './inspector/dispose-detached';
import type { InspectorServer, RegisteredTarget } from './inspector/inspector-server';
import { completeWithoutReply, hostCallbacks, waitingCall, type HostHolder } from './sandbox-host-handles';

export interface SandboxOptions {
  /** The bundle's source map, when the package carries one. */
  readonly sourceMap?: string;
  readonly memoryLimitMb: number;
  readonly strict: boolean;
  readonly limits: Required<RuntimeLimits>;
  /**
   * Debug mode: the isolate runs with V8's inspector and is listed here as a DevTools target. Its
   * time limit needs no change: isolated-vm stops a run's timer while the isolate is paused in the
   * debugger (as it does while a host call is served), so only time spent running counts.
   */
  readonly inspector?: InspectorServer;
}

interface LiveContext {
  readonly context: ivm.Context;
  readonly dispatch: ivm.Reference<(inv: unknown) => void>;
}

/** One transaction under way in a sandbox. */
interface Started {
  readonly ctx: LiveContext;
  readonly session: HostSession;
  readonly limits: Required<RuntimeLimits>;
  /** Milliseconds left of the transaction's time limit once its context is ready. */
  readonly remaining: number;
}

const EMPTY = new Uint8Array(0);
/** How long a metrics scrape waits for an isolate's heap before it takes the last value read. */
const HEAP_READ_WAIT_MS = 200;

/**
 * Releases a context and the dispatcher reference into it: the reference alone keeps the whole
 * context (its copy of the bundle) alive until Node collects the handle, and strict mode makes one
 * context per transaction, which filled the isolate's heap within a few hundred transactions.
 */
function release(ctx: LiveContext): void {
  try {
    ctx.dispatch.release();
    ctx.context.release();
  } catch {
    // Already gone with its isolate.
  }
}

function failure(message: string): ChaincodeResult {
  return { response: { status: 500, message, payload: EMPTY } };
}

function disposedFailure(packageId: string): ChaincodeResult {
  return failure(`chaincode ${packageId}: its sandbox was disposed (uninstalled or the peer is stopping) while the transaction ran`);
}

function timeoutFailure(limits: Required<RuntimeLimits>, support: RuntimeSupport): ChaincodeResult {
  support.metrics?.executeTimeout();
  return failure(`timeout expired while executing transaction (limit ${limits.timeoutMs} ms)`);
}

/**
 * One installed chaincode: its isolate, its compiled bundle, and (by default) one context reused
 * across transactions, as a Fabric chaincode process keeps its contract instances. A transaction
 * runs on isolated-vm's thread pool ({@link invokeAsync}), a chaincode-to-chaincode call too while
 * its caller's thread waits; a call from a caller that cannot wait (a bundle whose stub predates
 * waiting) runs on the calling thread ({@link invoke}), where the caller's host callback waits for it.
 * isolated-vm's pool has a thread per core and one more, and starts a thread beyond them when all
 * are busy, so callers waiting on their threads never leave a callee without one.
 */
export class ChaincodeSandbox {
  private isolate: ivm.Isolate | undefined;
  private lastHeap: Pick<SandboxHeapUsage, 'usedBytes' | 'totalBytes'> | undefined;
  private script: ivm.Script | undefined;
  private live: LiveContext | undefined;
  private session: HostSession | undefined;
  private readonly callbacks: ivm.Callback[];
  private readonly waiting: ivm.Reference;
  private readonly completeQueued: ivm.Callback;
  private readonly tableHolder: HostHolder;
  private readonly names: (keyof HostTable)[];
  /** Names project files in place of bundle positions in stack traces; undefined without a source map. */
  private readonly mapStacks: ((text: string) => string) | undefined;
  private readonly stacks: StackSourceMap | undefined;
  private readonly loadLog = new LoadLog();
  private readonly debugTarget: RegisteredTarget | undefined;
  /** How many times the isolate was (re)created: visible to tests and metrics. */
  isolateStarts = 0;

  constructor(
    readonly packageId: string,
    private readonly bundle: string,
    private readonly options: SandboxOptions,
  ) {
    const table = createHostTable(
      () => this.session,
      (level, logger, message) => this.loadLog.record(level, logger, message),
    );
    this.names = Object.keys(table) as (keyof HostTable)[];
    this.tableHolder = { table, session: () => this.session };
    this.callbacks = hostCallbacks(this.names, this.tableHolder, packageId);
    this.waiting = waitingCall(this.tableHolder, packageId);
    this.completeQueued = completeWithoutReply(this.tableHolder);
    const stacks = options.sourceMap === undefined ? undefined : new StackSourceMap(options.sourceMap, this.scriptName);
    this.stacks = stacks;
    this.mapStacks = stacks && ((text: string): string => stacks.rewrite(text));
    this.debugTarget = options.inspector?.register({ title: `chaincode ${packageId}`, url: this.scriptName, openSession: () => this.openInspectorSession() });
  }

  /** The name V8 gives the bundle in stack frames (a URL DevTools resolves the source map's files against, in debug mode). */
  private get scriptName(): string {
    return this.options.inspector === undefined ? `chaincode:${this.packageId}` : debugScriptUrl(this.packageId);
  }

  /** A DevTools session on this sandbox's isolate, loading it first if it was reset. */
  private openInspectorSession(): ivm.InspectorSession {
    if (this.tableHolder.table === undefined) throw new ChaincodeError('CHAINCODE_RUNTIME_CLOSED', `chaincode ${this.packageId}: its sandbox was disposed`, { packageId: this.packageId });
    this.ensureIsolate();
    return (this.isolate as ivm.Isolate).createInspectorSession();
  }

  /** Creates the isolate and evaluates the bundle once; throws ChaincodeError if the chaincode cannot load. */
  start(): void {
    this.ensureIsolate();
    try {
      if (!this.options.strict) this.live = this.createContext(this.options.limits.timeoutMs);
      else release(this.createContext(this.options.limits.timeoutMs));
    } finally {
      this.loadLog.stopRecording();
    }
  }

  /** True when DevTools may attach to it (debug mode; its forks are not). */
  get debuggable(): boolean {
    return this.options.inspector !== undefined;
  }

  /** True while a transaction runs in it: a call from chaincode back into this package needs another sandbox. */
  get busy(): boolean {
    return this.session !== undefined;
  }

  /**
   * Another sandbox of the same bundle, started: for a transaction of this package that begins while
   * one runs here (a chaincode calling itself on another channel), as Fabric's chaincode process
   * serves transactions side by side. The bundle's load-time log entries are not repeated.
   */
  fork(): ChaincodeSandbox {
    // Without an inspector: a sibling serves the calls from other chaincode, which run on the main
    // thread, where a breakpoint would stop the very event loop that relays the debugger's "resume".
    const sibling = new ChaincodeSandbox(this.packageId, this.bundle, { ...this.options, inspector: undefined });
    sibling.loadLog.stopRecording();
    try {
      sibling.start();
    } catch (err) {
      sibling.dispose();
      throw err;
    }
    return sibling;
  }

  /**
   * Runs one transaction on the calling thread (`applySync`): for a chaincode-to-chaincode call,
   * made from a host callback on the main thread while the caller's isolate waits for it.
   */
  invoke(invocation: ChaincodeInvocation, support: RuntimeSupport): ChaincodeResult {
    const started = this.begin(invocation, support);
    if ('response' in started) return started;
    try {
      started.ctx.dispatch.applySync(undefined, [toSandboxInvocation(invocation, started.limits, support.log)], { timeout: started.remaining, arguments: { copy: true } });
    } catch (err) {
      return this.classify(err, started.limits, support);
    } finally {
      this.end(started);
    }
    return this.settle(started.session);
  }

  /**
   * Runs one transaction on isolated-vm's thread pool (`apply`): the peer's event loop stays free
   * while chaincode computes, and the chaincode's host calls are served on it between other work
   * (a Fabric chaincode is a process of its own). Each host call then costs a thread hop (~20 µs
   * rather than ~2, dependencies.md §2), the price of a peer that keeps answering.
   */
  async invokeAsync(invocation: ChaincodeInvocation, support: RuntimeSupport): Promise<ChaincodeResult> {
    const started = this.begin(invocation, support);
    if ('response' in started) return started;
    try {
      await started.ctx.dispatch.apply(undefined, [toSandboxInvocation(invocation, started.limits, support.log, true)], { timeout: started.remaining, arguments: { copy: true } });
    } catch (err) {
      return this.classify(err, started.limits, support);
    } finally {
      this.end(started);
    }
    return this.settle(started.session);
  }

  /** Readies a context and opens the transaction's session, or answers the failure that prevents it. */
  private begin(invocation: ChaincodeInvocation, support: RuntimeSupport): Started | ChaincodeResult {
    if (this.tableHolder.table === undefined) return disposedFailure(this.packageId);
    const limits = { ...this.options.limits, ...(support.limits ?? {}) } as Required<RuntimeLimits>;
    if (this.session !== undefined) {
      // Re-entering a running isolate would settle nothing until the outer call returns.
      return failure(`chaincode ${this.packageId} is already executing transaction ${this.session.invocation.txId}: it cannot be invoked recursively`);
    }
    // One deadline for the whole invocation: the bundle's top level, when the context has to be
    // (re)created first, takes from the transaction's time, not a budget of its own on top.
    const deadline = performance.now() + limits.timeoutMs;
    let ctx: LiveContext;
    try {
      this.ensureIsolate();
      ctx = this.options.strict ? this.createContext(limits.timeoutMs) : (this.live ??= this.createContext(limits.timeoutMs));
    } catch (err) {
      if (err instanceof ChaincodeError && err.code === 'CHAINCODE_LOAD_TIMEOUT') {
        this.reset(false);
        return timeoutFailure(limits, support);
      }
      this.reset(true);
      return failure(err instanceof ChaincodeError ? err.message : `chaincode failed to start: ${(err as Error).message}`);
    }
    // isolated-vm reads a timeout of 0 as none at all.
    const remaining = Math.floor(deadline - performance.now());
    if (remaining < 1) {
      if (this.options.strict) release(ctx);
      return timeoutFailure(limits, support);
    }
    this.loadLog.flush(support.log, invocation.channelId, this.mapStacks);
    const session = new HostSession(invocation, support, limits, this.mapStacks);
    this.session = session;
    return { ctx, session, limits, remaining };
  }

  private end(started: Started): void {
    this.session = undefined;
    // What the chaincode left open ends with its transaction, as Fabric's handler closes a transaction's iterators.
    started.session.close();
    if (this.options.strict && this.isolate !== undefined && !this.isolate.isDisposed) release(started.ctx);
  }

  private settle(session: HostSession): ChaincodeResult {
    const outcome = session.outcome;
    if (outcome === undefined) {
      // Its continuation could run during a later transaction: the context must not survive.
      this.reset(false);
      return failure('chaincode returned a promise that was still pending when the transaction ended (chaincode must not wait on anything but stub calls)');
    }
    return { response: { status: outcome.status, message: outcome.message, payload: outcome.payload }, ...(outcome.event ? { event: outcome.event } : {}) };
  }

  /** True while the sandbox has an isolate (and its compiled bundle) in memory. */
  get loaded(): boolean {
    return this.isolate !== undefined && !this.isolate.isDisposed;
  }

  /**
   * The isolate's V8 heap as last read, read again unless a transaction holds the isolate. The read
   * runs on the isolate's own thread (a synchronous one would block the event loop) and so waits for
   * a transaction running there, up to its time limit: a scrape does not wait that long, it takes
   * the last value (undefined before the first read, or while the sandbox has no isolate).
   */
  async heapStatistics(): Promise<Pick<SandboxHeapUsage, 'usedBytes' | 'totalBytes'> | undefined> {
    const isolate = this.isolate;
    if (isolate === undefined || isolate.isDisposed) return undefined;
    // A read would queue behind the transaction: scrapes during a long one would pile up there.
    if (this.busy) return this.lastHeap;
    const read = isolate.getHeapStatistics().then(
      (heap) => (this.lastHeap = { usedBytes: heap.used_heap_size, totalBytes: heap.total_heap_size }),
      () => undefined, // disposed (unloaded, uninstalled) while the read waited
    );
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), HEAP_READ_WAIT_MS)));
    try {
      return (await Promise.race([read, late])) ?? (isolate.isDisposed ? undefined : this.lastHeap);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Releases the isolate and its compiled bundle, keeping what makes them again: the next
   * transaction loads the bundle anew on its own time, as a Fabric peer launches an installed
   * chaincode when it is next invoked. Not while a transaction runs.
   */
  unload(): void {
    if (!this.busy) this.reset(true);
  }

  dispose(): void {
    // First: a transaction in flight on the thread pool then reads its rejection as a disposal.
    this.tableHolder.table = undefined;
    this.tableHolder.session = undefined;
    this.reset(true);
    this.debugTarget?.remove();
  }

  private classify(err: unknown, limits: Required<RuntimeLimits>, support: RuntimeSupport): ChaincodeResult {
    const message = err instanceof Error ? err.message : String(err);
    // Uninstalled or closed while this ran on the thread pool: its isolate went with it.
    if (this.tableHolder.table === undefined) return disposedFailure(this.packageId);
    if (this.isolate === undefined || this.isolate.isDisposed || /memory limit/i.test(message)) {
      this.reset(true);
      return failure(`chaincode exceeded its memory limit of ${this.options.memoryLimitMb} MB; its sandbox was restarted`);
    }
    this.reset(false);
    if (/timed out/i.test(message)) return timeoutFailure(limits, support);
    return failure(`chaincode failed: ${message}`);
  }

  private reset(isolateToo: boolean): void {
    if (this.live !== undefined && this.isolate !== undefined && !this.isolate.isDisposed) release(this.live);
    this.live = undefined;
    if (isolateToo) {
      if (this.isolate !== undefined && !this.isolate.isDisposed) {
        if (this.debugTarget === undefined) this.isolate.dispose();
        else disposeDetached(this.isolate, this.debugTarget);
      }
      this.isolate = undefined;
      this.script = undefined;
    }
  }

  private ensureIsolate(): void {
    if (this.isolate !== undefined && !this.isolate.isDisposed) return;
    this.live = undefined;
    const debugging = this.options.inspector !== undefined;
    this.isolate = new ivm.Isolate({ memoryLimit: this.options.memoryLimitMb, inspector: debugging });
    this.isolateStarts++;
    const source = debugging ? debugScript(this.bundle, this.options.sourceMap) : this.bundle;
    try {
      this.script = this.isolate.compileScriptSync(source, { filename: this.scriptName });
    } catch (err) {
      throw new ChaincodeError('CHAINCODE_LOAD_FAILED', `chaincode ${this.packageId} does not compile: ${(err as Error).message}`, { packageId: this.packageId });
    }
  }

  /** A fresh context with the bundle evaluated in it, its top level given `timeoutMs`. */
  private createContext(timeoutMs: number): LiveContext {
    const isolate = this.isolate as ivm.Isolate;
    const context = isolate.createContextSync({ inspector: this.options.inspector !== undefined });
    try {
      const assign = this.names.map((n, i) => `${JSON.stringify(n)}: $${i}`).join(', ');
      // Every level: the load log keeps what the first transaction's log level lets through.
      const loadLevel = this.loadLog.isRecording ? ' globalThis.__weftLoadLogLevel = 0;' : '';
      const waiting = `invokeChaincodeWaiting: (...a) => $${this.names.length}.applySyncPromise(undefined, a, { arguments: { copy: true } })`;
      const queued = `completeQueued: $${this.names.length + 1}`;
      context.evalClosureSync(`globalThis.__weftHost = { ${assign}, ${waiting}, ${queued} };${loadLevel}`, [...this.callbacks, this.waiting, this.completeQueued]);
      (this.script as ivm.Script).runSync(context, { timeout: timeoutMs });
      const abi = context.global.getSync('__weftAbi') as unknown;
      if (!SUPPORTED_SANDBOX_ABIS.includes(abi as number)) {
        throw new ChaincodeError('CHAINCODE_ABI_MISMATCH', `chaincode ${this.packageId} was built for sandbox ABI ${String(abi)}, this runtime runs ABI ${SUPPORTED_SANDBOX_ABIS.join(' or ')}: re-package it`, { packageId: this.packageId });
      }
      const dispatch = context.global.getSync('__weftDispatch', { reference: true }) as ivm.Reference<(inv: unknown) => void>;
      // The reference keeps the dispatcher alive; chaincode code has no business calling it. A bundle
      // from before load logs leaves their level behind.
      context.evalSync('delete globalThis.__weftDispatch; delete globalThis.__weftAbi; delete globalThis.__weftLoadLogLevel;');
      return { context, dispatch };
    } catch (err) {
      if (!isolate.isDisposed) context.release();
      if (err instanceof ChaincodeError) throw err;
      const message = (err as Error).message;
      // Top-level code that never returns: the chaincode never became ready, as a Fabric launch timeout.
      const code = /timed out/i.test(message) ? 'CHAINCODE_LOAD_TIMEOUT' : 'CHAINCODE_LOAD_FAILED';
      const stack = (err as Error).stack;
      const at = stack === undefined ? undefined : this.stacks?.origin(stack);
      throw new ChaincodeError(code, `chaincode ${this.packageId} failed to load: ${message}${at === undefined ? '' : ` (at ${at})`}`, { packageId: this.packageId });
    }
  }
}
