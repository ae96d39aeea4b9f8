import * as fs from 'node:fs';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';
import { OrdererError } from '../../core/errors';

/** One accepted message, as the WAL stores it. */
export interface WalRecord {
  /** Position in the chain's accepted stream, 1-based, never reused. */
  readonly index: number;
  readonly kind: 'normal' | 'config';
  readonly configSeq: number;
  /** The serialized envelope. */
  readonly envelope: Uint8Array;
}

/** What {@link SoloWal.open} found. */
export interface OpenedWal {
  readonly wal: SoloWal;
  /** The records to replay, oldest first. */
  readonly records: WalRecord[];
  /** Why the file found there was thrown away unread (another chain's log), when it was. */
  readonly discarded?: string;
}

// File: header | frames. Header: "WEFTWAL1" | u8 chain id length | chain id (the genesis block hash).
// Frame: u32 body length | u32 crc32(body) | body. Body: u8 kind | u32 configSeq | u64 index | envelope.
const MAGIC = Buffer.from('WEFTWAL1');
const FRAME_HEADER = 8;
const BODY_HEADER = 13;

/**
 * An append-only log of the envelopes a solo chain accepted, so that an envelope acknowledged with
 * SUCCESS survives a crash before its block is written. Appends are group-committed: all records
 * queued while a write is in flight go out in the next single write + fdatasync. The log is bound
 * to one chain by a header naming it.
 */
export class SoloWal {
  private fd: number;
  private size: number;
  private queue: { frame: Buffer; index: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  private flushing = false;
  private closed = false;
  /** Truncation is allowed while the last durable record is at most this index. */
  private truncateUpTo = 0;
  private lastDurableIndex = 0;

  private constructor(
    private readonly file: string,
    fd: number,
    /** Length of the file header, which truncation keeps. */
    private readonly headerBytes: number,
    size: number,
    private readonly sync: boolean,
    private readonly groupCommitMs: number,
  ) {
    this.fd = fd;
    this.size = size;
  }

  private get truncateRequested(): boolean {
    return this.size > this.headerBytes && this.truncateUpTo > 0 && this.lastDurableIndex <= this.truncateUpTo;
  }

  /**
   * Opens (or creates) the WAL in `dir` for the chain `chainId` names (its genesis block hash) and
   * returns the records it holds. A file whose header names another chain is discarded unread and
   * started afresh: its records were accepted by an earlier channel of the same name and must never
   * be ordered into this one. A log from before headers (frames from byte 0) is this chain's, as
   * the registrar then kept one log per channel: it is rewritten with the header, records kept. A
   * torn record at the tail (a crash mid-append) is cut off; its append was never acknowledged.
   */
  static open(dir: string, sync: boolean, groupCommitMs = 0, chainId: Uint8Array = new Uint8Array(0)): OpenedWal {
    if (chainId.length > 255) throw new OrdererError('ORDERER_WAL_CHAIN_ID', `WAL chain id is ${chainId.length} bytes; at most 255 fit its header`, { dir });
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'solo.wal');
    const header = Buffer.concat([MAGIC, Buffer.from([chainId.length]), chainId]);
    let bytes: Buffer = fs.existsSync(file) ? fs.readFileSync(file) : Buffer.alloc(0);
    if (bytes.length > 0 && !bytes.subarray(0, MAGIC.length).equals(MAGIC)) bytes = withHeader(file, bytes, header, sync);
    const discarded = bytes.length === 0 ? undefined : headerProblem(bytes, header);
    const { records, end } = bytes.length === 0 || discarded !== undefined ? { records: [], end: 0 } : readFrames(bytes, header.length);
    const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
    if (end === 0) {
      // New, or another chain's: the header goes down before any record can.
      fs.ftruncateSync(fd, 0);
      fs.writeSync(fd, header, 0, header.length, 0);
      if (sync) fs.fdatasyncSync(fd);
    } else if (end !== bytes.length) {
      fs.ftruncateSync(fd, end);
    }
    const wal = new SoloWal(file, fd, header.length, Math.max(end, header.length), sync, groupCommitMs);
    wal.lastDurableIndex = records.length > 0 ? records[records.length - 1]!.index : 0;
    return { wal, records, ...(discarded !== undefined && { discarded }) };
  }

  /** Bytes of records currently in the log. */
  get bytes(): number {
    return this.size - this.headerBytes;
  }

  /** Appends a record; resolves once it is on disk (fdatasync'd when `sync`). */
  append(record: WalRecord): Promise<void> {
    if (this.closed) return Promise.reject(new OrdererError('ORDERER_HALTED', `WAL ${this.file} is closed`));
    const frame = Buffer.allocUnsafe(FRAME_HEADER + BODY_HEADER + record.envelope.length);
    const body = frame.subarray(FRAME_HEADER);
    body[0] = record.kind === 'normal' ? 0 : 1;
    body.writeUInt32BE(record.configSeq >>> 0, 1);
    body.writeBigUInt64BE(BigInt(record.index), 5);
    body.set(record.envelope, BODY_HEADER);
    frame.writeUInt32BE(body.length, 0);
    frame.writeUInt32BE(crc32(body), 4);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ frame, index: record.index, resolve, reject });
      if (this.flushing) return;
      this.flushing = true;
      // Envelopes of one burst arrive a fraction of a millisecond apart: waiting a moment lets one
      // write + fdatasync cover many of them instead of one each.
      if (this.groupCommitMs > 0) setTimeout(() => void this.flush(), this.groupCommitMs);
      else void this.flush();
    });
  }

  /**
   * Empties the log if every durable record has an index ≤ `appliedIndex` (each is in a written
   * block or was discarded). Runs between group commits; a record appended since is never lost.
   */
  requestTruncate(appliedIndex: number): void {
    this.truncateUpTo = appliedIndex;
    if (!this.flushing && this.truncateRequested) {
      this.flushing = true;
      void this.flush();
    }
  }

  /** Called with `flushing` already set, so appends meanwhile only queue. */
  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0 || this.truncateRequested) {
        if (this.queue.length === 0) {
          this.truncateUpTo = 0;
          await new Promise<void>((resolve) => fs.ftruncate(this.fd, this.headerBytes, () => resolve()));
          this.size = this.headerBytes;
          continue;
        }
        const batch = this.queue;
        this.queue = [];
        const data = batch.length === 1 ? batch[0]!.frame : Buffer.concat(batch.map((b) => b.frame));
        try {
          await writeAll(this.fd, data, this.size);
          if (this.sync) await fdatasync(this.fd);
          this.size += data.length;
          this.lastDurableIndex = batch[batch.length - 1]!.index;
          for (const b of batch) b.resolve();
        } catch (err) {
          // Whatever part of the batch reached the file goes: its appends are refused, so a restart
          // must not replay them (and a shorter batch written here next must not leave one whole).
          await new Promise<void>((resolve) => fs.ftruncate(this.fd, this.size, () => resolve()));
          const error = new OrdererError('ORDERER_WAL_WRITE', `cannot append to WAL ${this.file}: ${(err as Error).message}`, {
            file: this.file,
            ...((err as NodeJS.ErrnoException).code !== undefined && { errno: (err as NodeJS.ErrnoException).code }),
          });
          for (const b of batch) b.reject(error);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /** Rejects nothing already queued: waits for queued appends, then closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing) await new Promise((r) => setImmediate(r));
    fs.closeSync(this.fd);
  }
}

function writeAll(fd: number, data: Buffer, position: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (offset: number): void => {
      fs.write(fd, data, offset, data.length - offset, position + offset, (err, written) => {
        if (err) return reject(err);
        if (offset + written < data.length) return step(offset + written);
        resolve();
      });
    };
    step(0);
  });
}

function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}

/**
 * Rewrites a log from before headers as `header` followed by its whole records (atomically: a
 * crash leaves either file whole), so that its acknowledged envelopes are still ordered.
 */
function withHeader(file: string, legacy: Buffer, header: Buffer, sync: boolean): Buffer {
  const { end } = readFrames(legacy, 0);
  const upgraded = Buffer.concat([header, legacy.subarray(0, end)]);
  const temp = `${file}.upgrade`;
  const fd = fs.openSync(temp, 'w', 0o600);
  try {
    fs.writeSync(fd, upgraded, 0, upgraded.length, 0);
    if (sync) fs.fdatasyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, file);
  if (sync) {
    const dir = fs.openSync(path.dirname(file), 'r');
    try {
      fs.fsyncSync(dir);
    } finally {
      fs.closeSync(dir);
    }
  }
  return upgraded;
}

/** Why `bytes` is not a log of the chain `header` names, or undefined when it is. */
function headerProblem(bytes: Buffer, header: Buffer): string | undefined {
  if (bytes.length < MAGIC.length || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) return 'it has no Weft WAL header';
  if (bytes.length >= header.length && bytes.subarray(0, header.length).equals(header)) return undefined;
  const length = bytes[MAGIC.length] ?? 0;
  const other = bytes.subarray(MAGIC.length + 1, MAGIC.length + 1 + length).toString('hex');
  const mine = header.subarray(MAGIC.length + 1).toString('hex');
  return `its header names chain ${other || '(none)'}, this chain is ${mine || '(none)'}`;
}

/** The whole records from `start` on, and where the last one ends (a torn or corrupt tail is left out). */
function readFrames(bytes: Buffer, start: number): { records: WalRecord[]; end: number } {
  const records: WalRecord[] = [];
  let offset = start;
  while (offset + FRAME_HEADER <= bytes.length) {
    const len = bytes.readUInt32BE(offset);
    const crc = bytes.readUInt32BE(offset + 4);
    const end = offset + FRAME_HEADER + len;
    if (len < BODY_HEADER || end > bytes.length) break;
    const body = bytes.subarray(offset + FRAME_HEADER, end);
    if (crc32(body) !== crc) break;
    const kindByte = body[0];
    if (kindByte !== 0 && kindByte !== 1) break;
    records.push({
      kind: kindByte === 0 ? 'normal' : 'config',
      configSeq: body.readUInt32BE(1),
      index: Number(body.readBigUInt64BE(5)),
      envelope: Uint8Array.prototype.slice.call(body, BODY_HEADER),
    });
    offset = end;
  }
  return { records, end: offset };
}
