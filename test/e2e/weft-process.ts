/**
 * Real Weft node processes for end-to-end tests: each node runs its TypeScript entry through the
 * ts-register hook, and is ready once it prints its one-line JSON "started" event on stdout.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NODE_PROCESS_FLAGS } from '../../core/node/node-flags';

const ROOT = path.resolve(__dirname, '..', '..');
const REGISTER = path.join(ROOT, 'test', 'support', 'ts-register.js');
export const ORDERER_MAIN = path.join(ROOT, 'core', 'orderer', 'main.ts');
export const PEER_MAIN = path.join(ROOT, 'core', 'peer', 'main.ts');

const live = new Set<ChildProcess>();
// A test or bench that dies must not leave nodes running: kill what is still alive on exit.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** How {@link WeftProcess.start} runs a node. */
export interface StartOptions {
  /** How long it may take to print its started line (60 s). */
  readonly timeoutMs?: number;
  /** Environment on top of this process's (`WEFT_LOG_LEVEL` defaults to `warn`). */
  readonly env?: Readonly<Record<string, string>>;
  /** A command that runs the node for it, e.g. `nsenter …` into a namespace (none: the node runs directly). */
  readonly prefix?: readonly string[];
  /** How much of its log (stderr) is kept, the latest characters (8,000). */
  readonly logChars?: number;
}

/** A running node process. */
export class WeftProcess {
  private stderr = '';

  /** The last characters the process wrote to stderr (its log), as many as `logChars` keeps. */
  get stderrTail(): string {
    return this.stderr;
  }
  private exited: Promise<number | null>;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
    logChars: number,
  ) {
    child.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-logChars);
    });
    live.add(child);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        live.delete(child);
        resolve(code);
      }),
    );
  }

  /** Spawns `entry --config configFile` and waits for its started line (rejects if it exits first). */
  static async start(name: string, entry: string, configFile: string, options: StartOptions = {}): Promise<WeftProcess> {
    const { timeoutMs = 60_000, env = {}, prefix = [], logChars = 8000 } = options;
    // WEFT_CPU_PROF=<dir>: each node writes a V8 .cpuprofile there when it exits (for profiling benches).
    const profDir = process.env.WEFT_CPU_PROF;
    const profFlags = profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir, '--cpu-prof-name', `${name}.${Date.now()}.cpuprofile`] : [];
    // WEFT_NODE_FLAGS="--perf-basic-prof --trace-gc …": extra Node flags for every node, for measuring.
    const extraFlags = (process.env.WEFT_NODE_FLAGS ?? '').split(' ').filter(Boolean);
    const command = [...prefix, process.execPath, ...NODE_PROCESS_FLAGS, ...extraFlags, ...profFlags, '-r', REGISTER, entry, '--config', configFile];
    const child = spawn(command[0]!, command.slice(1), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, WEFT_LOG_LEVEL: process.env.WEFT_LOG_LEVEL ?? 'warn', ...env },
    });
    const proc = new WeftProcess(name, child, logChars);
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`${name} did not start within ${timeoutMs} ms: ${proc.stderr}`)), timeoutMs);
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (/"event":"(orderer|peer)-started"/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
      void proc.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited with ${code} before starting: ${proc.stderr}`));
      });
    });
    return proc;
  }

  /** SIGKILL: no shutdown code runs (crash test). */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM and wait; SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Total CPU time (user + system, ms) of the process so far, from /proc (Linux). */
  cpuMs(): number {
    return procCpuMs(this.child.pid);
  }

  logs(): string {
    return this.stderr;
  }

  /** The JSON log lines kept so far, parsed (lines that are not JSON are skipped). */
  logLines(): Record<string, unknown>[] {
    return this.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  }
}

/** CPU ms of a live process from `/proc/<pid>/stat` (utime + stime), 0 when unavailable. */
export function procCpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / 100;
  } catch {
    return 0;
  }
}
