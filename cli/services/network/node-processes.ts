import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { WeftError } from '../../../core/errors';
import { DataDirLock, type DataDirOwner } from '../../../core/node/data-dir-lock';
import { NODE_PROCESS_FLAGS } from '../../../core/node/node-flags';
import { isSameProcess } from '../../../core/node/node-process';
import { weftRoot } from '../repo-root';
import type { NodeLayout } from './network-layout';

/**
 * How a node process is started: the compiled entry under dist/ when the CLI itself runs compiled,
 * otherwise the TypeScript entry through the swc require hook (development checkout).
 */
export function nodeCommand(node: NodeLayout): string[] {
  const root = weftRoot();
  const compiled = !__filename.endsWith('.ts');
  const entry = compiled ? path.join(root, 'dist', 'core', node.kind, 'main.js') : path.join(root, 'core', node.kind, 'main.ts');
  const hook = compiled ? [] : ['-r', path.join(root, 'test', 'support', 'ts-register.js')];
  return [...NODE_PROCESS_FLAGS, ...hook, entry, '--config', node.configFile];
}

export function readPid(node: NodeLayout): number | undefined {
  try {
    const pid = Number(fs.readFileSync(node.pidFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether `pid` names a live process. A node started by an earlier `weft network up` is not our
 * child, so when it exits it stays a zombie until init reaps it, and `kill(pid, 0)` still succeeds:
 * where /proc exists, a zombie counts as gone (in a container whose PID 1 never reaps, `network
 * down` would otherwise wait for it forever).
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !exited(pid);
}

/** The process has exited and waits to be reaped: state Z or X in /proc/<pid>/stat. */
function exited(pid: number): boolean {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    // Gone since the signal where /proc exists; without /proc, kill(0) decides.
    return fs.existsSync('/proc/self/stat');
  }
  // "pid (comm) state ...": comm may hold spaces and parentheses, so read after the last ')'.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state === 'Z' || state === 'X';
}

/**
 * Whether `pid` is this node's process: after a reboot a stale pid file may name an unrelated
 * process, which must never be signalled. Where /proc exists the command line must name the
 * node's config file.
 */
function isNodeProcess(pid: number, node: NodeLayout): boolean {
  if (!isAlive(pid)) return false;
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(node.configFile);
  } catch {
    return !fs.existsSync('/proc/self');
  }
}

/**
 * The pid of the node's running process, if any: the one `weft network up` started (a stale pid
 * file is ignored), or one started another way, such as `weft peer start --config …` by hand, which
 * holds the node's data directory. So status sees it, up leaves it be and down stops it.
 */
export function runningPid(node: NodeLayout): number | undefined {
  const pid = readPid(node);
  if (pid !== undefined && isNodeProcess(pid, node)) return pid;
  const holder = nodeAsHolder(node);
  return holder !== undefined && holderIsHere(holder, node) ? holder.pid : undefined;
}

/** The data directory's holder record when the node itself holds it (wherever it runs). */
function nodeAsHolder(node: NodeLayout): DataDirOwner | undefined {
  const holder = DataDirLock.holderOf(node.dataDir);
  return holder !== undefined && holder.holder === nodeHolder(node) ? holder : undefined;
}

/**
 * Whether the holder's pid names, here, the process that wrote the record. The lock holds across
 * containers sharing the directory, where the recorded pid may name any local process: the record's
 * stamp (boot, start time, PID namespace) must match. A record without one (an older Weft) is
 * believed only for a process whose command line names the node's config, as a pid file is, and
 * without /proc (macOS) the pid is all there is.
 */
function holderIsHere(holder: DataDirOwner, node: NodeLayout): boolean {
  if (!isAlive(holder.pid)) return false;
  return isSameProcess(holder.pid, holder.stamp) ?? (fs.existsSync('/proc/self') ? isNodeProcess(holder.pid, node) : true);
}

/**
 * Refuses to go on when the node's data directory is held by the node, but not by a process this
 * machine's view can signal: in another container (PID namespace) sharing the directory, or a pid
 * record that no longer names it.
 */
function assertNotElsewhere(node: NodeLayout, doing: string): void {
  const holder = nodeAsHolder(node);
  if (holder === undefined || holderIsHere(holder, node)) return;
  throw new WeftError(
    'NODE_PROCESS_ELSEWHERE',
    `${node.id} holds its data directory ${node.dataDir} (pid ${holder.pid} where it runs, since ${holder.since}), but pid ${holder.pid} here is another process, or none: it runs in another container or PID namespace. Not ${doing}`,
    {
      node: node.id,
      owner: holder,
      suggestions: [`stop ${node.id} where it runs (in its container: weft network down there, or stop its process)`],
    },
  );
}

/** How a running node names itself as its data directory's holder. */
function nodeHolder(node: NodeLayout): string {
  return `${node.kind} ${node.id}`;
}

/**
 * Refuses to start a node whose data directory something other than the node holds, such as
 * `weft peer rebuild-dbs`: the node would only exit on the lock.
 */
export function assertDataDirFree(node: NodeLayout): void {
  assertNotElsewhere(node, 'starting a second one');
  const holder = DataDirLock.holderOf(node.dataDir);
  if (holder === undefined || holder.holder === nodeHolder(node)) return;
  throw new WeftError('NODE_DATA_DIR_IN_USE', `${node.id} cannot start: its data directory ${node.dataDir} is in use by ${holder.holder} (pid ${holder.pid}, since ${holder.since})`, {
    node: node.id,
    owner: holder,
    suggestions: [`let ${holder.holder} finish, or stop process ${holder.pid}, then run weft network up again`],
  });
}

/** Starts the node in the background, output appended to its log file, pid in its pid file. */
export function startNode(node: NodeLayout): number {
  // Logs carry what chaincode prints (arguments, transient fields): the operator's eyes only.
  fs.mkdirSync(path.dirname(node.logFile), { recursive: true, mode: 0o700 });
  fs.mkdirSync(path.dirname(node.pidFile), { recursive: true });
  if (!fs.existsSync(node.configFile)) {
    throw new WeftError('NODE_SPAWN_FAILED', `could not start ${node.id}: its config ${node.configFile} is missing (was weft network init interrupted?)`, { node: node.id });
  }
  const log = fs.openSync(node.logFile, 'a', 0o600);
  fs.fchmodSync(log, 0o600); // a log made before this rule
  fs.writeSync(log, `\n--- ${new Date().toISOString()} weft network up: starting ${node.id}\n`);
  const child = spawn(process.execPath, nodeCommand(node), {
    cwd: node.nodeDir,
    detached: true,
    stdio: ['ignore', log, log],
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  fs.closeSync(log);
  if (child.pid === undefined) throw new WeftError('NODE_SPAWN_FAILED', `could not start ${node.id}`, { node: node.id });
  child.unref();
  fs.writeFileSync(node.pidFile, `${child.pid}\n`);
  return child.pid;
}

/** The last lines of a node's log, for error messages. */
export function logTail(node: NodeLayout, lines = 15): string {
  try {
    return fs.readFileSync(node.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * SIGTERM, then SIGKILL after `graceMs`. Resolves once the process is gone; removes the pid file.
 * Throws `NODE_PROCESS_ELSEWHERE`, signalling nothing, when the node runs where its pid means
 * another process (see {@link holderIsHere}).
 */
export async function stopNode(node: NodeLayout, graceMs = 10_000): Promise<'stopped' | 'killed' | 'not-running'> {
  const pid = runningPid(node);
  if (pid === undefined) {
    assertNotElsewhere(node, 'signalling it');
    fs.rmSync(node.pidFile, { force: true });
    return 'not-running';
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) {
      fs.rmSync(node.pidFile, { force: true });
      return 'stopped';
    }
    await sleep(100);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // exited between the check and the kill
  }
  while (isAlive(pid)) await sleep(50);
  fs.rmSync(node.pidFile, { force: true });
  return 'killed';
}

/** A TLS client certificate and key (PEM) that an operations endpoint may ask for. */
export interface OperationsClient {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/**
 * One request to the node's operations endpoint (HTTPS where it serves TLS, trusting its org's TLS
 * CA for its node name, as the CLI's gRPC clients do), `client` presented where given: an endpoint
 * with `clientAuthRequired` takes no client without one of its org's. `failed` is called on an
 * error, after `timeoutMs` of silence, or at once for a node without an endpoint (`operationsAddress`).
 * `json` is sent as the body (`PUT /logspec`).
 */
export function operationsRequest(
  node: NodeLayout,
  client: OperationsClient | undefined,
  request: { readonly path: string; readonly method: 'GET' | 'POST' | 'PUT'; readonly timeoutMs: number; readonly json?: unknown },
  answered: (res: http.IncomingMessage) => void,
  failed: (err?: Error) => void,
): void {
  const endpoint = operationsEndpoint(node);
  if (endpoint === undefined) {
    failed();
    return;
  }
  const body = request.json === undefined ? undefined : JSON.stringify(request.json);
  const headers = body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  const target = { ...endpoint, path: request.path, method: request.method, timeout: request.timeoutMs, headers };
  const req = node.operationsTls
    ? https.request(
        {
          ...target,
          ca: fs.readFileSync(node.tlsRootCertPath),
          servername: node.id,
          checkServerIdentity: (_host, cert) => tls.checkServerIdentity(node.id, cert),
          ...(client !== undefined && { cert: client.cert, key: client.key }),
        },
        answered,
      )
    : http.request(target, answered);
  req.on('timeout', () => req.destroy(new Error(`no answer within ${request.timeoutMs / 1000}s`)));
  req.on('error', failed);
  req.end(body);
}

/**
 * Where the node's operations endpoint is, if it has one: a peer of an org whose keys are elsewhere
 * may be listed without an operations port, and then there is nothing to ask (an address whose
 * port is not a number, as a layout that formats an absent port gives, counts as none).
 */
export function operationsEndpoint(node: Pick<NodeLayout, 'operationsAddress'>): { host: string; port: number } | undefined {
  const address = node.operationsAddress;
  if (address === undefined) return undefined;
  const i = address.lastIndexOf(':');
  const port = Number(address.slice(i + 1));
  return i > 0 && Number.isInteger(port) && port > 0 && port <= 65535 ? { host: address.slice(0, i), port } : undefined;
}

/** GET /healthz on the node's operations endpoint ({@link operationsRequest}): true on 200. */
export function nodeHealthy(node: NodeLayout, client?: OperationsClient): Promise<boolean> {
  if (operationsEndpoint(node) === undefined) return Promise.resolve(false);
  return new Promise((resolve) => {
    const answered = (res: http.IncomingMessage): void => {
      res.resume();
      resolve(res.statusCode === 200);
    };
    operationsRequest(node, client, { path: '/healthz', method: 'GET', timeoutMs: 2000 }, answered, () => resolve(false));
  });
}

/**
 * Polls `check` until it returns true, failing fast (with the log tail) when the process dies.
 */
export async function waitFor(node: NodeLayout, what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    const pid = readPid(node);
    if (pid !== undefined && !isNodeProcess(pid, node)) throw exitedError(node, `before it was ${what}`);
    if (Date.now() > deadline) {
      throw new WeftError('NODE_TIMEOUT', `${node.id} was not ${what} after ${timeoutMs / 1000}s. Last lines of ${node.logFile}:\n${logTail(node)}`, {
        node: node.id,
        suggestions: [`read the whole log: ${node.logFile}`, 'stop everything with: weft network down <dir>'],
      });
    }
    await sleep(150);
  }
}

/**
 * Throws if a node started by this command has exited since. A process of another network on the
 * same ports answers the checks `waitFor` makes, while the node started here exits, unable to bind.
 */
export function assertStillRunning(nodes: readonly NodeLayout[]): void {
  const gone = nodes.find((n) => runningPid(n) === undefined);
  if (gone !== undefined) throw exitedError(gone, 'after it started');
}

function exitedError(node: NodeLayout, when: string): WeftError {
  const tail = logTail(node);
  const portTaken = tail.includes('EADDRINUSE')
    ? `a port of ${node.id} is taken by another process: stop that process and run weft network up <dir> again, or re-create the network with another --base-port`
    : 'a port may be taken: re-create the network with another --base-port';
  return new WeftError('NODE_EXITED', `${node.id} exited ${when}. Last lines of ${node.logFile}:\n${tail}`, {
    node: node.id,
    suggestions: [`read the whole log: ${node.logFile}`, portTaken],
  });
}

/**
 * Asks the node running here to reload its certificates (SIGHUP: it re-reads its MSP signing
 * certificate and key and its TLS certificate and key, and switches if they pass its checks).
 * Returns the pid signalled; undefined when it does not run here, or when /proc shows it does not
 * catch SIGHUP: a node process from before reloads, which the signal's default action would end.
 */
export function signalReload(node: NodeLayout): number | undefined {
  const pid = runningPid(node);
  if (pid === undefined || catchesSignal(pid, 1) === false) return undefined;
  process.kill(pid, 'SIGHUP');
  return pid;
}

/** Whether `pid` has a handler for signal `signo` (/proc/<pid>/status `SigCgt`, a hex bit mask); undefined without /proc. */
function catchesSignal(pid: number, signo: number): boolean | undefined {
  let status: string;
  try {
    status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const mask = /^SigCgt:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  return mask === undefined ? undefined : (BigInt(`0x${mask}`) & (1n << BigInt(signo - 1))) !== 0n;
}

/**
 * Whether a new TLS handshake with the node gets the certificate now in its folder (`tls/server.crt`),
 * presenting that certificate and key as client (trusted by a node under mutual TLS: its own org's
 * TLS CA). A node that reloaded its certificates (SIGHUP) does; one still on those it started with
 * does not. It switches its signer in the same step, so this tells which enrollment certificate it
 * signs with too. False when it does not answer.
 */
export async function servesCurrentTlsCertificate(node: NodeLayout): Promise<boolean> {
  const certFile = path.join(node.tlsDir, 'server.crt');
  if (!fs.existsSync(certFile)) return false;
  const client = { cert: fs.readFileSync(certFile), key: fs.readFileSync(path.join(node.tlsDir, 'server.key')) };
  try {
    return (await servedCertificate(node, client)).equals(new X509Certificate(client.cert).raw);
  } catch {
    return false;
  }
}

/**
 * The certificate (DER) the node's gRPC listener presents to a new TLS handshake, trusting its
 * org's TLS CA for its node name. `client` is presented: a listener under mutual TLS takes no
 * handshake without one of a trusted org's.
 */
export function servedCertificate(node: NodeLayout, client: OperationsClient): Promise<Buffer> {
  const i = node.address.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: node.address.slice(0, i),
      port: Number(node.address.slice(i + 1)),
      ALPNProtocols: ['h2'],
      ca: fs.readFileSync(node.tlsRootCertPath),
      servername: node.id,
      checkServerIdentity: (_host, cert) => tls.checkServerIdentity(node.id, cert),
      cert: client.cert,
      key: client.key,
      timeout: 2000,
    });
    socket.once('secureConnect', () => {
      resolve(socket.getPeerCertificate().raw);
      socket.destroy();
    });
    socket.once('timeout', () => socket.destroy(new Error(`no TLS handshake with ${node.id} at ${node.address} within 2s`)));
    socket.once('error', reject);
  });
}
