import * as fs from 'node:fs';
import { MessageChannel, Worker } from 'node:worker_threads';

/**
 * What a channel store needs from background writeback: to mark the writes that may checkpoint, and
 * to let go of its files once their SQLite connections have closed.
 */
export interface FileWriteback {
  /** Runs a write transaction; SQLite checkpoints inside the commit that crosses its threshold. */
  writing<T>(write: () => T): T;
  /** Call after the files' SQLite connections have closed: the thread stops using them, their descriptors close. */
  release(): void;
  /** fdatasyncs done by the thread so far, on the WALs and on the databases during checkpoints. */
  syncs(): { wal: number; database: number };
  /** How many times the thread has read these files' WAL index so far. */
  looks(): number;
}

export const NO_WRITEBACK: FileWriteback = {
  writing: (write) => write(),
  release: () => {},
  syncs: () => ({ wal: 0, database: 0 }),
  looks: () => 0,
};

/** Slots of the array shared by all files: writes under way, writes started, stop. */
const WRITERS = 0;
const GENERATION = 1;
const STOP = 2;
/** Slots of one file's control array: writes of it under way, and started, tell the thread which files to look at. */
const ACTIVE = 0;
const BUSY = 1;
const WAL_SYNCS = 2;
const DB_SYNCS = 3;
const WRITING = 4;
const WRITES = 5;
const LOOKS = 6;
const CONTROL_SLOTS = 7;

/** How often the thread looks at the files while a write is under way. */
const POLL_MS = 5;

interface FileFds {
  db: number;
  wal: number;
  shm: number;
}

interface AddFile extends FileFds {
  walSyncFrames: number;
  control: SharedArrayBuffer;
}

/**
 * Starts the kernel's writeback of a file before SQLite waits for it, as RocksDB's
 * `wal_bytes_per_sync` does. With `synchronous=NORMAL` SQLite syncs only at a checkpoint, inside the
 * commit that crosses its threshold: first the WAL (tens of MiB the kernel has not yet written,
 * since its dirty-page thresholds are far larger), then, after copying the WAL's pages, the
 * database. Both waits were the larger part of each checkpoint's stall. A thread fdatasyncs each
 * WAL whenever it has grown by `writebackEveryMiB`, and the database file while a checkpoint is
 * copying into it, so SQLite's own syncs find little left to write.
 *
 * It learns both from the WAL index header (`-shm`): `mxFrame` (offset 16) is the WAL's length in
 * frames, and a checkpoint is copying while `nBackfillAttempted` (128) exceeds `nBackfill` (96)
 * (https://www.sqlite.org/walformat.html). It looks at a file only while a write to it is under
 * way and once after each, so a peer's idle channels cost nothing while one channel commits, and
 * sleeps while nothing is written.
 *
 * Extra syncs never weaken what SQLite's syncs guarantee; Linux reports a writeback error to every
 * descriptor open when it happened, so SQLite's next sync still sees an error this thread's saw.
 * The descriptors stay open until the file's SQLite connection has closed: closing any descriptor
 * of a file drops the POSIX locks SQLite holds on it in this process.
 */
export class BackgroundWriteback {
  /** Shared with the current thread; each thread gets its own, so a stopped one never sees a successor's. */
  private shared = new Int32Array(new SharedArrayBuffer(3 * 4));
  private worker: Worker | undefined;
  private port: MessageChannel['port1'] | undefined;
  private tracked = 0;
  /** Set if the thread failed to run: files tracked later get none (SQLite's own syncs still do all the work). */
  private failed = false;

  constructor(private readonly everyMiB: number) {}

  /** Tracks a channel's database files (each with its `-wal` and `-shm`, which must exist: the database is open in WAL mode). */
  track(files: readonly { path: string; pageSize: number }[]): FileWriteback {
    if (this.failed) return NO_WRITEBACK;
    const controls: Int32Array[] = [];
    /** Every descriptor opened, even of a file left untracked: none may close before SQLite's connection. */
    const owned: number[] = [];
    for (const f of files) {
      const fds = openFds(f.path, owned);
      if (fds === undefined) continue;
      const control = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * 4));
      control[ACTIVE] = 1;
      const add: AddFile = { ...fds, walSyncFrames: Math.ceil((this.everyMiB * 1024 * 1024) / (f.pageSize + 24)), control: control.buffer as SharedArrayBuffer };
      this.start().postMessage(add);
      controls.push(control);
    }
    if (controls.length > 0) {
      this.tracked++;
      Atomics.notify(this.shared, GENERATION);
    }
    let released = false;
    return {
      writing: controls.length > 0 ? (write) => this.writing(controls, write) : NO_WRITEBACK.writing,
      release: () => {
        if (released) return;
        released = true;
        for (const control of controls) {
          // Dekker-style with the thread, which sets BUSY before it reads ACTIVE: either it sees
          // the file inactive, or this sees it busy and waits out that one look.
          Atomics.store(control, ACTIVE, 0);
          while (Atomics.load(control, BUSY) !== 0 && !this.failed) Atomics.wait(control, BUSY, 1, 100);
        }
        for (const fd of owned) fs.closeSync(fd);
        if (controls.length > 0 && --this.tracked === 0) this.stop();
      },
      syncs: () => ({
        wal: controls.reduce((n, c) => n + Atomics.load(c, WAL_SYNCS), 0),
        database: controls.reduce((n, c) => n + Atomics.load(c, DB_SYNCS), 0),
      }),
      looks: () => controls.reduce((n, c) => n + Atomics.load(c, LOOKS), 0),
    };
  }

  private writing<T>(controls: readonly Int32Array[], write: () => T): T {
    const shared = this.shared;
    // The files first: the thread, once woken, must find them marked.
    for (const control of controls) {
      Atomics.add(control, WRITING, 1);
      Atomics.add(control, WRITES, 1);
    }
    Atomics.add(shared, WRITERS, 1);
    Atomics.add(shared, GENERATION, 1);
    Atomics.notify(shared, GENERATION);
    try {
      return write();
    } finally {
      Atomics.sub(shared, WRITERS, 1);
      for (const control of controls) Atomics.sub(control, WRITING, 1);
    }
  }

  private start(): MessageChannel['port1'] {
    if (this.worker !== undefined && this.port !== undefined) return this.port;
    const { port1, port2 } = new MessageChannel();
    this.shared = new Int32Array(new SharedArrayBuffer(3 * 4));
    this.worker = new Worker(`(${writebackThread.toString()})()`, {
      eval: true,
      workerData: { port: port2, shared: this.shared.buffer, pollMs: POLL_MS },
      transferList: [port2],
      // Not the parent's flags: a `-r` require hook (the TypeScript loader in development) would load in the thread too.
      execArgv: [],
    });
    this.worker.on('error', () => {
      // Only when the thread cannot start (e.g. out of memory); SQLite's own syncs still do all the work.
      this.failed = true;
    });
    this.worker.unref();
    this.port = port1;
    return port1;
  }

  private stop(): void {
    Atomics.store(this.shared, STOP, 1);
    Atomics.add(this.shared, GENERATION, 1);
    Atomics.notify(this.shared, GENERATION);
    this.port?.close();
    this.worker = undefined;
    this.port = undefined;
  }
}

/** Opens a database file, its WAL and its WAL index; undefined if one is missing (not in WAL mode). */
function openFds(dbPath: string, owned: number[]): FileFds | undefined {
  const fds: number[] = [];
  try {
    for (const suffix of ['', '-wal', '-shm']) {
      fds.push(fs.openSync(dbPath + suffix, 'r'));
      owned.push(fds[fds.length - 1]!);
    }
  } catch {
    return undefined;
  }
  return { db: fds[0]!, wal: fds[1]!, shm: fds[2]! };
}

/**
 * The thread's body. It runs as source text (`eval`), so it refers to nothing outside itself and
 * loads what it needs with `require`.
 */
function writebackThread(): void {
  /* eslint-disable @typescript-eslint/no-require-imports -- evaluated as source in the worker, where nothing is imported */
  const threads = require('node:worker_threads') as typeof import('node:worker_threads');
  const nodeFs = require('node:fs') as typeof import('node:fs');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const { port, shared, pollMs } = threads.workerData as { port: import('node:worker_threads').MessagePort; shared: SharedArrayBuffer; pollMs: number };
  // Slots by number, as it cannot see the constants: state WRITERS 0, GENERATION 1, STOP 2;
  // a file's control ACTIVE 0, BUSY 1, WAL_SYNCS 2, DB_SYNCS 3, WRITING 4, WRITES 5, LOOKS 6.
  const state = new Int32Array(shared);
  const nap = new Int32Array(new SharedArrayBuffer(4));
  // The WAL index header and checkpoint info, in native byte order like the file itself.
  const header = new Uint32Array(34);
  const headerBytes = new Uint8Array(header.buffer);
  /** `seenWrites`: the file's WRITES at its last look, or -1 when that look was during a write (one more look is due after it). */
  const files: { db: number; wal: number; shm: number; walSyncFrames: number; control: Int32Array; syncedTo: number; seenWrites: number }[] = [];

  /** One look at a file; false once it has been released. */
  const visit = (f: (typeof files)[number], writing: boolean): boolean => {
    Atomics.store(f.control, 1, 1);
    try {
      if (Atomics.load(f.control, 0) === 0) return false;
      Atomics.add(f.control, 6, 1);
      if (nodeFs.readSync(f.shm, headerBytes, 0, 136, 0) < 136) return true;
      const mxFrame = header[4]!;
      const nBackfill = header[24]!;
      const nBackfillAttempted = header[32]!;
      if (writing && nBackfillAttempted > nBackfill) {
        nodeFs.fdatasyncSync(f.db);
        Atomics.add(f.control, 3, 1);
      }
      if (mxFrame < f.syncedTo) f.syncedTo = 0; // the WAL restarted from its beginning
      if (mxFrame - f.syncedTo >= f.walSyncFrames) {
        nodeFs.fdatasyncSync(f.wal);
        f.syncedTo = mxFrame;
        Atomics.add(f.control, 2, 1);
      }
    } catch {
      // A failed early sync changes nothing: SQLite's own sync does the work, and reports the error.
    } finally {
      Atomics.store(f.control, 1, 0);
      Atomics.notify(f.control, 1);
    }
    return true;
  };

  let seen = Atomics.load(state, 1);
  for (;;) {
    for (let m = threads.receiveMessageOnPort(port); m !== undefined; m = threads.receiveMessageOnPort(port)) {
      const add = m.message as { db: number; wal: number; shm: number; walSyncFrames: number; control: SharedArrayBuffer };
      files.push({ ...add, control: new Int32Array(add.control), syncedTo: 0, seenWrites: -1 });
    }
    if (Atomics.load(state, 2) === 1) return;
    const writing = Atomics.load(state, 0) > 0;
    for (let i = files.length - 1; i >= 0; i--) {
      const f = files[i]!;
      const fileWriting = Atomics.load(f.control, 4) > 0;
      const writes = Atomics.load(f.control, 5);
      // Only the files written since their last look: a write to one channel must not read every
      // other channel's files each poll. A released file is dropped unread (its descriptors may be closed).
      if (!fileWriting && writes === f.seenWrites) {
        if (Atomics.load(f.control, 0) === 0) files.splice(i, 1);
        continue;
      }
      f.seenWrites = fileWriting ? -1 : writes;
      if (!visit(f, fileWriting)) files.splice(i, 1);
    }
    if (writing) {
      Atomics.wait(nap, 0, 0, pollMs);
    } else {
      // Asleep until a write starts (or a file is added, or stop); one more look after it ends.
      Atomics.wait(state, 1, seen);
      seen = Atomics.load(state, 1);
    }
  }
}
