import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as https from 'node:https';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { findFreePorts } from '../../../cli/services/free-ports';
import type { NetnsHost } from '../netns-hosts';

export const REPO = path.resolve(__dirname, '../../..');
const DEV = path.join(REPO, 'bin', 'dev.js');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stderr with oclif's line wrapping and ` › ` gutters removed, for matching messages. */
  readonly message: string;
}

/** A command's `--json` output; throws with what it printed when it failed (under `--json` its error is on stdout). */
export function json(r: CliResult): Record<string, unknown> {
  if (r.code !== 0) throw new Error(`weft exited ${r.code}: ${r.stderr}${r.stdout}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** The typed error a failed command printed with `--json` (the test fails if the command succeeded). */
export function errorOf(r: CliResult): { code: string; message: string; details: Record<string, unknown> } {
  expect(r.code).not.toBe(0);
  return (JSON.parse(r.stdout) as { error: { code: string; message: string; details: Record<string, unknown> } }).error;
}

/** Runs the real `weft` CLI from the TypeScript sources (bin/dev.js) in a child process. */
export function runCli(args: readonly string[], options: { cwd?: string; timeoutMs?: number; host?: NetnsHost } = {}): Promise<CliResult> {
  return runNode([DEV, ...args], options);
}

/** Runs Node with `args`; on `host` (one of ../netns-hosts.ts) when given. */
export function runNode(args: readonly string[], options: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv; host?: NetnsHost } = {}): Promise<CliResult> {
  const node = [process.execPath, '--no-node-snapshot', ...args];
  const [command, ...rest] = options.host === undefined ? node : [...options.host.run, ...node];
  return new Promise((resolve, reject) => {
    const child = spawn(command!, rest, {
      cwd: options.cwd ?? REPO,
      env: { ...process.env, ...options.env, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, message: stderr.replace(/\s*›\s*/g, ' ').replace(/\s+/g, ' ').trim() });
    });
  });
}

/**
 * What `npm install` of a scaffolded project does offline: its `file:` dependency on Weft and the
 * test tooling become symlinks in node_modules.
 */
export function linkDevDependencies(projectDir: string): void {
  const links: Record<string, string> = {
    weft: REPO,
    jest: path.join(REPO, 'node_modules', 'jest'),
    '@swc/jest': path.join(REPO, 'node_modules', '@swc', 'jest'),
    '@swc/core': path.join(REPO, 'node_modules', '@swc', 'core'),
  };
  for (const [name, target] of Object.entries(links)) {
    const link = path.join(projectDir, 'node_modules', name);
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(target, link, 'dir');
  }
}

/** GET over HTTPS from a node's operations endpoint, checking its certificate against `servername`; `client` for mutual TLS. */
export function httpsGet(address: string, urlPath: string, ca: Buffer, servername: string, client?: { cert: Buffer; key: Buffer }): Promise<{ status: number; body: string }> {
  const i = address.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    const req = https.get(
      { host: address.slice(0, i), port: Number(address.slice(i + 1)), path: urlPath, ca, servername, checkServerIdentity: (_h, cert) => tls.checkServerIdentity(servername, cert), ...client },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      },
    );
    req.on('error', reject);
  });
}

/** A network the CLI made in a temporary directory and started; `stop` takes it down and deletes the directory. */
export interface StartedNetwork {
  readonly tmp: string;
  readonly net: string;
  stop(): Promise<void>;
}

/**
 * `weft network init` (one org, mutual TLS, 250 ms batches) and `up` in a new temporary directory,
 * then `basic` (chaincode-examples/asset-transfer) deployed: the network the certificate tests share.
 */
export async function startMutualTlsOrg(prefix: string, initArgs: readonly string[] = []): Promise<StartedNetwork> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const net = path.join(tmp, 'net');
  const base = await findFreePorts(5);
  json(await runCli(['network', 'init', net, '--orgs', '1', '--mutual-tls', '--base-port', String(base), '--batch-timeout', '250ms', ...initArgs, '--json']));
  const up = await runCli(['network', 'up', net]);
  if (up.code !== 0) throw new Error(`network up failed: ${up.stderr}`);
  json(await runCli(['chaincode', 'deploy', net, path.join(REPO, 'chaincode-examples', 'asset-transfer'), '--name', 'basic', '--json'], { timeoutMs: 120_000 }));
  return {
    tmp,
    net,
    stop: async () => {
      await runCli(['network', 'down', net, '--grace', '5']);
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}
