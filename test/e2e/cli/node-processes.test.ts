import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify as stringifyYaml } from 'yaml';
import { findFreePorts } from '../../../cli/services/free-ports';
import { isAlive } from '../../../cli/services/network/node-processes';
import { json, REPO, runCli } from './run-cli';

const DEV = path.join(REPO, 'bin', 'dev.js');
const REGISTER = path.join(REPO, 'test', 'support', 'ts-register.js');
const LOCK_MODULE = path.join(REPO, 'core', 'node', 'data-dir-lock');

interface NodeStatus {
  id: string;
  pid?: number;
  running: boolean;
  healthy: boolean;
  height?: number;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let tries = 0; tries < 120; tries++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/**
 * A network made from a hand-written network.yaml (`weft network init --from`), then `weft network
 * up|status|down` and node processes they did not start themselves: a peer an operator started by
 * hand (`weft peer start --config …`), and a maintenance command that holds a node's data directory.
 */
describe('weft network and node processes started another way (real processes)', () => {
  let tmp: string;
  let net: string;
  const others: ChildProcess[] = [];
  const peers = async (): Promise<NodeStatus[]> => (json(await runCli(['network', 'status', net, '--json'])) as { peers: NodeStatus[] }).peers;
  const peerDir = (id: string): string => path.join(net, 'nodes', id);

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-e2e-procs-'));
    net = path.join(tmp, 'net');
  });
  afterAll(async () => {
    for (const child of others) if (child.exitCode === null) child.kill('SIGKILL');
    await runCli(['network', 'down', net, '--grace', '5']);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('init --from builds a hand-written network.yaml (its own org and domain names), and refuses shape flags beside it', async () => {
    const base = await findFreePorts(7);
    const spec = path.join(tmp, 'my-network.yaml');
    fs.writeFileSync(
      spec,
      stringifyYaml({
        version: 1,
        channel: { name: 'trade', batchTimeout: '250ms', maxMessageCount: 10 },
        ordererOrg: { name: 'Ordering', mspId: 'OrderingMSP', domain: 'ordering.test', orderers: [{ name: 'osn', port: base, adminPort: base + 1, operationsPort: base + 2 }] },
        orgs: [{ name: 'Acme', mspId: 'AcmeMSP', domain: 'acme.test', peers: [{ name: 'peer0', port: base + 3, operationsPort: base + 4 }] }],
      }),
    );
    const mixed = await runCli(['network', 'init', net, '--from', spec, '--orgs', '3']);
    expect(mixed.code).not.toBe(0);
    expect(mixed.message).toMatch(/--orgs=3 cannot also be provided when using --from/);
    expect(fs.existsSync(net)).toBe(false);

    const init = json(await runCli(['network', 'init', net, '--from', spec, '--json']));
    expect(init.channels).toEqual(['trade']);
    expect((init.nodes as { id: string }[]).map((n) => n.id)).toEqual(['osn.ordering.test', 'peer0.acme.test']);
    expect((await runCli(['network', 'up', net])).code).toBe(0);
    expect(await peers()).toEqual([expect.objectContaining({ id: 'peer0.acme.test', running: true, healthy: true, height: 1 })]);
    // The peer has dialled the orderer by IP with TLS, which Node warns about; that goes to the
    // structured log, and a node's log holds nothing else.
    const logs = path.join(net, 'logs');
    for (const log of fs.readdirSync(logs)) {
      for (const line of fs.readFileSync(path.join(logs, log), 'utf8').split('\n')) {
        if (line !== '' && !line.startsWith('--- ')) expect(() => JSON.parse(line)).not.toThrow();
      }
    }
  });

  it('status sees a peer started by hand, up leaves it running and down stops it', async () => {
    const [peer] = await peers();
    expect(peer).toMatchObject({ running: true, healthy: true });
    // The operator stops the peer that `up` started and runs it in the foreground instead.
    process.kill(peer!.pid!, 'SIGTERM');
    await until('the peer to exit', async () => (isAlive(peer!.pid!) ? undefined : true));
    const byHand = spawn(process.execPath, ['--no-node-snapshot', DEV, 'peer', 'start', '--config', path.join(peerDir(peer!.id), 'peer.yaml')], {
      cwd: REPO,
      stdio: 'ignore',
    });
    others.push(byHand);

    const seen = await until('status to show the peer started by hand', async () => {
      const p = (await peers())[0]!;
      return p.pid === byHand.pid && p.healthy ? p : undefined;
    });
    expect(seen).toMatchObject({ id: peer!.id, running: true });

    const again = await runCli(['network', 'up', net]);
    expect(again.code).not.toBe(0);
    expect(again.message).toMatch(/already up/);
    expect(byHand.exitCode).toBeNull();

    const down = json(await runCli(['network', 'down', net, '--json'])) as { nodes: { id: string; result: string }[] };
    expect(down.nodes).toContainEqual({ id: peer!.id, result: 'stopped' });
    expect(await exitOf(byHand)).toBe(0);
    expect((await peers())[0]).toMatchObject({ running: false });
  });

  it('up refuses, before it starts anything, a node whose data directory a maintenance command holds', async () => {
    const [peer] = await peers();
    expect(peer!.running).toBe(false);
    const dataDir = path.join(peerDir(peer!.id), 'data');
    const script = `require(${JSON.stringify(LOCK_MODULE)}).DataDirLock.acquire(${JSON.stringify(dataDir)}, 'weft peer rebuild-dbs'); console.log('held'); setInterval(() => {}, 60000);`;
    const holder = spawn(process.execPath, ['--no-node-snapshot', '-r', REGISTER, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    others.push(holder);
    await new Promise((resolve) => holder.stdout!.once('data', resolve));

    const refused = await runCli(['network', 'up', net, '--json']);
    expect(refused.code).not.toBe(0);
    expect(JSON.parse(refused.stdout).error).toMatchObject({
      code: 'NODE_DATA_DIR_IN_USE',
      message: expect.stringContaining(`in use by weft peer rebuild-dbs (pid ${holder.pid}`),
    });
    const status = json(await runCli(['network', 'status', net, '--json'])) as { orderers: NodeStatus[]; peers: NodeStatus[] };
    expect([...status.orderers, ...status.peers].some((n) => n.running)).toBe(false);

    holder.kill('SIGTERM');
    await exitOf(holder);
    expect((await runCli(['network', 'up', net])).code).toBe(0);
    expect((await peers())[0]).toMatchObject({ running: true, healthy: true });
  });
});
