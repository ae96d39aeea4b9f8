import { readChaincodePackage } from '../../chaincode/chaincode-package';
import type { InstalledChaincode } from '../../chaincode/chaincode-runtime';
import type { PackageStore } from '../../chaincode/package-store';
import { ChaincodeError } from '../../errors';

/**
 * Loads a stored package into the chaincode runtime (the executor's `load`, so an install and the
 * first proposal share one load and one launch in the metrics). Throws what the runtime threw.
 */
export type LoadPackage = (packageId: string, label: string) => Promise<void>;

/**
 * Installs chaincode packages on this peer: stored on disk (Fabric's layout) and loaded into the
 * runtime so the first proposal does not pay for it. Used by `_lifecycle InstallChaincode`.
 *
 * As Fabric's `InstallChaincode` with its build registry: installs of one package run one at a
 * time; once one succeeded, another fails "chaincode already successfully installed" (until the
 * peer restarts); a package the runtime cannot load is removed again, so it is never listed as
 * installed.
 */
export class ChaincodeInstaller {
  /** Per package ID, the last install's outcome (or the one in progress). */
  private readonly builds = new Map<string, Promise<boolean>>();
  /** Resolves once the last install called has taken its place in {@link builds}. */
  private lastRegistration: Promise<void> = Promise.resolve();

  constructor(
    private readonly packages: PackageStore,
    /** Absent on a peer without a chaincode runtime: packages are only stored. */
    private readonly loadPackage: LoadPackage | undefined,
    /** Runs once the package is stored and loaded (the peer declares its indexes where it is now invocable). */
    private readonly afterInstall?: (installed: InstalledChaincode) => Promise<void>,
  ) {}

  /**
   * Parses, stores and loads a package. Throws `CHAINCODE_BAD_PACKAGE` (or another parse error)
   * for bytes that are no valid package, `CHAINCODE_ALREADY_INSTALLED` when this peer has installed
   * it since it started, and what the store or the runtime threw otherwise.
   */
  async install(packageBytes: Uint8Array): Promise<InstalledChaincode> {
    // Installs take their place in the queue of a package in the order they were called, not in
    // the order their bytes finish parsing (inflating runs on libuv's pool): the first call is the
    // one that builds, a concurrent second one waits for it.
    const turn = this.lastRegistration;
    let registered!: () => void;
    this.lastRegistration = new Promise<void>((resolve) => (registered = resolve));
    let pkg: Awaited<ReturnType<typeof readChaincodePackage>>;
    try {
      pkg = await readChaincodePackage(packageBytes);
    } catch (err) {
      await turn;
      registered();
      throw err;
    }
    await turn;
    const { packageId } = pkg;
    const previous = this.builds.get(packageId);
    let succeeded!: (ok: boolean) => void;
    const mine = new Promise<boolean>((resolve) => (succeeded = resolve));
    // Set before any await: a concurrent install of the same package queues behind this one.
    this.builds.set(packageId, mine);
    registered();
    if (previous !== undefined && (await previous)) {
      succeeded(true);
      throw new ChaincodeError('CHAINCODE_ALREADY_INSTALLED', `chaincode already successfully installed (package ID '${packageId}')`, { packageId });
    }
    let installed: InstalledChaincode;
    try {
      installed = this.packages.store(pkg, packageBytes);
      if (this.loadPackage !== undefined) await this.loadPackage(installed.packageId, installed.label);
    } catch (err) {
      // Fabric deletes a package its builder refused: listed as installed, it would be approved and fail at every proposal.
      this.packages.remove(packageId);
      succeeded(false);
      throw err;
    }
    succeeded(true);
    // After the load, as Fabric tells its install listener only of a package that built; the
    // package stays installed whatever the listener does.
    await this.afterInstall?.(installed);
    return installed;
  }

  list(): InstalledChaincode[] {
    return this.packages.list();
  }

  load(packageId: string): Uint8Array {
    return this.packages.load(packageId);
  }
}
