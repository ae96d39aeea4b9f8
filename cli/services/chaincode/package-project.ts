import * as fs from 'node:fs';
import * as path from 'node:path';
import { ChaincodeError } from '../../../core/errors';
import { packageChaincode } from '../../../core/chaincode/packager';
import { readChaincodePackage } from '../../../core/chaincode/chaincode-package';

export interface PackagedChaincode {
  readonly file: string;
  readonly label: string;
  readonly packageId: string;
  readonly bytes: number;
  /** What the packager let through and you should know: imports of Node built-ins that throw in the sandbox. */
  readonly warnings: readonly string[];
}

/**
 * `weft chaincode package`: a Fabric-format package (`<label>.tar.gz` by default) built from a
 * contract project by Weft's packager (esbuild, dependencies bundled, no npm at install time).
 */
export async function packageProject(projectDir: string, label: string, output: string | undefined): Promise<PackagedChaincode> {
  const dir = path.resolve(projectDir);
  if (!fs.existsSync(path.join(dir, 'package.json'))) {
    throw new ChaincodeError('CHAINCODE_BAD_PROJECT', `${dir} is not a chaincode project: it has no package.json`, {
      projectDir: dir,
      suggestions: ['pass the folder holding the contract\'s package.json', 'scaffold one with: weft new chaincode <name>'],
    });
  }
  const built = await packageChaincode({ projectDir: dir, label });
  const file = path.resolve(output ?? `${label}.tar.gz`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, built.packageBytes);
  return { file, label, packageId: built.packageId, bytes: built.packageBytes.length, warnings: built.warnings };
}

/** Reads a package file (`.tar.gz`), or packages a project folder in memory; returns bytes and ID. */
export async function loadOrBuildPackage(source: string, label: string): Promise<{ bytes: Uint8Array; packageId: string; label: string; warnings: readonly string[] }> {
  const full = path.resolve(source);
  const stat = fs.statSync(full, { throwIfNoEntry: false });
  if (stat === undefined) {
    throw new ChaincodeError('CHAINCODE_NOT_FOUND', `${full} does not exist`, {
      suggestions: ['pass a chaincode project folder or a package file made by weft chaincode package'],
    });
  }
  if (stat.isFile()) {
    const bytes = fs.readFileSync(full);
    const pkg = await readChaincodePackage(bytes);
    return { bytes, packageId: pkg.packageId, label: pkg.metadata.label, warnings: [] };
  }
  const built = await packageChaincode({ projectDir: full, label });
  return { bytes: built.packageBytes, packageId: built.packageId, label, warnings: built.warnings };
}

