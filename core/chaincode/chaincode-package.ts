import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { ChaincodeError } from '../errors';
import { parseIndexDefinition } from '../ledger/rich-query';

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
/** Unpacked size cap: a package is source code, a gzip bomb must not exhaust memory. */
const MAX_UNPACKED_BYTES = 256 * 1024 * 1024;

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
    throw new ChaincodeError('CHAINCODE_BAD_PACKAGE_ID', `invalid package ID '${packageId}': expected <label>:<64 hex digits>`, { packageId });
  }
  validateLabel(label);
  return { label, hash };
}

/** Writes a tar (deterministic headers: mtime 0, uid/gid 0, mode 0644), entries in the given order. */
export async function writeTar(entries: Iterable<readonly [string, Uint8Array]>): Promise<Uint8Array> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (c: unknown) => void chunks.push(c as Buffer));
    pack.on('end', () => resolve());
    pack.on('error', reject);
  });
  for (const [name, data] of entries) {
    pack.entry({ name, mode: 0o644, mtime: new Date(0), uid: 0, gid: 0, size: data.length, type: 'file' }, Buffer.from(data));
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** Reads a tar's regular files. Directories are skipped; links and devices are rejected. */
export async function readTar(bytes: Uint8Array, what: string): Promise<Map<string, Uint8Array>> {
  const extract = tar.extract();
  const files = new Map<string, Uint8Array>();
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      // A tar cut short inside an entry errors that entry's stream: unheard, it would end the process.
      stream.on('error', reject);
      stream.on('data', (c: unknown) => void chunks.push(c as Buffer));
      stream.on('end', () => {
        if (header.type === 'file' || header.type === 'contiguous-file') {
          files.set(header.name.replace(/^\.\//, ''), Buffer.concat(chunks));
          next();
        } else if (header.type === 'directory') {
          next();
        } else {
          next(new ChaincodeError('CHAINCODE_BAD_PACKAGE', `${what}: entry '${header.name}' is a ${header.type}; only regular files are allowed`, { entry: header.name }));
        }
      });
      stream.resume();
    });
    extract.on('finish', () => resolve());
    extract.on('error', reject);
  });
  extract.end(Buffer.from(bytes));
  try {
    await done;
  } catch (err) {
    if (err instanceof ChaincodeError) throw err;
    throw new ChaincodeError('CHAINCODE_BAD_PACKAGE', `${what} is not a valid tar archive: ${(err as Error).message}`, {}, { cause: err });
  }
  return files;
}

function gunzip(bytes: Uint8Array, what: string): Uint8Array {
  try {
    return gunzipSync(bytes, { maxOutputLength: MAX_UNPACKED_BYTES });
  } catch (err) {
    throw new ChaincodeError('CHAINCODE_BAD_PACKAGE', `${what} is not gzip data within ${MAX_UNPACKED_BYTES} bytes unpacked: ${(err as Error).message}`, {}, { cause: err });
  }
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
  if (!(path.startsWith('src/') || path.startsWith('META-INF/')) || path.split('/').includes('..')) {
    throw new ChaincodeError('CHAINCODE_BAD_PACKAGE', `code.tar.gz entry '${path}' is outside src/ and META-INF/`, { entry: path });
  }
}

/** Parses and checks a package as the peer does at install. */
export async function readChaincodePackage(packageBytes: Uint8Array): Promise<ChaincodePackage> {
  const outer = await readTar(gunzip(packageBytes, 'chaincode package'), 'chaincode package');
  const metaBytes = outer.get('metadata.json');
  const codeBytes = outer.get('code.tar.gz');
  if (metaBytes === undefined || codeBytes === undefined) {
    throw new ChaincodeError('CHAINCODE_BAD_PACKAGE', `chaincode package must hold metadata.json and code.tar.gz; found [${[...outer.keys()].join(', ')}]`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(metaBytes).toString('utf8'));
  } catch (err) {
    throw new ChaincodeError('CHAINCODE_BAD_PACKAGE', `metadata.json is not JSON: ${(err as Error).message}`);
  }
  const m = parsed as Partial<Record<keyof ChaincodePackageMetadata, unknown>>;
  if (typeof m !== 'object' || m === null || typeof m.label !== 'string' || typeof m.type !== 'string') {
    throw new ChaincodeError('CHAINCODE_BAD_PACKAGE', 'metadata.json must hold string fields "type" and "label"');
  }
  validateLabel(m.label);
  const metadata: ChaincodePackageMetadata = { path: typeof m.path === 'string' ? m.path : '', type: m.type, label: m.label };
  const code = await readTar(gunzip(codeBytes, 'code.tar.gz'), 'code.tar.gz');
  for (const path of code.keys()) checkCodePath(path);
  if (metadata.type.toLowerCase() === 'node' && !code.has('src/package.json')) {
    throw new ChaincodeError('CHAINCODE_BAD_PACKAGE', 'a node chaincode package must hold src/package.json');
  }
  return { metadata, code, packageId: packageIdOf(metadata.label, packageBytes) };
}

const STATEDB = 'META-INF/statedb/couchdb/';
/** Collection names as Fabric allows them in a package's index path (`ccmetadata.AllowedCharsCollectionName`). */
const CHAINCODE_DIR = /^indexes\/([^/]+\.json)$/;
const COLLECTION_DIR = /^collections\/([A-Za-z0-9_-]+)\/indexes\/([^/]+\.json)$/;

/**
 * Checks a `META-INF/statedb/…` file of a chaincode project as Fabric's packager does
 * (`ccmetadata.ValidateMetadataFile`): only index files, in the chaincode's or a collection's
 * `indexes` directory, each a valid index definition. Throws `CHAINCODE_BAD_INDEX` naming the file.
 */
export function checkStateDbFile(path: string, data: Uint8Array): void {
  const rest = path.startsWith(STATEDB) ? path.slice(STATEDB.length) : undefined;
  const isIndexPath = rest !== undefined && (CHAINCODE_DIR.test(rest) || COLLECTION_DIR.test(rest));
  if (!isIndexPath) {
    throw new ChaincodeError(
      'CHAINCODE_BAD_INDEX',
      `metadata file ${path} is not supported: index files go in META-INF/statedb/couchdb/indexes/*.json or META-INF/statedb/couchdb/collections/<collection>/indexes/*.json`,
      { file: path },
    );
  }
  try {
    parseIndexDefinition(Buffer.from(data).toString('utf8'), path);
  } catch (err) {
    throw new ChaincodeError('CHAINCODE_BAD_INDEX', `not a valid index definition: ${(err as Error).message}`, { file: path });
  }
}

/** A package's CouchDB index files: the chaincode's own and each collection's. */
export interface StateDbIndexes {
  /** `META-INF/statedb/couchdb/indexes/*.json`, by file name. */
  readonly chaincode: { name: string; content: string }[];
  /** `META-INF/statedb/couchdb/collections/<collection>/indexes/*.json`, by collection. */
  readonly collections: ReadonlyMap<string, { name: string; content: string }[]>;
}

/**
 * The index files of a package, for the ledger to declare, each list in file name order: Fabric
 * creates them in that order so that two files naming the same index end the same on every peer.
 */
export function stateDbIndexes(pkg: ChaincodePackage): StateDbIndexes {
  const chaincode: { name: string; content: string }[] = [];
  const collections = new Map<string, { name: string; content: string }[]>();
  for (const [p, data] of [...pkg.code.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!p.startsWith(STATEDB)) continue;
    const rest = p.slice(STATEDB.length);
    const content = Buffer.from(data).toString('utf8');
    const own = CHAINCODE_DIR.exec(rest);
    if (own !== null) {
      chaincode.push({ name: own[1] as string, content });
      continue;
    }
    const m = COLLECTION_DIR.exec(rest);
    if (m === null) continue;
    const list = collections.get(m[1] as string) ?? [];
    list.push({ name: m[2] as string, content });
    collections.set(m[1] as string, list);
  }
  return { chaincode, collections };
}
