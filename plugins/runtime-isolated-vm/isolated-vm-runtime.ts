import { Buffer } from 'node:buffer';
import { readChaincodePackage } from '../../core/chaincode/chaincode-package';
import {
  resolveLimits,
  type ChaincodeInvocation,
  type ChaincodeResult,
  type ChaincodeRuntime,
  type InstalledChaincode,
  type RuntimeQueueMeter,
  type RuntimeSupport,
  type RuntimeSupportSource,
} from '../../core/chaincode/chaincode-runtime';
import { PackageStore } from '../../core/chaincode/package-store';
import { bundleFabricPackage, SOURCE_MAP_SUFFIX } from '../../core/chaincode/packager';
import { SUPPORTED_SANDBOX_ABIS } from '../../core/chaincode/host-api';
import { ChaincodeError } from '../../core/errors';
import { NodeLogging } from '../../core/node/logger';
import type { SandboxHeapSource, SandboxHeapUsage } from '../../core/peer/chaincode-metrics';
import { ChaincodeSandbox } from './chaincode-sandbox';
import { InspectorServer } from './inspector/inspector-server';
import { startInspector } from './inspector/start-inspector';
import { IsolatedVmRuntimeOptions } from './isolated-vm-runtime-options';
import { SandboxPool } from './sandbox-pool';

/**
 * Chaincode in isolated-vm, Fabric's stub and contract API inside: per installed package, isolates
 * for the transactions that run at once (one until they overlap), kept in memory for the
 * `loadedChaincodes` packages used last.
 */
export class IsolatedVmRuntime implements ChaincodeRuntime, SandboxHeapSource {
  private readonly options: ReturnType<typeof IsolatedVmRuntimeOptions.parse>;
  private readonly pools = new Map<string, SandboxPool>();
  private readonly store: PackageStore | undefined;
  private closed = false;
  /** Debug mode's DevTools endpoint; undefined (the default) without the `inspector` option. */
  private readonly inspector: InspectorServer | undefined;

  constructor(options: IsolatedVmRuntimeOptions = {}, logging?: NodeLogging) {
    this.options = IsolatedVmRuntimeOptions.parse(options);
    this.inspector = startInspector(this.options.inspector, logging);
    // Isolates share the process's time zone, and a date string without an offset
    // (`Date.parse('2024-01-01T00:00')`) is local time: UTC on every peer, as in Fabric's
    // chaincode containers. Node applies a change of TZ at once (the peer logs epoch times).
    if (process.env.TZ !== 'UTC') process.env.TZ = 'UTC';
    this.store = this.options.packageDir !== undefined ? new PackageStore(this.options.packageDir) : undefined;
  }

  async install(packageBytes: Uint8Array): Promise<InstalledChaincode> {
    this.checkOpen();
    const pkg = await readChaincodePackage(packageBytes);
    const installed = { packageId: pkg.packageId, label: pkg.metadata.label };
    if (this.pools.has(pkg.packageId)) return installed;
    const pkgJsonBytes = pkg.code.get('src/package.json') ?? new Uint8Array(0);
    let pkgJson: { main?: unknown; weft?: { abi?: unknown } };
    try {
      pkgJson = JSON.parse(Buffer.from(pkgJsonBytes).toString('utf8')) as typeof pkgJson;
    } catch (err) {
      throw new ChaincodeError('CHAINCODE_BAD_PACKAGE', `src/package.json is not JSON: ${(err as Error).message}`);
    }
    let bundle: string;
    let sourceMap: string | undefined;
    if (pkgJson.weft === undefined) {
      // A package from Fabric's own tooling: bundle its sources now (no network needed).
      ({ bundle, sourceMap } = await bundleFabricPackage(pkg));
    } else {
      if (!SUPPORTED_SANDBOX_ABIS.includes(pkgJson.weft.abi as number)) {
        throw new ChaincodeError('CHAINCODE_ABI_MISMATCH', `package ${pkg.packageId} targets sandbox ABI ${String(pkgJson.weft.abi)}, this runtime runs ABI ${SUPPORTED_SANDBOX_ABIS.join(' or ')}: re-package it`, { packageId: pkg.packageId });
      }
      const mainFile = typeof pkgJson.main === 'string' ? `src/${pkgJson.main.replace(/^\.\//, '')}` : undefined;
      const bytes = mainFile === undefined ? undefined : pkg.code.get(mainFile);
      if (bytes === undefined) {
        throw new ChaincodeError('CHAINCODE_BAD_PACKAGE', `package ${pkg.packageId}: src/package.json main ${JSON.stringify(pkgJson.main)} is not in the package`, { packageId: pkg.packageId });
      }
      bundle = Buffer.from(bytes).toString('utf8');
      const map = pkg.code.get(`${mainFile as string}${SOURCE_MAP_SUFFIX}`);
      // Packages made before source maps carry none: their stacks name bundle lines.
      if (map !== undefined) sourceMap = Buffer.from(map).toString('utf8');
    }
    const sandbox = new ChaincodeSandbox(pkg.packageId, bundle, {
      sourceMap,
      memoryLimitMb: this.options.memoryLimitMb,
      strict: this.options.strict,
      limits: resolveLimits({ timeoutMs: this.options.timeoutMs, maxValueBytes: this.options.maxValueBytes, maxTransactionBytes: this.options.maxTransactionBytes }),
      inspector: this.inspector,
    });
    try {
      sandbox.start();
    } catch (err) {
      sandbox.dispose();
      throw err;
    }
    if (this.store !== undefined) await this.store.save(packageBytes);
    // Debugging: one sandbox per chaincode, so that every transaction runs where the breakpoints are.
    const sandboxes = this.inspector === undefined ? this.options.sandboxesPerChaincode : 1;
    this.pools.set(pkg.packageId, new SandboxPool(sandbox, sandboxes, this.options.queuedPerChaincode));
    this.unloadBeyond(pkg.packageId);
    return installed;
  }

  /** Runs the transaction off the peer's event loop, queued behind the package's busy sandboxes. */
  async invoke(packageId: string, invocation: ChaincodeInvocation, support: RuntimeSupport | RuntimeSupportSource, signal?: AbortSignal, queue?: RuntimeQueueMeter): Promise<ChaincodeResult> {
    return this.pool(packageId).invoke(invocation, support, signal, queue);
  }

  /** The same as {@link invoke} on the calling thread, without the promise: for `invokeChaincode` from inside a sandbox. */
  invokeSync(packageId: string, invocation: ChaincodeInvocation, support: RuntimeSupport): ChaincodeResult {
    return this.pool(packageId).invokeSync(invocation, support);
  }

  /** The package's sandboxes, marked as the most recently used. */
  private pool(packageId: string): SandboxPool {
    this.checkOpen();
    const pool = this.pools.get(packageId);
    if (pool === undefined) {
      throw new ChaincodeError('CHAINCODE_NOT_INSTALLED', `chaincode package '${packageId}' is not installed on this runtime`, { packageId, installed: [...this.pools.keys()] });
    }
    // The map's order is the order of use: least recently used first.
    this.pools.delete(packageId);
    this.pools.set(packageId, pool);
    if (!pool.loaded) this.unloadBeyond(packageId);
    return pool;
  }

  /**
   * Unloads the least recently used idle packages while more than `loadedChaincodes` hold isolates,
   * `keep` (about to run) counted among them; a package with a transaction under way stays.
   */
  private unloadBeyond(keep: string): void {
    // Debugging: an unloaded isolate would take the developer's DevTools connection with it.
    if (this.inspector !== undefined) return;
    let loaded = 1;
    for (const [id, pool] of this.pools) if (id !== keep && pool.loaded) loaded++;
    for (const [id, pool] of this.pools) {
      if (loaded <= this.options.loadedChaincodes) return;
      if (id === keep || !pool.loaded || !pool.idle) continue;
      pool.unload();
      loaded--;
    }
  }

  /** How many installed packages hold isolates now (at most `loadedChaincodes` while idle). */
  loadedCount(): number {
    return [...this.pools.values()].filter((p) => p.loaded).length;
  }

  /**
   * Each package holding isolates, with their V8 heaps summed over its sandboxes: isolated-vm's
   * isolates are outside the peer's `process.memoryUsage()`, so the peer's metrics read them here
   * when scraped (see `SandboxHeapSource`).
   */
  async sandboxHeaps(): Promise<SandboxHeapUsage[]> {
    const pools = [...this.pools].filter(([, pool]) => pool.loaded);
    const heaps = await Promise.all(pools.map(async ([packageId, pool]) => ({ packageId, ...(await pool.heapStatistics()) })));
    return heaps.filter((h) => h.isolates > 0);
  }

  /** Reloads every package kept in `packageDir` (after a restart). */
  async restore(): Promise<InstalledChaincode[]> {
    if (this.store === undefined) return [];
    const out: InstalledChaincode[] = [];
    for (const { packageId } of this.store.list()) out.push(await this.install(this.store.load(packageId)));
    return out;
  }

  /** How many times a package's first sandbox made its isolate (1 unless it was restarted, or unloaded and invoked again). */
  isolateStarts(packageId: string): number {
    return this.pools.get(packageId)?.primary.isolateStarts ?? 0;
  }

  /** How many sandboxes (one isolate each) a package has started: 1 until transactions overlapped. */
  sandboxCount(packageId: string): number {
    return this.pools.get(packageId)?.size ?? 0;
  }

  async uninstall(packageId: string): Promise<void> {
    const pool = this.pools.get(packageId);
    this.pools.delete(packageId);
    pool?.dispose();
    this.store?.remove(packageId);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const pool of this.pools.values()) pool.dispose();
    this.pools.clear();
    await this.inspector?.close();
  }

  /**
   * Where debug mode's DevTools endpoint listens (`http://<host>:<port>/json/list`); undefined
   * without the `inspector` option. Rejects `RUNTIME_INSPECTOR_LISTEN` if the port could not be had.
   */
  async inspectorAddress(): Promise<{ host: string; port: number } | undefined> {
    if (this.inspector === undefined) return undefined;
    const { address, port } = await this.inspector.address();
    return { host: address, port };
  }

  private checkOpen(): void {
    if (this.closed) throw new ChaincodeError('CHAINCODE_RUNTIME_CLOSED', 'the chaincode runtime is closed');
  }
}
