import * as fs from 'node:fs';
import type { Logger } from './logger';

/** What a node process needs to stop itself cleanly. */
export interface StoppableNode {
  readonly logger: Logger;
  stop(): Promise<void>;
}

/**
 * Stops `node` once on the first SIGINT or SIGTERM and exits the process: 0 after a clean stop, 1
 * when stopping failed. Used by the peer and orderer process entries.
 */
export function stopOnSignals(node: StoppableNode, kind: string): void {
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    node.logger.info({ signal }, `stopping ${kind}`);
    node.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        node.logger.error({ err }, `${kind} did not stop cleanly`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

/** A node whose certificates a SIGHUP reloads. */
export interface ReloadableNode {
  readonly logger: Logger;
  reloadCertificates(): unknown;
}

/**
 * Reloads the node's certificates on each SIGHUP (the Unix convention for "re-read your files":
 * nginx, haproxy, etcd), instead of Node's default for it, which ends the process. The reload
 * logs its own outcome.
 */
export function reloadOnSighup(node: ReloadableNode): () => void {
  const reload = (): void => {
    node.logger.info({ signal: 'SIGHUP' }, 'reloading certificates');
    try {
      node.reloadCertificates();
    } catch (err) {
      node.logger.error({ err }, 'certificate reload failed');
    }
  };
  process.on('SIGHUP', reload);
  return () => process.off('SIGHUP', reload);
}

/**
 * Sends the process's warnings to the node's structured log instead of Node's raw lines on stderr.
 * One is expected and harmless: grpc-js hands a target's IP address to TLS as the server name, which
 * Node flags as DEP0123 when a node dials another by IP. The certificates name their IPs, so
 * verification is unaffected; it is logged at debug.
 */
export function logProcessWarnings(logger: Logger): void {
  // Node prints warnings from a 'warning' listener of its own; this one replaces it.
  process.removeAllListeners('warning');
  process.on('warning', (warning: Error & { code?: string }) => {
    const entry = { code: warning.code, warning: warning.name };
    if (warning.code === 'DEP0123') logger.debug(entry, warning.message);
    else logger.warn(entry, warning.message);
  });
}

/**
 * The `--config <file>` (or `--config=<file>`) argument of a node process. Exits with usage help
 * when it is missing, so a process started wrongly says why instead of failing later.
 */
export function configFileArg(argv: readonly string[], kind: string): string {
  const i = argv.indexOf('--config');
  const file = i !== -1 ? argv[i + 1] : argv.find((a) => a.startsWith('--config='))?.slice('--config='.length);
  if (file === undefined || file.length === 0) {
    process.stderr.write(`usage: main --config <${kind}.yaml>\n`);
    process.exit(2);
  }
  return file;
}

/**
 * What tells a process apart from a later one that reuses its pid, or from one in another PID
 * namespace (container) that has the same number: the kernel's boot id, the process's start time
 * (clock ticks since boot, /proc/<pid>/stat field 22) and its PID namespace. Fields the system
 * does not expose are left out.
 */
export interface ProcessStamp {
  readonly bootId?: string;
  readonly startTime?: string;
  readonly pidNamespace?: string;
}

function readProc(file: string, read: (f: string) => string): string | undefined {
  try {
    return read(file).trim();
  } catch {
    return undefined;
  }
}

/** The start time field of /proc/<pid>/stat; `comm` may hold spaces and parentheses, so fields count from the last ')'. */
function startTimeOf(pid: number | 'self'): string | undefined {
  const stat = readProc(`/proc/${pid}/stat`, (f) => fs.readFileSync(f, 'utf8'));
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

/** This process's stamp, for a record that another process later checks with {@link isSameProcess}. */
export function ownProcessStamp(): ProcessStamp {
  const stamp = {
    bootId: readProc('/proc/sys/kernel/random/boot_id', (f) => fs.readFileSync(f, 'utf8')),
    startTime: startTimeOf('self'),
    pidNamespace: readProc('/proc/self/ns/pid', fs.readlinkSync),
  };
  return Object.fromEntries(Object.entries(stamp).filter(([, v]) => v !== undefined)) as ProcessStamp;
}

/**
 * Whether `pid`, as this process sees it, is the process that recorded `stamp`: false when the
 * record comes from another boot or another PID namespace, or the pid now names a process that
 * started at another time. Undefined when there is nothing to compare (no /proc, or a record
 * without a start time), so the caller decides by other means.
 */
export function isSameProcess(pid: number, stamp: ProcessStamp | undefined): boolean | undefined {
  const here = ownProcessStamp();
  if (stamp?.startTime === undefined || here.startTime === undefined) return undefined;
  if (stamp.bootId !== undefined && here.bootId !== undefined && stamp.bootId !== here.bootId) return false;
  if (stamp.pidNamespace !== undefined && here.pidNamespace !== undefined && stamp.pidNamespace !== here.pidNamespace) return false;
  return startTimeOf(pid) === stamp.startTime;
}
