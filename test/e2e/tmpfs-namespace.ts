import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { WeftProcess } from './weft-process';

/**
 * Small filesystems for disk-full tests, without root: a helper process holds a user and mount
 * namespace of its own (`unshare --user --map-root-user --mount`) in which a size-limited tmpfs is
 * mounted over each of the given directories. Only processes started through {@link run} (or
 * {@link spawnNode}) see them; everything else, the test included, sees the directories as they are
 * on disk. The helper ends when its stdin closes, so a test process that dies takes it along.
 */
export class TmpfsNamespace {
  private constructor(
    private readonly helper: ChildProcess,
    /** The command prefix that runs a command inside the namespace. */
    readonly enter: readonly string[],
  ) {}

  /** Mounts a tmpfs of `sizeKiB` over each directory (created if missing). Rejects loudly without user namespaces. */
  static async create(mounts: readonly { dir: string; sizeKiB: number }[]): Promise<TmpfsNamespace> {
    for (const m of mounts) fs.mkdirSync(m.dir, { recursive: true });
    const script = [...mounts.map((m) => `mount -t tmpfs -o size=${m.sizeKiB}k weft-diskfull '${m.dir}'`), 'echo ready', 'exec cat'].join(' && ');
    const helper = spawn('unshare', ['--user', '--map-root-user', '--mount', '--propagation', 'private', 'sh', '-c', script], { stdio: ['pipe', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      let stderr = '';
      helper.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      helper.stdout.once('data', () => resolve());
      helper.once('error', (err) => reject(new Error(`disk-full tests need unshare (util-linux) and user namespaces: ${err.message}`)));
      helper.once('exit', (code) => reject(new Error(`disk-full tests need user namespaces (unshare --user --mount); the helper exited ${code}: ${stderr.trim()}`)));
    });
    return new TmpfsNamespace(helper, ['nsenter', '-t', String(helper.pid), '--user', '--mount', '--preserve-credentials']);
  }

  /** Runs a shell command inside the namespace; returns its stdout (throws on a non-zero exit). */
  run(script: string): string {
    return execFileSync(this.enter[0]!, [...this.enter.slice(1), 'sh', '-c', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** KiB free on the filesystem holding `dir`, as the namespace sees it. */
  freeKiB(dir: string): number {
    return Number(this.run(`df -k --output=avail '${dir}' | tail -1`).trim());
  }

  /** Appends to `dir/.filler` until about `leaveKiB` stay free (dd stops at a full disk, which is fine). */
  fill(dir: string, leaveKiB: number): void {
    const count = Math.max(0, this.freeKiB(dir) - leaveKiB);
    this.run(`dd if=/dev/zero of='${dir}/.filler' bs=1024 count=${count} oflag=append conv=notrunc 2>/dev/null || true`);
  }

  /** Deletes what {@link fill} wrote. */
  free(dir: string): void {
    this.run(`rm -f '${dir}/.filler'`);
  }

  /** Copies `from` (seen inside the namespace) to `to` on the real disk, for checks the test runs itself. */
  copyOut(from: string, to: string): void {
    this.run(`mkdir -p '${to}' && cp -a '${from}/.' '${to}/' && rm -f '${to}/.filler'`);
  }

  /** Starts a Weft node (`entry --config configFile`) inside the namespace; resolves once it reports started. */
  spawnNode(name: string, entry: string, configFile: string, timeoutMs = 60_000): Promise<WeftProcess> {
    return WeftProcess.start(name, entry, configFile, {
      timeoutMs,
      prefix: this.enter,
      // Inside the user namespace the repo looks owned by `nobody`, which @swc/core's native-cache check refuses.
      env: { WEFT_LOG_LEVEL: 'info', WEFT_LOGLEVEL: 'warn', SWC_NATIVE_BINDING_CACHE_SKIP_SECURITY_CHECK: '1' },
      // The whole log: the tests look for the error lines of a pause long after it began.
      logChars: Infinity,
    });
  }

  destroy(): void {
    this.helper.stdin?.end();
  }
}
