import { Buffer } from 'node:buffer';
import { readChaincodePackage } from '../../core/chaincode/chaincode-package';
import {
  resolveLimits,
  type ChaincodeInvocation,
  type ChaincodeResult,
  type ChaincodeRuntime,
  type InstalledChaincode,
  type RuntimeSupport,
} from '../../core/chaincode/chaincode-runtime';
import { PackageStore } from '../../core/chaincode/package-store';
import { bundleFabricPackage, SOURCE_MAP_SUFFIX } from '../../core/chaincode/packager';
import { SUPPORTED_SANDBOX_ABIS } from '../../core/chaincode/host-api';
import { ChaincodeError } from '../../core/errors';
import { ChaincodeSandbox } from './chaincode-sandbox';
import { IsolatedVmRuntimeOptions } from './isolated-vm-runtime-options';

/** Chaincode in isolated-vm: one isolate per installed package, Fabric's stub and contract API inside. */
export class IsolatedVmRuntime implements ChaincodeRuntime {
  private readonly options: ReturnType<typeof IsolatedVmRuntimeOptions.parse>;
  private readonly sandboxes = new Map<string, ChaincodeSandbox>();
  /** Per package, the sandboxes forked for transactions that began while its sandbox was busy; kept for the next. */
  private readonly siblings = new Map<string, ChaincodeSandbox[]>();
  private readonly store: PackageStore | undefined;
  private closed = false;

  constructor(options: IsolatedVmRuntimeOptions = {}) {
    this.options = IsolatedVmRuntimeOptions.parse(options);
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
    if (this.sandboxes.has(pkg.packageId)) return installed;
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
    });
    try {
      sandbox.start();
    } catch (err) {
      sandbox.dispose();
      throw err;
    }
    if (this.store !== undefined) await this.store.save(packageBytes);
    this.sandboxes.set(pkg.packageId, sandbox);
    return installed;
  }

  async invoke(packageId: string, invocation: ChaincodeInvocation, support: RuntimeSupport): Promise<ChaincodeResult> {
    return this.invokeSync(packageId, invocation, support);
  }

  /** The same as {@link invoke}, without the promise: for `invokeChaincode` from inside a sandbox. */
  invokeSync(packageId: string, invocation: ChaincodeInvocation, support: RuntimeSupport): ChaincodeResult {
    this.checkOpen();
    const sandbox = this.sandboxes.get(packageId);
    if (sandbox === undefined) {
      throw new ChaincodeError('CHAINCODE_NOT_INSTALLED', `chaincode package '${packageId}' is not installed on this runtime`, { packageId, installed: [...this.sandboxes.keys()] });
    }
    if (!sandbox.busy) return sandbox.invoke(invocation, support);
    let sibling: ChaincodeSandbox;
    try {
      sibling = this.idleSibling(sandbox);
    } catch (err) {
      // Answered as a sandbox that cannot start answers: the chaincode's failure, not the runtime's.
      const message = err instanceof ChaincodeError ? err.message : `chaincode failed to start: ${(err as Error).message}`;
      return { response: { status: 500, message, payload: new Uint8Array(0) } };
    }
    return sibling.invoke(invocation, support);
  }

  /**
   * A sandbox of the same package that is not running anything. The peer lets a package re-enter
   * only for another channel or transaction, so a package needs at most one sibling per nesting level.
   */
  private idleSibling(sandbox: ChaincodeSandbox): ChaincodeSandbox {
    let siblings = this.siblings.get(sandbox.packageId);
    if (siblings === undefined) this.siblings.set(sandbox.packageId, (siblings = []));
    const idle = siblings.find((s) => !s.busy);
    if (idle !== undefined) return idle;
    const sibling = sandbox.fork();
    siblings.push(sibling);
    return sibling;
  }

  private disposeSiblings(packageId: string): void {
    for (const sibling of this.siblings.get(packageId) ?? []) sibling.dispose();
    this.siblings.delete(packageId);
  }

  /** Reloads every package kept in `packageDir` (after a restart). */
  async restore(): Promise<InstalledChaincode[]> {
    if (this.store === undefined) return [];
    const out: InstalledChaincode[] = [];
    for (const { packageId } of this.store.list()) out.push(await this.install(this.store.load(packageId)));
    return out;
  }

  /** How many times a package's isolate has been created (1 unless it was restarted). */
  isolateStarts(packageId: string): number {
    return this.sandboxes.get(packageId)?.isolateStarts ?? 0;
  }

  async uninstall(packageId: string): Promise<void> {
    const sandbox = this.sandboxes.get(packageId);
    this.sandboxes.delete(packageId);
    sandbox?.dispose();
    this.disposeSiblings(packageId);
    this.store?.remove(packageId);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const [packageId, sandbox] of this.sandboxes) {
      sandbox.dispose();
      this.disposeSiblings(packageId);
    }
    this.sandboxes.clear();
  }

  private checkOpen(): void {
    if (this.closed) throw new ChaincodeError('CHAINCODE_RUNTIME_CLOSED', 'the chaincode runtime is closed');
  }
}
