import type { ChaincodeInvocation, ChaincodeResult, ChaincodeRuntime, InstalledChaincode, RuntimeQueueMeter, RuntimeSupport, RuntimeSupportSource } from './chaincode-runtime';
import { readTarGz } from './package-archive';
import type { PackageTypeRuntime } from './package-type-runtime';

/**
 * The `type` of a package's `metadata.json`, lower case, reading nothing else of it; undefined when
 * the package has none to read (the slot's runtime then refuses it with its own error).
 */
async function packageTypeOf(packageBytes: Uint8Array): Promise<string | undefined> {
  try {
    const outer = await readTarGz(packageBytes, 'chaincode package', { allowDirectories: false, keep: (name) => name === 'metadata.json' });
    const metadata = outer.get('metadata.json');
    const type: unknown = metadata === undefined ? undefined : (JSON.parse(Buffer.from(metadata).toString('utf8')) as { type?: unknown }).type;
    return typeof type === 'string' ? type.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A {@link ChaincodeRuntime} that sends each package to the runtime of its type: decided once, at
 * install, so a transaction costs one map lookup more than the runtime it reaches. A package never
 * installed here goes to the slot's runtime, whose error for an unknown package the peer expects.
 */
export class ChaincodeRuntimeRouter implements ChaincodeRuntime {
  private readonly byType: ReadonlyMap<string, ChaincodeRuntime>;
  private readonly byPackage = new Map<string, ChaincodeRuntime>();

  constructor(
    private readonly slotRuntime: ChaincodeRuntime,
    typed: readonly PackageTypeRuntime[],
  ) {
    this.byType = new Map(typed.map((t) => [t.packageType.toLowerCase(), t.runtime]));
  }

  /** The runtime the package's type names (else the slot's) installs it. */
  async install(packageBytes: Uint8Array): Promise<InstalledChaincode> {
    const type = this.byType.size === 0 ? undefined : await packageTypeOf(packageBytes);
    const runtime = (type === undefined ? undefined : this.byType.get(type)) ?? this.slotRuntime;
    const installed = await runtime.install(packageBytes);
    this.byPackage.set(installed.packageId, runtime);
    return installed;
  }

  invoke(packageId: string, invocation: ChaincodeInvocation, support: RuntimeSupport | RuntimeSupportSource, signal?: AbortSignal, queue?: RuntimeQueueMeter): Promise<ChaincodeResult> {
    return (this.byPackage.get(packageId) ?? this.slotRuntime).invoke(packageId, invocation, support, signal, queue);
  }

  invokeSync(packageId: string, invocation: ChaincodeInvocation, support: RuntimeSupport): ChaincodeResult {
    return (this.byPackage.get(packageId) ?? this.slotRuntime).invokeSync(packageId, invocation, support);
  }

  async uninstall(packageId: string): Promise<void> {
    const runtime = this.byPackage.get(packageId) ?? this.slotRuntime;
    this.byPackage.delete(packageId);
    await runtime.uninstall(packageId);
  }

  /** Closes the slot's runtime and every typed one. */
  async close(): Promise<void> {
    await Promise.all([this.slotRuntime, ...this.byType.values()].map((r) => r.close()));
  }
}
