import * as path from 'node:path';
import { badSnapshot, ByteCursor, SNAPSHOT_FILE_FORMAT, SnapshotFileReader, uvarint } from './snapshot-format';
import type { ExtraSnapshotFile } from './snapshot';
import type { VersionedValue } from './versioned-state-store';

/**
 * Fabric's collection config history in a snapshot (`core/ledger/confighistory/mgr.go`
 * `ExportConfigHistory` / `ImportFromSnapshot`, keys from `db_helper.go`): `confighistory.data`
 * holds each history entry's database key and value as they are (two length-prefixed items), in
 * key order; `confighistory.metadata` holds their count. Fabric writes neither file when the
 * history is empty. A key is `"s" + "lscc" + 0x00 + <chaincode> + "~collection"` followed by
 * `MaxUint64 - block` big-endian (no separator), so a chaincode's entries run newest first; the
 * value is the `CollectionConfigPackage` bytes the chaincode's definition held after that block.
 */
export const CONFIG_HISTORY_DATA_FILE = 'confighistory.data';
export const CONFIG_HISTORY_METADATA_FILE = 'confighistory.metadata';

/** One entry: at `blockNum` a definition of `chaincode` with these collections was committed. */
export interface ConfigHistoryEntry {
  readonly chaincode: string;
  readonly blockNum: number;
  /** `CollectionConfigPackage` bytes, as Fabric stores them. */
  readonly collections: Uint8Array;
}

/** Fabric keeps collection configs under the legacy `lscc` namespace and key suffix, for compatibility with v1.2 data. */
const KEY_PREFIX = Buffer.from('slscc\u0000', 'utf8');
const KEY_SUFFIX = Buffer.from('~collection', 'utf8');
const MAX_UINT64 = (1n << 64n) - 1n;

/** Fabric's `encodeCompositeKey("lscc", cc + "~collection", blockNum)`. */
export function configHistoryKey(chaincode: string, blockNum: number): Uint8Array {
  const block = Buffer.alloc(8);
  block.writeBigUInt64BE(MAX_UINT64 - BigInt(blockNum));
  return Buffer.concat([KEY_PREFIX, Buffer.from(chaincode, 'utf8'), KEY_SUFFIX, block]);
}

/** Reads {@link configHistoryKey}; throws a plain `Error` (the caller names the file). */
export function parseConfigHistoryKey(key: Uint8Array): { chaincode: string; blockNum: number } {
  const b = Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  const nameEnd = b.length - 8 - KEY_SUFFIX.length;
  if (nameEnd < KEY_PREFIX.length || !b.subarray(0, KEY_PREFIX.length).equals(KEY_PREFIX) || !b.subarray(nameEnd, b.length - 8).equals(KEY_SUFFIX)) {
    throw new Error(`key ${b.toString('hex').slice(0, 120)} is not an lscc collection config key ("slscc" 0x00 <chaincode> "~collection" <8 bytes>)`);
  }
  const blockNum = MAX_UINT64 - b.readBigUInt64BE(b.length - 8);
  if (blockNum > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`key ${b.toString('hex').slice(0, 120)} names block ${blockNum}, beyond 2^53`);
  return { chaincode: b.subarray(KEY_PREFIX.length, nameEnd).toString('utf8'), blockNum: Number(blockNum) };
}

function sortedByKey(entries: readonly ConfigHistoryEntry[]): { key: Uint8Array; value: Uint8Array }[] {
  return entries.map((e) => ({ key: configHistoryKey(e.chaincode, e.blockNum), value: e.collections })).sort((x, y) => Buffer.compare(x.key, y.key));
}

/** The data file's items after the format byte: key and value of each entry, in key order. */
function dataItems(entries: readonly ConfigHistoryEntry[]): Buffer {
  return Buffer.concat(sortedByKey(entries).flatMap(({ key, value }) => [uvarint(key.length), key, uvarint(value.length), value]));
}

/** The two files of a snapshot for these entries, as Fabric writes them; none for no entries (as Fabric). */
export function configHistoryFiles(entries: readonly ConfigHistoryEntry[]): ExtraSnapshotFile[] {
  if (entries.length === 0) return [];
  const format = Uint8Array.of(SNAPSHOT_FILE_FORMAT);
  return [
    { name: CONFIG_HISTORY_DATA_FILE, bytes: Buffer.concat([format, dataItems(entries)]) },
    { name: CONFIG_HISTORY_METADATA_FILE, bytes: Buffer.concat([format, uvarint(entries.length)]) },
  ];
}

/**
 * The entries of a snapshot's two files (already hash-checked), checking that both or neither are
 * listed, the count, every key, that no key appears twice and that none names a block past the
 * snapshot's. Throws `LEDGER_BAD_SNAPSHOT` naming the file.
 */
export function readConfigHistoryFiles(dir: string, files: ReadonlySet<string>, lastBlockNumber: number): ConfigHistoryEntry[] {
  if (files.has(CONFIG_HISTORY_DATA_FILE) !== files.has(CONFIG_HISTORY_METADATA_FILE)) {
    const [has, lacks] = files.has(CONFIG_HISTORY_DATA_FILE) ? [CONFIG_HISTORY_DATA_FILE, CONFIG_HISTORY_METADATA_FILE] : [CONFIG_HISTORY_METADATA_FILE, CONFIG_HISTORY_DATA_FILE];
    throw badSnapshot(lacks, `is missing: the snapshot lists ${has} without it`);
  }
  if (!files.has(CONFIG_HISTORY_DATA_FILE)) return [];
  const meta = new SnapshotFileReader(CONFIG_HISTORY_METADATA_FILE, path.join(dir, CONFIG_HISTORY_METADATA_FILE));
  let count: number;
  try {
    count = meta.uvarint('entry count');
    if (meta.hasMore()) throw badSnapshot(CONFIG_HISTORY_METADATA_FILE, 'has bytes after the entry count');
  } finally {
    meta.close();
  }
  const data = new SnapshotFileReader(CONFIG_HISTORY_DATA_FILE, path.join(dir, CONFIG_HISTORY_DATA_FILE));
  const entries: ConfigHistoryEntry[] = [];
  const seen = new Set<string>();
  try {
    for (let i = 0; i < count; i++) {
      if (!data.hasMore()) throw badSnapshot(CONFIG_HISTORY_DATA_FILE, `holds ${i} entries, ${CONFIG_HISTORY_METADATA_FILE} counts ${count}`);
      const key = data.bytes(`entry ${i} key`);
      const value = data.bytes(`entry ${i} value`);
      let parsed;
      try {
        parsed = parseConfigHistoryKey(key);
      } catch (e) {
        throw badSnapshot(CONFIG_HISTORY_DATA_FILE, `entry ${i}: ${(e as Error).message}`, e);
      }
      if (parsed.blockNum > lastBlockNumber) throw badSnapshot(CONFIG_HISTORY_DATA_FILE, `entry ${i} (chaincode ${JSON.stringify(parsed.chaincode)}) is at block ${parsed.blockNum}, past the snapshot's last block ${lastBlockNumber}`);
      const id = Buffer.from(key).toString('hex');
      if (seen.has(id)) throw badSnapshot(CONFIG_HISTORY_DATA_FILE, `entry ${i} (chaincode ${JSON.stringify(parsed.chaincode)}, block ${parsed.blockNum}) appears twice`);
      seen.add(id);
      entries.push({ ...parsed, collections: value });
    }
    if (data.hasMore()) throw badSnapshot(CONFIG_HISTORY_DATA_FILE, `holds more entries than the ${count} ${CONFIG_HISTORY_METADATA_FILE} counts`);
  } finally {
    data.close();
  }
  return entries;
}

/**
 * Where a ledger created from a snapshot keeps the history it imported: one state row (Weft's own
 * bookkeeping, `$$`: never exported as state) whose value is the entries in the data file's item
 * encoding. Fabric's history is small (an entry per definition of a chaincode with collections).
 */
export const SNAPSHOT_CONFIG_HISTORY_NAMESPACE = '$$snapshot-confighistory';
export const SNAPSHOT_CONFIG_HISTORY_KEY = 'entries';

/** The stored row's value for {@link SNAPSHOT_CONFIG_HISTORY_NAMESPACE}. */
export function storedConfigHistory(entries: readonly ConfigHistoryEntry[]): Uint8Array {
  return dataItems(entries);
}

/** The imported history from the state row read by `get`, in key order (by chaincode, newest first); [] when none. */
export function readImportedConfigHistory(get: (namespace: string, key: string) => VersionedValue | undefined): ConfigHistoryEntry[] {
  const row = get(SNAPSHOT_CONFIG_HISTORY_NAMESPACE, SNAPSHOT_CONFIG_HISTORY_KEY);
  if (row === undefined) return [];
  const cursor = new ByteCursor(row.value);
  const entries: ConfigHistoryEntry[] = [];
  while (!cursor.done()) {
    const key = cursor.take(cursor.uvarint());
    const collections = Uint8Array.prototype.slice.call(cursor.take(cursor.uvarint())) as Uint8Array;
    entries.push({ ...parseConfigHistoryKey(key), collections });
  }
  return entries;
}
