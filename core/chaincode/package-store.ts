import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ChaincodeError } from '../errors';
import { type ChaincodePackage, packageIdOf, parsePackageId, readChaincodePackage } from './chaincode-package';
import type { InstalledChaincode } from './chaincode-runtime';

/** Temp files of a write in progress (Fabric's prefix): never listed, removed when the store opens. */
const TEMP_PREFIX = '.ccpackage.';
/** The temp files earlier Weft versions left when they crashed mid-write: `<file>.<pid>.tmp`. */
const OLD_TEMP = /\.tar\.gz\.\d+\.tmp$/;
/** Longest file name most file systems take (ext4, xfs, btrfs, APFS: 255 bytes). */
const MAX_FILE_NAME_BYTES = 255;
const PACKAGE_FILE = /^(.+)\.([0-9a-f]{64})\.tar\.gz$/;

/**
 * Installed chaincode packages, kept as Fabric's peer keeps them: one file per package,
 * `<label>.<hash>.tar.gz`, in one directory. A package is written to a temp file, flushed to disk,
 * renamed into place and the directory flushed: a crash leaves either no package or all of it.
 */
export class PackageStore {
  constructor(private readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o750 });
    // Only a crash leaves these: no write is in progress while the store opens.
    for (const name of fs.readdirSync(dir)) {
      if (name.startsWith(TEMP_PREFIX) || OLD_TEMP.test(name)) fs.rmSync(path.join(dir, name), { force: true });
    }
  }

  /**
   * Checks and stores a package; returns its ID. Storing the same bytes twice writes once, unless
   * the file in place does not hash to its ID (written by a crash before writes were flushed): then
   * it is written again.
   */
  async save(packageBytes: Uint8Array): Promise<InstalledChaincode> {
    return this.store(await readChaincodePackage(packageBytes), packageBytes);
  }

  /** Stores a package already parsed from `packageBytes` (the installer parses it once). */
  store(pkg: ChaincodePackage, packageBytes: Uint8Array): InstalledChaincode {
    const installed = { packageId: pkg.packageId, label: pkg.metadata.label };
    const name = this.fileName(pkg.packageId);
    if (Buffer.byteLength(name) > MAX_FILE_NAME_BYTES) {
      throw new ChaincodeError(
        'CHAINCODE_BAD_LABEL',
        `label '${pkg.metadata.label.slice(0, 40)}…' is ${Buffer.byteLength(pkg.metadata.label)} bytes: the package file <label>.<hash>.tar.gz must fit a ${MAX_FILE_NAME_BYTES}-byte file name, so a label may have at most ${MAX_FILE_NAME_BYTES - (name.length - pkg.metadata.label.length)}`,
        { label: pkg.metadata.label },
      );
    }
    const file = path.join(this.dir, name);
    if (this.holdsIntact(file, pkg.packageId)) return installed;
    const tmp = path.join(this.dir, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
    try {
      const fd = fs.openSync(tmp, 'wx', 0o640);
      try {
        fs.writeFileSync(fd, packageBytes);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, file);
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      const errno = (err as NodeJS.ErrnoException).code;
      // The directory names the filesystem an operator must look at; the errno says what to do there.
      const reason = errno === 'ENOSPC' ? 'no space left on device (ENOSPC); free space on that filesystem' : (errno ?? (err as Error).message);
      throw new ChaincodeError('CHAINCODE_STORE_FAILED', `cannot write chaincode package '${pkg.packageId}' in ${this.dir}: ${reason}`, { packageId: pkg.packageId, path: this.dir, ...(errno !== undefined && { errno }) }, { cause: err });
    }
    this.syncDir();
    return installed;
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
      throw new ChaincodeError('CHAINCODE_CORRUPT_PACKAGE', `stored package file ${path.basename(file)} does not hash to '${packageId}'`, { packageId });
    }
    return bytes;
  }

  list(): InstalledChaincode[] {
    const out: InstalledChaincode[] = [];
    for (const name of fs.readdirSync(this.dir).sort()) {
      const m = PACKAGE_FILE.exec(name);
      if (m) out.push({ packageId: `${m[1]}:${m[2]}`, label: m[1] as string });
    }
    return out;
  }

  remove(packageId: string): void {
    fs.rmSync(this.fileOf(packageId), { force: true });
  }

  private holdsIntact(file: string, packageId: string): boolean {
    if (!fs.existsSync(file)) return false;
    return packageIdOf(parsePackageId(packageId).label, fs.readFileSync(file)) === packageId;
  }

  /** Flushes the rename: until the directory is on disk, a crash may lose the new name. */
  private syncDir(): void {
    let fd: number | undefined;
    try {
      fd = fs.openSync(this.dir, 'r');
      fs.fsyncSync(fd);
    } catch {
      // Some file systems refuse to fsync a directory; the package file itself is on disk.
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }

  private fileName(packageId: string): string {
    const { label, hash } = parsePackageId(packageId);
    return `${label}.${hash}.tar.gz`;
  }

  private fileOf(packageId: string): string {
    return path.join(this.dir, this.fileName(packageId));
  }
}
