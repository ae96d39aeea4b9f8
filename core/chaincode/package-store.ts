import * as fs from 'node:fs';
import * as path from 'node:path';
import { ChaincodeError } from '../errors';
import { packageIdOf, parsePackageId, readChaincodePackage } from './chaincode-package';
import type { InstalledChaincode } from './chaincode-runtime';

/**
 * Installed chaincode packages, kept as Fabric's peer keeps them: one file per package,
 * `<label>.<hash>.tar.gz`, in one directory. Writes go through a temp file and a rename so a crash
 * never leaves half a package.
 */
export class PackageStore {
  constructor(private readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
  }

  /** Checks and stores a package; returns its ID. Storing the same bytes twice is a no-op. */
  async save(packageBytes: Uint8Array): Promise<InstalledChaincode> {
    const pkg = await readChaincodePackage(packageBytes);
    const file = this.fileOf(pkg.packageId);
    if (!fs.existsSync(file)) {
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, packageBytes);
      fs.renameSync(tmp, file);
    }
    return { packageId: pkg.packageId, label: pkg.metadata.label };
  }

  /** The stored bytes; throws `CHAINCODE_NOT_INSTALLED` for an unknown ID. */
  load(packageId: string): Uint8Array {
    const file = this.fileOf(packageId);
    if (!fs.existsSync(file)) {
      throw new ChaincodeError('CHAINCODE_NOT_INSTALLED', `chaincode package '${packageId}' is not installed`, { packageId });
    }
    const bytes = fs.readFileSync(file);
    const { label } = parsePackageId(packageId);
    if (packageIdOf(label, bytes) !== packageId) {
      throw new ChaincodeError('CHAINCODE_CORRUPT_PACKAGE', `stored package file ${file} does not hash to '${packageId}'`, { packageId });
    }
    return bytes;
  }

  list(): InstalledChaincode[] {
    const out: InstalledChaincode[] = [];
    for (const name of fs.readdirSync(this.dir).sort()) {
      const m = /^(.+)\.([0-9a-f]{64})\.tar\.gz$/.exec(name);
      if (m) out.push({ packageId: `${m[1]}:${m[2]}`, label: m[1] });
    }
    return out;
  }

  remove(packageId: string): void {
    fs.rmSync(this.fileOf(packageId), { force: true });
  }

  private fileOf(packageId: string): string {
    const { label, hash } = parsePackageId(packageId);
    return path.join(this.dir, `${label}.${hash}.tar.gz`);
  }
}
