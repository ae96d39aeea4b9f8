/**
 * The CouchDB index files a chaincode package carries (`META-INF/statedb/couchdb/…`): where they
 * may sit, what Fabric's packager accepts in them (`internal/ccmetadata/validators.go`), and the
 * names Weft's ledger cannot store.
 */
import { ChaincodeError } from '../errors';
import { parseIndexDefinition } from '../ledger/rich-query';

const STATEDB = 'META-INF/statedb/couchdb/';
const CHAINCODE_DIR = /^indexes\/([^/]+\.json)$/;
/** Collection names as Fabric allows them in a package's index path (`ccmetadata.AllowedCharsCollectionName`). */
const COLLECTION_DIR = /^collections\/([A-Za-z0-9_-]+)\/indexes\/([^/]+\.json)$/;

/** Fabric's `validateIndexJSON`: the keys an index definition may have, at the top and in `index`. */
const TOP_KEYS = new Set(['index', 'ddoc', 'name', 'type']);
const INDEX_KEYS = new Set(['fields', 'partial_filter_selector']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Why an index's `name` or `ddoc` cannot be stored, if it cannot: a control character (a NUL ends
 * the SQL text the SQLite ledger builds, so the index never gets declared) or a lone surrogate
 * (stored as U+FFFD, so two different names would become one).
 */
export function badIndexName(definition: unknown): string | undefined {
  if (!isObject(definition)) return undefined;
  for (const field of ['name', 'ddoc'] as const) {
    const v = definition[field];
    if (typeof v !== 'string') continue;
    if (/[\u0000-\u001f\u007f]/.test(v)) return `"${field}" ${JSON.stringify(v.slice(0, 80))} holds a control character`;
    if (/\p{Surrogate}/u.test(v)) return `"${field}" ${JSON.stringify(v.slice(0, 80))} holds a lone UTF-16 surrogate`;
  }
  return undefined;
}

/** Fabric's shape rules, with its messages: top-level keys, `index` an object of `fields` (an array) and `partial_filter_selector`. */
function fabricShapeError(d: unknown): string | undefined {
  if (!isObject(d)) return undefined;
  for (const [key, value] of Object.entries(d)) {
    if (!TOP_KEYS.has(key)) return `Invalid Entry.  Entry ${key}`;
    if (key === 'index' && isObject(value)) {
      const extra = Object.keys(value).find((k) => !INDEX_KEYS.has(k));
      if (extra !== undefined) return `Invalid Entry.  Entry ${extra}`;
      if (value.fields !== undefined && !Array.isArray(value.fields)) return 'Expecting a JSON array of fields';
    }
  }
  return undefined;
}

/**
 * Checks a `META-INF/statedb/…` file of a chaincode project as Fabric's packager does
 * (`ccmetadata.ValidateMetadataFile`): only index files, in the chaincode's or a collection's
 * `indexes` directory, each an index definition of Fabric's shape that Weft's ledger can declare.
 * Throws `CHAINCODE_BAD_INDEX` naming the file.
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
  const text = Buffer.from(data).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ChaincodeError('CHAINCODE_BAD_INDEX', `Index metadata file [${path}] is not a valid JSON`, { file: path });
  }
  const problem = fabricShapeError(parsed) ?? badIndexName(parsed);
  if (problem !== undefined) throw new ChaincodeError('CHAINCODE_BAD_INDEX', `Index metadata file [${path}] is not a valid index definition: ${problem}`, { file: path });
  try {
    parseIndexDefinition(text, path);
  } catch (err) {
    throw new ChaincodeError('CHAINCODE_BAD_INDEX', `not a valid index definition: ${(err as Error).message}`, { file: path });
  }
}

/** An index file: its name in its directory and its text. */
export interface IndexFileText {
  readonly name: string;
  readonly content: string;
}

/** A package's CouchDB index files: the chaincode's own and each collection's. */
export interface StateDbIndexes {
  /** `META-INF/statedb/couchdb/indexes/*.json`, by file name. */
  readonly chaincode: IndexFileText[];
  /** `META-INF/statedb/couchdb/collections/<collection>/indexes/*.json`, by collection. */
  readonly collections: ReadonlyMap<string, IndexFileText[]>;
}

/**
 * The index files of a package, for the ledger to declare, each list in file name order: Fabric
 * creates them in that order so that two files naming the same index end the same on every peer.
 */
export function stateDbIndexes(pkg: { readonly code: ReadonlyMap<string, Uint8Array> }): StateDbIndexes {
  const chaincode: IndexFileText[] = [];
  const collections = new Map<string, IndexFileText[]>();
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
