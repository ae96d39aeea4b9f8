import type { ChaincodeRuntime, InstalledChaincode } from '../../chaincode/chaincode-runtime';
import type { PackageStore } from '../../chaincode/package-store';

/**
 * Installs chaincode packages on this peer: stored on disk (Fabric's layout) and loaded into the
 * runtime so the first proposal does not pay for it. Used by `_lifecycle InstallChaincode`.
 */
export class ChaincodeInstaller {
  constructor(
    private readonly packages: PackageStore,
    private readonly runtime: ChaincodeRuntime | undefined,
  ) {}

  async install(packageBytes: Uint8Array): Promise<InstalledChaincode> {
    const installed = await this.packages.save(packageBytes);
    if (this.runtime !== undefined) await this.runtime.install(packageBytes);
    return installed;
  }

  list(): InstalledChaincode[] {
    return this.packages.list();
  }

  load(packageId: string): Uint8Array {
    return this.packages.load(packageId);
  }
}
