import type { InstalledChaincode } from '../../chaincode/chaincode-runtime';
import type { PackageStore } from '../../chaincode/package-store';

/**
 * Loads a stored package into the chaincode runtime (the executor's `load`, so an install and the
 * first proposal share one load and one launch in the metrics). Throws what the runtime threw.
 */
export type LoadPackage = (packageId: string, label: string) => Promise<void>;

/**
 * Installs chaincode packages on this peer: stored on disk (Fabric's layout) and loaded into the
 * runtime so the first proposal does not pay for it. Used by `_lifecycle InstallChaincode`.
 */
export class ChaincodeInstaller {
  constructor(
    private readonly packages: PackageStore,
    /** Absent on a peer without a chaincode runtime: packages are only stored. */
    private readonly loadPackage: LoadPackage | undefined,
    /** Runs once the package is stored (the peer declares its indexes where it is now invocable). */
    private readonly afterInstall?: (installed: InstalledChaincode) => Promise<void>,
  ) {}

  async install(packageBytes: Uint8Array): Promise<InstalledChaincode> {
    const installed = await this.packages.save(packageBytes);
    await this.afterInstall?.(installed);
    if (this.loadPackage !== undefined) await this.loadPackage(installed.packageId, installed.label);
    return installed;
  }

  list(): InstalledChaincode[] {
    return this.packages.list();
  }

  load(packageId: string): Uint8Array {
    return this.packages.load(packageId);
  }
}
