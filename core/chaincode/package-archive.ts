/**
 * Reading and writing the tar.gz layers of a chaincode package. A package is untrusted bytes: a few
 * hundred bytes of gzip can stand for gigabytes of tar, and a small tar for hundreds of thousands of
 * entries. So a layer is inflated as a stream (on libuv's pool, not the node's thread) through a
 * budget of unpacked bytes, entries and path lengths, and stops at the first one spent; only the
 * entries the caller keeps are held in memory. Fabric reads both layers with no limit at all.
 */
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar-stream';
import { ChaincodeError } from '../errors';

/**
 * Unpacked bytes of one layer (tar headers included). Fabric's own packager leaves `node_modules`
 * out, so a package's sources, or Weft's one-file bundle, are a few MB at most.
 */
export const MAX_UNPACKED_BYTES = 64 * 1024 * 1024;
/** Entries in one layer. */
export const MAX_ENTRIES = 10_000;
/** Bytes of an entry's path: well under Linux's PATH_MAX once unpacked into a work directory. */
export const MAX_PATH_BYTES = 1024;
/** Bytes of one segment of an entry's path (Linux's NAME_MAX). */
export const MAX_SEGMENT_BYTES = 255;

/** What {@link readTarGz} keeps and refuses. */
export interface TarLimits {
  /** Whether directory entries pass (skipped): yes in code.tar.gz; no in the outer layer, where Fabric allows only regular files. */
  readonly allowDirectories: boolean;
  /** Whether an entry's data is kept; the others are read through and dropped. Default: all. */
  readonly keep?: (name: string) => boolean;
  readonly maxBytes?: number;
  readonly maxEntries?: number;
}

function bad(message: string, details: Record<string, unknown> = {}, cause?: unknown): ChaincodeError {
  return new ChaincodeError('CHAINCODE_BAD_PACKAGE', message, details, cause === undefined ? undefined : { cause });
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

/** Counts the inflated bytes and fails the pipeline once past the budget, before the tar parser buffers them. */
class Budget extends Transform {
  private seen = 0;
  constructor(
    private readonly max: number,
    private readonly what: string,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.max) done(bad(`${this.what} unpacks to more than ${this.max} bytes: refused as a possible gzip bomb`, { limit: this.max }));
    else done(undefined, chunk);
  }
}

/** Refuses a name the peer could not write under its work directory, or that a later check would quote at length. */
function checkName(name: string, what: string): void {
  const shown = name.length > 120 ? `${name.slice(0, 120)}…` : name;
  if (Buffer.byteLength(name) > MAX_PATH_BYTES) {
    throw bad(`${what}: entry '${shown}' has a path of ${Buffer.byteLength(name)} bytes; at most ${MAX_PATH_BYTES} are allowed`, { entry: shown });
  }
  const long = name.split('/').find((s) => Buffer.byteLength(s) > MAX_SEGMENT_BYTES);
  if (long !== undefined) throw bad(`${what}: entry '${shown}' has a path segment of ${Buffer.byteLength(long)} bytes; at most ${MAX_SEGMENT_BYTES} are allowed`, { entry: shown });
  if (name.includes('\u0000')) throw bad(`${what}: entry ${JSON.stringify(shown)} has a NUL character in its path`, { entry: shown });
}

/**
 * Inflates and reads a tar.gz layer within `limits`: its regular files by name (`./` dropped; a
 * name given twice keeps the last, as an unpacking tar or Fabric's parser does). Links, devices and
 * other types are refused. Every failure is `CHAINCODE_BAD_PACKAGE` naming `what`.
 */
export async function readTarGz(bytes: Uint8Array, what: string, limits: TarLimits): Promise<Map<string, Uint8Array>> {
  const maxBytes = limits.maxBytes ?? MAX_UNPACKED_BYTES;
  const maxEntries = limits.maxEntries ?? MAX_ENTRIES;
  const files = new Map<string, Uint8Array>();
  let entries = 0;
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    // A tar cut short inside an entry errors that entry's stream, and so does destroying the parser
    // while an entry is open: unheard, either would end the process.
    stream.on('error', (err: Error) => extract.destroy(err));
    const fail = (err: ChaincodeError): void => {
      stream.resume();
      extract.destroy(err);
    };
    entries += 1;
    if (entries > maxEntries) return fail(bad(`${what} holds more than ${maxEntries} entries`, { limit: maxEntries }));
    const name = header.name.replace(/^\.\//, '');
    try {
      checkName(header.name, what);
    } catch (err) {
      return fail(err as ChaincodeError);
    }
    const regular = header.type === 'file' || header.type === 'contiguous-file';
    if (!regular && !(header.type === 'directory' && limits.allowDirectories)) {
      return fail(bad(`${what}: entry '${header.name}' is a ${header.type ?? 'entry of unknown type'}; only regular files are allowed`, { entry: header.name }));
    }
    const keep = regular && (limits.keep?.(name) ?? true);
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => {
      if (keep) chunks.push(c as Buffer);
    });
    stream.on('end', () => {
      if (keep) files.set(name, Buffer.concat(chunks));
      next();
    });
  });
  try {
    await pipeline(Readable.from([Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]), createGunzip(), new Budget(maxBytes, what), extract);
  } catch (err) {
    if (err instanceof ChaincodeError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (typeof e.code === 'string' && e.code.startsWith('Z_')) throw bad(`${what} is not gzip data: ${e.message}`, {}, err);
    throw bad(`${what} is not a valid tar archive: ${e.message}`, {}, err);
  }
  return files;
}
