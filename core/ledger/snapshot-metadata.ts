import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { badSnapshot } from './snapshot-format';
import { validateChannelId } from './ledger-keys';
import type { SnapshotMetadata } from './snapshot';

/** Fabric's `SnapshotSignableMetadataFileName` / `snapshotAdditionalMetadataFileName` (`core/ledger/kvledger/snapshot.go`). */
export const SNAPSHOT_SIGNABLE_METADATA_FILE = '_snapshot_signable_metadata.json';
export const SNAPSHOT_ADDITIONAL_METADATA_FILE = '_snapshot_additional_metadata.json';

/**
 * `state_db_type`. Fabric writes `CouchDB` for a CouchDB peer and `SimpleKeyValueDB` for any other,
 * and its importer (`kvledger_provider.go` CreateFromSnapshot) reads the field but never acts on it:
 * both kinds export identical records (CouchDB's base64 key hashes are decoded on export). The value
 * only enters `snapshot_hash`. Weft's state answers Mango queries and follows CouchDB's rules for
 * them, so it is a state of the kind Fabric tags `CouchDB`, and a Weft snapshot then hashes the same
 * as one a Fabric CouchDB peer writes for the same state and txids.
 */
export const WEFT_STATE_DB_TYPE = 'CouchDB';

/** A name a snapshot's metadata may list: a plain file in the snapshot directory. */
export function isSnapshotFileName(name: string): boolean {
  return name.length > 0 && name !== '.' && name !== '..' && !/[/\\\0]/.test(name) && name !== SNAPSHOT_SIGNABLE_METADATA_FILE && name !== SNAPSHOT_ADDITIONAL_METADATA_FILE;
}

function goJsonString(s: string): string {
  // Go's encoding/json escapes <, > and & (HTMLEscape) and U+2028/U+2029, which JSON.stringify leaves as they are.
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * `json.MarshalIndent(SnapshotSignableMetadata, "", "    ")`: fields in struct order, the map's keys
 * sorted by bytes as Go sorts them, no trailing newline. Built by hand: JSON.stringify would order
 * integer-like keys first.
 */
export function signableMetadataJson(m: Omit<SnapshotMetadata, 'snapshotHash'>): string {
  const names = [...m.fileHashes.keys()].sort(byteOrder);
  const files =
    names.length === 0 ? '{}' : `{\n${names.map((n) => `        ${goJsonString(n)}: ${goJsonString(Buffer.from(m.fileHashes.get(n) as Uint8Array).toString('hex'))}`).join(',\n')}\n    }`;
  return [
    '{',
    `    "channel_name": ${goJsonString(m.channelName)},`,
    `    "last_block_number": ${m.lastBlockNumber},`,
    `    "last_block_hash": ${goJsonString(Buffer.from(m.lastBlockHash).toString('hex'))},`,
    `    "previous_block_hash": ${goJsonString(Buffer.from(m.previousBlockHash).toString('hex'))},`,
    `    "snapshot_files_raw_hashes": ${files},`,
    `    "state_db_type": ${goJsonString(m.stateDbType)}`,
    '}',
  ].join('\n');
}

/** `snapshotAdditionalMetadata`: the commit hash of the last block, "" when the ledger keeps none (as Fabric writes it). */
export function additionalMetadataJson(snapshotHash: Uint8Array, lastBlockCommitHash: Uint8Array = new Uint8Array(0)): string {
  const hex = (b: Uint8Array): string => goJsonString(Buffer.from(b).toString('hex'));
  return `{\n    "snapshot_hash": ${hex(snapshotHash)},\n    "last_block_commit_hash": ${hex(lastBlockCommitHash)}\n}`;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function readJsonObject(dir: string, name: string): { raw: Buffer; json: Record<string, unknown> } {
  let raw: Buffer;
  try {
    raw = fs.readFileSync(path.join(dir, name));
  } catch (e) {
    throw badSnapshot(name, `cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, e);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch (e) {
    throw badSnapshot(name, `is not JSON: ${(e as Error).message}`, e);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw badSnapshot(name, 'is not a JSON object');
  return { raw, json: json as Record<string, unknown> };
}

/**
 * `last_block_commit_hash`: absent or "" (a ledger that kept none, and snapshots written before
 * Weft kept one) gives none, as Fabric's `hex.DecodeString("")` does.
 */
function commitHashField(file: string, json: Record<string, unknown>): Pick<SnapshotMetadata, 'lastBlockCommitHash'> {
  const field = 'last_block_commit_hash';
  if (json[field] === undefined || json[field] === '') return {};
  return { lastBlockCommitHash: hexField(file, json, field, 32) };
}

function hexField(file: string, json: Record<string, unknown>, field: string, length?: number): Uint8Array {
  const v = json[field];
  if (typeof v !== 'string' || !/^(?:[0-9a-f]{2})*$/.test(v) || (length !== undefined && v.length !== length * 2)) {
    throw badSnapshot(file, `${field} must be ${length === undefined ? 'a' : `a ${length}-byte`} lowercase hex string, found ${JSON.stringify(v)?.slice(0, 80)}`);
  }
  return Buffer.from(v, 'hex');
}

/**
 * Parses and checks a snapshot's two metadata files: the JSON shape, a valid channel name, plain
 * file names, and `snapshot_hash` equal to the SHA-256 of the signable file as written. Does not
 * read the data files (see {@link verifySnapshotFiles}). Throws `LEDGER_BAD_SNAPSHOT` naming the file.
 */
export function readSnapshotMetadata(dir: string): SnapshotMetadata {
  const F = SNAPSHOT_SIGNABLE_METADATA_FILE;
  const { raw, json } = readJsonObject(dir, F);
  const channelName = json.channel_name;
  try {
    validateChannelId(channelName);
  } catch (e) {
    throw badSnapshot(F, `channel_name ${JSON.stringify(channelName)?.slice(0, 80)} is not a valid channel name`, e);
  }
  const lastBlockNumber = json.last_block_number;
  if (typeof lastBlockNumber !== 'number' || !Number.isSafeInteger(lastBlockNumber) || lastBlockNumber < 0) {
    throw badSnapshot(F, `last_block_number must be a non-negative integer, found ${JSON.stringify(lastBlockNumber)?.slice(0, 80)}`);
  }
  const lastBlockHash = hexField(F, json, 'last_block_hash', 32);
  const previousBlockHash = hexField(F, json, 'previous_block_hash');
  if (lastBlockNumber > 0 && previousBlockHash.length !== 32) throw badSnapshot(F, `previous_block_hash must be 32 bytes for block ${lastBlockNumber}`);
  const files = json.snapshot_files_raw_hashes;
  if (typeof files !== 'object' || files === null || Array.isArray(files)) throw badSnapshot(F, 'snapshot_files_raw_hashes must be an object of file name to hex SHA-256');
  const fileHashes = new Map<string, Uint8Array>();
  for (const name of Object.keys(files)) {
    if (!isSnapshotFileName(name)) throw badSnapshot(F, `snapshot_files_raw_hashes names ${JSON.stringify(name)}, which is not a plain data file name`);
    fileHashes.set(name, hexField(F, files as Record<string, unknown>, name, 32));
  }
  const stateDbType = json.state_db_type;
  if (typeof stateDbType !== 'string') throw badSnapshot(F, 'state_db_type must be a string');
  const A = SNAPSHOT_ADDITIONAL_METADATA_FILE;
  const additional = readJsonObject(dir, A).json;
  const snapshotHash = hexField(A, additional, 'snapshot_hash', 32);
  const actual = sha256Hex(raw);
  if (actual !== Buffer.from(snapshotHash).toString('hex')) {
    throw badSnapshot(A, `snapshot_hash ${Buffer.from(snapshotHash).toString('hex')} is not the SHA-256 of ${F} (${actual})`);
  }
  return { channelName: channelName as string, lastBlockNumber, lastBlockHash, previousBlockHash, fileHashes, stateDbType, snapshotHash, ...commitHashField(A, additional) };
}

/** SHA-256 of a file, streamed. */
export async function hashFile(file: string): Promise<Uint8Array> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest();
}

/**
 * {@link readSnapshotMetadata}, then re-hashes every data file it lists (streaming); throws
 * `LEDGER_BAD_SNAPSHOT` naming a file that is missing or whose hash differs.
 */
export async function verifySnapshotFiles(dir: string): Promise<SnapshotMetadata> {
  const metadata = readSnapshotMetadata(dir);
  for (const [name, expected] of metadata.fileHashes) {
    let actual: Uint8Array;
    try {
      actual = await hashFile(path.join(dir, name));
    } catch (e) {
      throw badSnapshot(name, `is listed in ${SNAPSHOT_SIGNABLE_METADATA_FILE} but cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, e);
    }
    if (!Buffer.from(actual).equals(Buffer.from(expected))) {
      throw badSnapshot(name, `SHA-256 is ${Buffer.from(actual).toString('hex')}, the metadata says ${Buffer.from(expected).toString('hex')}`);
    }
  }
  return metadata;
}
