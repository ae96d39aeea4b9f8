import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { ChaincodeError } from '../errors';
import { readTarGz, writeTar } from './package-archive';

export { writeTar } from './package-archive';
export { type StateDbIndexes, checkStateDbFile, stateDbIndexes } from './statedb-index-files';

/** `metadata.json` at the root of a Fabric chaincode package. */
export interface ChaincodePackageMetadata {
  readonly path: string;
  readonly type: string;
  readonly label: string;
}

/** A parsed package: its metadata, the files of `code.tar.gz`, and its Fabric package ID. */
export interface ChaincodePackage {
  readonly metadata: ChaincodePackageMetadata;
  /** `code.tar.gz` entries by path (`src/…`, `META-INF/…`). */
  readonly code: ReadonlyMap<string, Uint8Array>;
  readonly packageId: string;
}

/** Fabric's label rule (`core/chaincode/persistence`): `^[[:alnum:]][[:alnum:]_.+-]*$`. */
const LABEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/;

export function validateLabel(label: string): void {
  if (!LABEL_PATTERN.test(label)) {
    throw new ChaincodeError(
      'CHAINCODE_BAD_LABEL',
      `invalid label '${label}': must match ^[[:alnum:]][[:alnum:]_.+-]*$ (e.g. basic_1.0)`,
      { label },
    );
  }
}

/** Fabric's package ID: `label:hex(sha256(package file bytes))`. */
export function packageIdOf(label: string, packageBytes: Uint8Array): string {
  return `${label}:${createHash('sha256').update(packageBytes).digest('hex')}`;
}

/** Splits a package ID into label and hash; throws for anything else. */
export function parsePackageId(packageId: string): { label: string; hash: string } {
  const idx = packageId.lastIndexOf(':');
  const label = packageId.slice(0, idx);
  const hash = packageId.slice(idx + 1);
  if (idx < 1 || !/^[0-9a-f]{64}$/.test(hash)) {
    throw new ChaincodeError('CHAINCODE_BAD_PACKAGE_ID', `invalid package ID ${JSON.stringify(packageId)}: expected <label>:<64 hex digits>`, { packageId });
  }
  if (!LABEL_PATTERN.test(label)) {
    throw new ChaincodeError('CHAINCODE_BAD_PACKAGE_ID', `invalid package ID ${JSON.stringify(packageId)}: its label must match ^[[:alnum:]][[:alnum:]_.+-]*$`, { packageId });
  }
  return { label, hash };
}

/** Builds a Fabric-format package: tar.gz of `metadata.json` and `code.tar.gz`. Deterministic bytes. */
export async function writeChaincodePackage(metadata: ChaincodePackageMetadata, code: ReadonlyMap<string, Uint8Array>): Promise<Uint8Array> {
  validateLabel(metadata.label);
  for (const path of code.keys()) checkCodePath(path);
  const sorted = [...code.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const codeTarGz = gzipSync(await writeTar(sorted));
  const metaJson = Buffer.from(JSON.stringify({ path: metadata.path, type: metadata.type, label: metadata.label }));
  return gzipSync(await writeTar([['metadata.json', metaJson], ['code.tar.gz', codeTarGz]]));
}

function checkCodePath(path: string): void {
  // A ccaas package's code is its connection.json, at the top as Fabric's ccaas builder reads it.
  if (!(path.startsWith('src/') || path.startsWith('META-INF/') || path === 'connection.json') || path.split('/').includes('..')) {
    throw new ChaincodeError('CHAINCODE_BAD_PACKAGE', `code.tar.gz entry '${path}' is outside src/ and META-INF/ (and is not a ccaas package's connection.json)`, { entry: path });
  }
  // `src//a.js`, `src/./a.js` and `src/a.js/` name the file `src/a.js` once unpacked: two entries could write one file.
  if (path.split('/').some((segment) => segment === '' || segment === '.')) {
    throw new ChaincodeError('CHAINCODE_BAD_PACKAGE', `code.tar.gz entry '${path}' has an empty or '.' path segment`, { entry: path });
  }
}

/** The two files of the outer layer Fabric reads; any other is dropped unread (Fabric logs a warning). */
const OUTER_FILES = new Set(['metadata.json', 'code.tar.gz']);

/**
 * Parses and checks a package as the peer does at install (Fabric's `ParseChaincodePackage`, plus
 * limits on what the untrusted bytes may unpack to: see `package-archive.ts`).
 */
export async function readChaincodePackage(packageBytes: Uint8Array): Promise<ChaincodePackage> {
  const outer = await readTarGz(packageBytes, 'chaincode package', { allowDirectories: false, keep: (name) => OUTER_FILES.has(name) });
  const metaBytes = outer.get('metadata.json');
  const codeBytes = outer.get('code.tar.gz');
  if (metaBytes === undefined || codeBytes === undefined) {
    throw new ChaincodeError('CHAINCODE_BAD_PACKAGE', `chaincode package must hold metadata.json and code.tar.gz; found [${[...outer.keys()].join(', ')}]`);
  }
  const metadata = parseMetadata(metaBytes);
  const code = await readTarGz(codeBytes, 'code.tar.gz', { allowDirectories: true });
  for (const path of code.keys()) checkCodePath(path);
  if (metadata.type.toLowerCase() === 'node' && !code.has('src/package.json')) {
    throw new ChaincodeError('CHAINCODE_BAD_PACKAGE', 'a node chaincode package must hold src/package.json');
  }
  return { metadata, code, packageId: packageIdOf(metadata.label, packageBytes) };
}

/** `metadata.json`: an object whose `type`, `path` and `label` are strings where present (Fabric's JSON decoding), a valid label and a type. */
function parseMetadata(bytes: Uint8Array): ChaincodePackageMetadata {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new ChaincodeError('CHAINCODE_BAD_PACKAGE', `metadata.json is not JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ChaincodeError('CHAINCODE_BAD_PACKAGE', `metadata.json must be a JSON object with string fields "type", "path" and "label", received ${Array.isArray(parsed) ? 'an array' : String(parsed)}`);
  }
  const m = parsed as Partial<Record<keyof ChaincodePackageMetadata, unknown>>;
  for (const field of ['type', 'path', 'label'] as const) {
    if (m[field] !== undefined && m[field] !== null && typeof m[field] !== 'string') {
      throw new ChaincodeError('CHAINCODE_BAD_PACKAGE', `metadata.json field "${field}" must be a string, received ${typeof m[field]}`, { field });
    }
  }
  if (typeof m.label !== 'string' || typeof m.type !== 'string') {
    throw new ChaincodeError('CHAINCODE_BAD_PACKAGE', 'metadata.json must hold string fields "type" and "label"');
  }
  validateLabel(m.label);
  return { path: typeof m.path === 'string' ? m.path : '', type: m.type, label: m.label };
}
