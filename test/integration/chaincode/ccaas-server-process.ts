/**
 * Chaincode servers as child processes, as a Fabric user runs them for chaincode as a service: a
 * fabric-shim `ChaincodeServer` around a plain chaincode, or a fabric-contract-api project served by
 * `fabric-chaincode-node server`. Each is ready once its port accepts connections.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { eventually } from '../peer/network-fixture';

/** The fabric-shim chaincode of these tests (see the file for its functions). */
export const SHIM_SERVER = path.join(__dirname, 'fixtures', 'ccaas', 'shim-server.js');
const CHAINCODE_NODE_CLI = path.join(path.dirname(require.resolve('fabric-shim/package.json')), 'cli.js');

export interface ServerProcess {
  /** What the process wrote to stderr so far (its last 8 KiB), for failure messages. */
  readonly stderr: () => string;
  /** Ends the process and waits for it to exit. */
  stop(): Promise<void>;
}

export interface ServerTlsFiles {
  readonly keyFile: string;
  readonly certFile: string;
  /** Client certificates are required when set: the CA they must chain to. */
  readonly clientCaFile?: string;
}

function portAccepts(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}

async function started(child: ChildProcess, port: number): Promise<ServerProcess> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-8192)));
  child.stdout?.resume();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  const server: ServerProcess = {
    stderr: () => stderr,
    stop: async () => {
      if (!gone) child.kill('SIGKILL');
      await exited;
    },
  };
  try {
    await eventually(async () => {
      if (gone) throw new Error(`the chaincode server exited: ${stderr}`);
      await portAccepts(port);
    });
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

/** Starts {@link SHIM_SERVER} for `packageId` on 127.0.0.1:`port`. */
export function startShimServer(packageId: string, port: number, tls?: ServerTlsFiles): Promise<ServerProcess> {
  const env: NodeJS.ProcessEnv = { ...process.env, CHAINCODE_ID: packageId, CHAINCODE_SERVER_ADDRESS: `127.0.0.1:${port}` };
  if (tls !== undefined) {
    env.CHAINCODE_TLS_KEY_FILE = tls.keyFile;
    env.CHAINCODE_TLS_CERT_FILE = tls.certFile;
    if (tls.clientCaFile !== undefined) env.CHAINCODE_TLS_CLIENT_CA_FILE = tls.clientCaFile;
  }
  return started(spawn(process.execPath, [SHIM_SERVER], { env, stdio: ['ignore', 'pipe', 'pipe'] }), port);
}

/** Serves the contract project `moduleDir` with `fabric-chaincode-node server`, as Fabric's CCaaS samples do. */
export function startContractServer(packageId: string, port: number, moduleDir: string): Promise<ServerProcess> {
  const args = [CHAINCODE_NODE_CLI, 'server', '--chaincode-address', `127.0.0.1:${port}`, '--chaincode-id', packageId, '--module-path', moduleDir];
  return started(spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] }), port);
}
