import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isAlive } from './node-processes';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * A directory built beside `target` and renamed onto it once complete, so `target` is never seen
 * half written. Ctrl-C or SIGTERM removes it before the process dies; what a SIGKILL (or an OOM
 * kill) leaves, the next build for the same target removes. The staging directory's name carries
 * the builder's pid, which tells a dead builder's leftovers from a live one's.
 */
export class StagingDir {
  readonly dir: string;
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
    for (const name of fs.readdirSync(parent)) {
      const pid = Number(/^(\d+)-[0-9a-f]+$/.exec(name.startsWith(prefix) ? name.slice(prefix.length) : '')?.[1]);
      if (Number.isInteger(pid) && pid > 0 && !isAlive(pid)) fs.rmSync(path.join(parent, name), { recursive: true, force: true });
    }
    // mkdir, not mkdtemp: the directory becomes the network's, with the umask's mode, not 0700.
    this.dir = path.join(parent, `${prefix}${process.pid}-${randomBytes(4).toString('hex')}`);
    fs.mkdirSync(this.dir);
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
    if (!this.committed && !this.kept) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
