import { createHash, type Hash } from 'node:crypto';
import * as fs from 'node:fs';
import { LedgerError } from '../errors';
import { varintBytes } from '../protocol/wire-writer';
import type { Version } from './tx-simulator';

/**
 * The data files of a snapshot, byte for byte as Fabric writes them (`common/ledger/snapshot/file.go`):
 * a data format byte, then uvarint-length-prefixed items; each file's SHA-256 is of exactly those bytes.
 */

/** Fabric's `snapshotFileFormat` in both the block store's and the state's exporters. */
export const SNAPSHOT_FILE_FORMAT = 1;
export const TXIDS_DATA_FILE = 'txids.data';
export const TXIDS_METADATA_FILE = 'txids.metadata';
export const PUBLIC_STATE_DATA_FILE = 'public_state.data';
export const PUBLIC_STATE_METADATA_FILE = 'public_state.metadata';
export const PVT_HASHES_DATA_FILE = 'private_state_hashes.data';
export const PVT_HASHES_METADATA_FILE = 'private_state_hashes.metadata';
export const LEDGER_SNAPSHOT_FILES: readonly string[] = [
  TXIDS_DATA_FILE,
  TXIDS_METADATA_FILE,
  PUBLIC_STATE_DATA_FILE,
  PUBLIC_STATE_METADATA_FILE,
  PVT_HASHES_DATA_FILE,
  PVT_HASHES_METADATA_FILE,
];

/** Go's `binary.PutUvarint`. */
export const uvarint = varintBytes;

/**
 * Fabric's `util.EncodeOrderPreservingVarUint64`: one byte giving how many big-endian bytes follow,
 * then the number without its leading zero bytes (0 is the single byte 0x00).
 */
export function orderPreservingUint(value: number): Uint8Array {
  const bytes: number[] = [];
  for (let v = value; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Uint8Array.from([bytes.length, ...bytes]);
}

/** Fabric's `version.Height.ToBytes`, the version a snapshot record carries. */
export function heightBytes(version: Version): Uint8Array {
  return Buffer.concat([orderPreservingUint(version.blockNum), orderPreservingUint(version.txNum)]);
}

/** Reads {@link heightBytes}; throws a plain `Error` (the caller names the file). */
export function parseHeightBytes(bytes: Uint8Array): Version {
  let at = 0;
  const next = (): number => {
    const size = bytes[at++];
    if (size === undefined || size > 7 || at + size > bytes.length) throw new Error(`version bytes ${Buffer.from(bytes).toString('hex')} do not decode`);
    let v = 0;
    for (let i = 0; i < size; i++) v = v * 256 + bytes[at++];
    return v;
  };
  const blockNum = next();
  const txNum = next();
  if (at !== bytes.length) throw new Error(`version bytes ${Buffer.from(bytes).toString('hex')} have ${bytes.length - at} bytes left over`);
  return { blockNum, txNum };
}

function lenField(field: number, bytes: Uint8Array): Uint8Array[] {
  return bytes.length === 0 ? [] : [Uint8Array.of(field * 8 + 2), uvarint(bytes.length), bytes];
}

/** `SnapshotRecord{key = 1, value = 2, metadata = 3, version = 4}` as protobuf-go marshals it (empty fields left out). */
export function snapshotRecordBytes(key: Uint8Array, value: Uint8Array, metadata: Uint8Array | undefined, version: Version): Uint8Array {
  return Buffer.concat([...lenField(1, key), ...lenField(2, value), ...lenField(3, metadata ?? new Uint8Array(0)), ...lenField(4, heightBytes(version))]);
}

export interface SnapshotRecord {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  readonly metadata: Uint8Array;
  readonly version: Version;
}

/** Decodes {@link snapshotRecordBytes} (unknown fields skipped, as protobuf does); throws a plain `Error`. */
export function parseSnapshotRecord(bytes: Uint8Array): SnapshotRecord {
  const fields: Uint8Array[] = [new Uint8Array(0), new Uint8Array(0), new Uint8Array(0), new Uint8Array(0), new Uint8Array(0)];
  const r = new ByteCursor(bytes);
  while (!r.done()) {
    const tag = r.uvarint();
    const wire = tag % 8;
    const field = Math.floor(tag / 8);
    if (wire === 2) {
      const v = r.take(r.uvarint());
      if (field >= 1 && field <= 4) fields[field] = v;
    } else if (wire === 0) r.uvarint();
    else throw new Error(`SnapshotRecord field ${field} has wire type ${wire}`);
  }
  if (fields[4].length === 0) throw new Error('SnapshotRecord has no version');
  return { key: fields[1], value: fields[2], metadata: fields[3], version: parseHeightBytes(fields[4]) };
}

/** Reads uvarints and byte strings from a buffer; throws a plain `Error` on truncation. */
export class ByteCursor {
  private at = 0;
  constructor(private readonly bytes: Uint8Array) {}

  done(): boolean {
    return this.at >= this.bytes.length;
  }

  uvarint(): number {
    let v = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.bytes[this.at++];
      if (b === undefined) throw new Error('truncated uvarint');
      v += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (!Number.isSafeInteger(v)) throw new Error('uvarint beyond 2^53');
        return v;
      }
      scale *= 128;
    }
    throw new Error('uvarint longer than 10 bytes');
  }

  take(n: number): Uint8Array {
    if (this.at + n > this.bytes.length) throw new Error(`truncated: ${n} bytes announced, ${this.bytes.length - this.at} left`);
    const out = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
}

const WRITE_BUFFER = 1 << 20;

/**
 * Fabric's `snapshot.FileWriter`: creates the file (exclusively, mode 0444), writes the format byte
 * and items through a buffer and a SHA-256 of everything written; {@link done} fsyncs and returns the hash.
 * Synchronous: it runs on a worker thread.
 */
export class SnapshotFileWriter {
  private readonly fd: number;
  private readonly hash: Hash = createHash('sha256');
  private buffer: Uint8Array[] = [];
  private buffered = 0;

  constructor(readonly file: string) {
    this.fd = fs.openSync(file, 'wx', 0o444);
    this.write(Uint8Array.of(SNAPSHOT_FILE_FORMAT));
  }

  uvarint(value: number): void {
    this.write(uvarint(value));
  }

  bytes(b: Uint8Array): void {
    this.write(uvarint(b.length));
    this.write(b);
  }

  string(s: string): void {
    this.bytes(Buffer.from(s, 'utf8'));
  }

  done(): Uint8Array {
    this.flush();
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    return this.hash.digest();
  }

  /** Closes without syncing (a failed export, whose directory is removed). */
  abandon(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed by done()
    }
  }

  private write(b: Uint8Array): void {
    this.hash.update(b);
    this.buffer.push(b);
    this.buffered += b.length;
    if (this.buffered >= WRITE_BUFFER) this.flush();
  }

  private flush(): void {
    if (this.buffered === 0) return;
    const all = Buffer.concat(this.buffer);
    let off = 0;
    while (off < all.length) off += fs.writeSync(this.fd, all, off);
    this.buffer = [];
    this.buffered = 0;
  }
}

export function badSnapshot(file: string, problem: string, cause?: unknown): LedgerError {
  return new LedgerError('LEDGER_BAD_SNAPSHOT', `snapshot file ${file}: ${problem}`, { file, problem }, cause === undefined ? undefined : { cause });
}

const READ_CHUNK = 1 << 20;

/**
 * Fabric's `snapshot.FileReader`: checks the format byte, then reads items through a 1 MiB buffer
 * (a state's files may be far larger than memory). Synchronous: it runs on a worker thread. Errors
 * are `LEDGER_BAD_SNAPSHOT` naming the file; {@link close} when done.
 */
export class SnapshotFileReader {
  private readonly fd: number;
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private eof = false;

  constructor(
    private readonly name: string,
    file: string,
  ) {
    this.fd = fs.openSync(file, 'r');
    if (!this.fill(1)) {
      this.close();
      throw badSnapshot(name, 'the file is empty (no data format byte)');
    }
    const format = this.buf[this.pos++];
    if (format !== SNAPSHOT_FILE_FORMAT) {
      this.close();
      throw badSnapshot(name, `unknown data format byte 0x${format.toString(16).padStart(2, '0')}, expected 0x0${SNAPSHOT_FILE_FORMAT}`);
    }
  }

  hasMore(): boolean {
    return this.fill(1);
  }

  uvarint(what: string): number {
    let v = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (!this.fill(1)) throw badSnapshot(this.name, `${what}: truncated uvarint`);
      const b = this.buf[this.pos++];
      v += (b & 0x7f) * scale;
      if (b < 0x80) return v;
      scale *= 128;
    }
    throw badSnapshot(this.name, `${what}: uvarint beyond 2^53`);
  }

  /** The next length-prefixed item, copied (the buffer is reused). */
  bytes(what: string): Uint8Array {
    const n = this.uvarint(what);
    if (!this.fill(n)) throw badSnapshot(this.name, `${what}: truncated: ${n} bytes announced, ${this.buf.length - this.pos} left`);
    const out = Uint8Array.prototype.slice.call(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  string(what: string): string {
    return Buffer.from(this.bytes(what)).toString('utf8');
  }

  close(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      // closed already
    }
  }

  /** Whether `n` bytes are buffered from `pos`, reading more as needed. */
  private fill(n: number): boolean {
    while (this.buf.length - this.pos < n && !this.eof) {
      const chunk = Buffer.allocUnsafe(Math.max(READ_CHUNK, n));
      const got = fs.readSync(this.fd, chunk, 0, chunk.length, null);
      if (got === 0) this.eof = true;
      this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk.subarray(0, got)]);
      this.pos = 0;
    }
    return this.buf.length - this.pos >= n;
  }
}

/**
 * Which file a state namespace goes to. As Fabric's exporter: private values (`$$p`) are never
 * exported, hashed collections (`$$h`) go to the private state hashes, the rest is public state.
 * Weft's own bookkeeping namespaces (`$$expiry`, `$$missing`, `$$missing-ineligible`: Fabric keeps
 * these in separate bookkeeping databases) hold what this peer lacks or when it purges, which differs
 * between peers: they are left out, so equal ledgers give equal files. No chaincode name has a `$`.
 */
export function snapshotNamespaceKind(namespace: string): 'public' | 'hashes' | 'none' {
  if (namespace.startsWith('$$') || namespace.includes('$$p')) return 'none';
  return namespace.includes('$$h') ? 'hashes' : 'public';
}

/**
 * Where an import leaves, one row per hashed collection namespace it loaded, the work of scheduling
 * the expiry of those private keys (Fabric's purge manager consumes the snapshot's hashes for it):
 * blockToLive comes from the peer's collection policy, which only the ledger opened by the peer
 * has. Weft's own bookkeeping: never exported (`$$`).
 */
export const SNAPSHOT_EXPIRY_NAMESPACE = '$$snapshot-expiry';

/** Fabric's txid index order (`constructTxIDKey`: length-prefixed, order preserving): by byte length, then bytes. */
export function compareTxIds(a: string, b: string): number {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length - y.length || Buffer.compare(x, y);
}
