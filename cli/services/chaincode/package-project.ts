import * as fs from 'node:fs';
import * as path from 'node:path';
import { ChaincodeError } from '../../../core/errors';
import { packageChaincode, type BuiltPackage } from '../../../core/chaincode/packager';
import { readChaincodePackage } from '../../../core/chaincode/chaincode-package';
import { checkProjectTypes, type TypeCheckedWith } from '../../../core/chaincode/type-check';

export interface PackagedChaincode {
  readonly file: string;
  readonly label: string;
  readonly packageId: string;
  readonly bytes: number;
  /** What the packager let through and you should know: imports of Node built-ins that throw in the sandbox, types left unchecked. */
  readonly warnings: readonly string[];
  /** The compiler that checked a TypeScript project's types; absent for JavaScript, a built project, or with the check off. */
  readonly typeChecked?: TypeCheckedWith;
}

export interface ProjectPackaging {
  /** Check a TypeScript project's types before bundling (default true); off for a project whose build is not tsc with its tsconfig.json. */
  readonly typeCheck?: boolean;
}

/**
 * `weft chaincode package`: a Fabric-format package (`<label>.tar.gz` by default) built from a
 * contract project by Weft's packager (esbuild, dependencies bundled, no npm at install time).
 * A TypeScript project's types are checked first (`CHAINCODE_TYPE_ERRORS`), as its `npm run build` would.
 */
export async function packageProject(projectDir: string, label: string, output: string | undefined, options: ProjectPackaging = {}): Promise<PackagedChaincode> {
  const dir = path.resolve(projectDir);
  if (!fs.existsSync(path.join(dir, 'package.json'))) {
    throw new ChaincodeError('CHAINCODE_BAD_PROJECT', `${dir} is not a chaincode project: it has no package.json`, {
      projectDir: dir,
      suggestions: ['pass the folder holding the contract\'s package.json', 'scaffold one with: weft new chaincode <name>'],
    });
  }
  const built = await checkedPackage(dir, label, options);
  const file = path.resolve(output ?? `${label}.tar.gz`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, built.packageBytes);
  return { file, label, packageId: built.packageId, bytes: built.packageBytes.length, warnings: built.warnings, ...(built.typeChecked ? { typeChecked: built.typeChecked } : {}) };
}

/** Reads a package file (`.tar.gz`), or packages a project folder in memory (its types checked, as {@link packageProject}); returns bytes and ID. */
export async function loadOrBuildPackage(
  source: string,
  label: string,
  options: ProjectPackaging = {},
): Promise<{ bytes: Uint8Array; packageId: string; label: string; warnings: readonly string[] }> {
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
  const built = await checkedPackage(full, label, options);
  return { bytes: built.packageBytes, packageId: built.packageId, label, warnings: built.warnings };
}

/**
 * The packager's package of `dir`, its types checked first. The check is the developer's build step,
 * so it is here and not in the packager, which tests, the chaincode test harness and the conformance
 * suite call on fixtures of their own, where a second of tsc per package would add up.
 */
async function checkedPackage(dir: string, label: string, options: ProjectPackaging): Promise<BuiltPackage & { typeChecked?: TypeCheckedWith }> {
  const types = options.typeCheck === false ? { warnings: [] } : checkProjectTypes(dir);
  const built = await packageChaincode({ projectDir: dir, label });
  return { ...built, warnings: [...types.warnings, ...built.warnings], typeChecked: types.checkedWith };
}
