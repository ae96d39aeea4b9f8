import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataDirLock } from '../../../core/node/data-dir-lock';
import { NodeError } from '../../../core/errors';
import { isAlive } from './node-processes';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * A directory built beside `target` and renamed onto it once complete, so `target` is never seen
 * half written. Ctrl-C or SIGTERM removes it before the process dies; what a SIGKILL (or an OOM
 * kill) leaves, the next build for the same target removes. A builder holds an OS file lock
 * beside its staging directory (`<staging>.lock`, a {@link DataDirLock}) while it builds: a
 * leftover is removed only when that lock can be taken, so a build running in another container
 * on the same directory, whose pid means nothing here, keeps its staging directory.
 */
export class StagingDir {
  readonly dir: string;
  private readonly lock: DataDirLock;
  private committed = false;
  private kept = false;
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    this.dispose();
    // Our listener is gone now: unless another part of the process handles the signal, this
    // ends the process as the signal would have.
    process.kill(process.pid, signal);
  };

  constructor(readonly target: string) {
    const parent = path.dirname(target);
    const prefix = `.${path.basename(target)}.weft-init-`;
    fs.mkdirSync(parent, { recursive: true });
    removeLeftovers(parent, prefix);
    const dir = path.join(parent, `${prefix}${process.pid}-${randomBytes(4).toString('hex')}`);
    this.lock = DataDirLock.acquire(`${dir}${LOCK_SUFFIX}`, `weft building ${target}`);
    // mkdir, not mkdtemp: the directory becomes the network's, with the umask's mode, not 0700.
    fs.mkdirSync(dir);
    this.dir = dir;
    for (const signal of SIGNALS) process.once(signal, this.onSignal);
  }

  /** Moves the staged directory onto the target, which must be absent or an empty directory. */
  commit(): void {
    if (fs.existsSync(this.target)) fs.rmdirSync(this.target);
    fs.renameSync(this.dir, this.target);
    this.committed = true;
  }

  /**
   * Moves each of `entries` (paths relative to the staged directory) to the same path under
   * `root`, for material that joins an existing directory (`weft network add-org`) rather than
   * becoming one. Every destination is checked absent first, so a clash moves nothing; each move
   * is one rename. The staged directory is gone afterwards.
   */
  commitInto(root: string, entries: readonly string[]): void {
    const taken = entries.filter((e) => fs.existsSync(path.join(root, e)));
    if (taken.length > 0) throw new Error(`${taken.map((e) => path.join(root, e)).join(', ')} already exist`);
    for (const entry of entries) {
      fs.mkdirSync(path.dirname(path.join(root, entry)), { recursive: true });
      fs.renameSync(path.join(this.dir, entry), path.join(root, entry));
    }
    this.committed = true;
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** Whether {@link commit} or {@link commitInto} moved the staged material into place. */
  isCommitted(): boolean {
    return this.committed;
  }

  /**
   * Leaves the staged directory where it is: material that must not be lost though it could not
   * be moved into place (keys a channel already trusts). A later build for the same target still
   * removes it once this process is gone.
   */
  keep(): void {
    this.kept = true;
  }

  /** Removes the staged directory unless it was committed or kept. Idempotent. */
  dispose(): void {
    for (const signal of SIGNALS) process.off(signal, this.onSignal);
    // A kept directory keeps its lock until this process ends, so no build removes it before.
    if (this.kept && !this.committed) return;
    if (!this.committed) fs.rmSync(this.dir, { recursive: true, force: true });
    this.lock.release();
    fs.rmSync(`${this.dir}${LOCK_SUFFIX}`, { recursive: true, force: true });
  }
}

const LOCK_SUFFIX = '.lock';

/**
 * Removes the staging directories (and their locks) of builds for the same target that ended
 * without cleaning up: those whose lock can be taken. One whose lock is held belongs to a build
 * under way, in this container or another. A leftover of a version without locks is judged by
 * its pid, as that version did.
 */
function removeLeftovers(parent: string, prefix: string): void {
  const names = new Set(fs.readdirSync(parent).filter((n) => n.startsWith(prefix)));
  for (const name of names) {
    const stem = name.endsWith(LOCK_SUFFIX) ? name.slice(0, -LOCK_SUFFIX.length) : name;
    if (stem !== name && names.has(stem)) continue; // handled with its staging directory
    const match = /^(\d+)-[0-9a-f]+$/.exec(stem.slice(prefix.length));
    if (match === null) continue;
    const lockDir = path.join(parent, `${stem}${LOCK_SUFFIX}`);
    if (names.has(`${stem}${LOCK_SUFFIX}`)) {
      if (!takeAndRemove(lockDir, path.join(parent, stem))) continue;
    } else if (!isAlive(Number(match[1]))) {
      fs.rmSync(path.join(parent, stem), { recursive: true, force: true });
    }
  }
}

/** Removes `staged` and its `lockDir` when the lock can be taken; false when a live build holds it. */
function takeAndRemove(lockDir: string, staged: string): boolean {
  let lock: DataDirLock;
  try {
    lock = DataDirLock.acquire(lockDir, 'weft removing a stale build');
  } catch (err) {
    if (err instanceof NodeError && err.code === 'NODE_DATA_DIR_IN_USE') return false;
    throw err;
  }
  try {
    fs.rmSync(staged, { recursive: true, force: true });
  } finally {
    lock.release();
  }
  fs.rmSync(lockDir, { recursive: true, force: true });
  return true;
}
