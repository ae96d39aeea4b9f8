import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { DEFAULT_INIT_OPTIONS, specFromOptions } from '../../../../cli/services/network/network-init';
import { NetworkLayout, type NodeLayout } from '../../../../cli/services/network/network-layout';
import { assertDataDirFree, assertStillRunning, isAlive, runningPid, stopNode } from '../../../../cli/services/network/node-processes';

const REGISTER = path.resolve(__dirname, '../../../support/ts-register.js');
const LOCK_MODULE = path.resolve(__dirname, '../../../../core/node/data-dir-lock');

function stateOf(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

describe('isAlive', () => {
  it('counts a running process as alive and an exited, unreaped one (a zombie) as gone', async () => {
    // `sleep` never waits for children: the backgrounded `sleep 0.3` it inherits from sh stays a
    // zombie until `sleep 30` exits, as a node does under a PID 1 that reaps late or never. The child
    // outlives the `exec`: sh itself may reap a child that exits before it execs (a `true &` did).
    const parent = spawn('sh', ['-c', 'sleep 0.3 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const zombie = await new Promise<number>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
      for (let i = 0; i < 200 && stateOf(zombie) !== 'Z'; i++) await new Promise((r) => setTimeout(r, 10));
      expect(stateOf(zombie)).toBe('Z');
      expect(() => process.kill(zombie, 0)).not.toThrow(); // what the old check relied on
      expect(isAlive(zombie)).toBe(false);
      expect(isAlive(parent.pid!)).toBe(true);
    } finally {
      parent.kill('SIGKILL');
    }
    await new Promise((r) => parent.once('exit', r));
    expect(isAlive(parent.pid!)).toBe(false);
  });
});

describe('network down signals only the node itself', () => {
  let tmp: string;
  let node: NodeLayout;
  const children: ChildProcess[] = [];
  const ownerFile = () => path.join(node.dataDir, 'node.lock.owner');

  /** A process that holds the node's data directory as the node does, until killed. */
  function nodeHoldingDataDir(): Promise<ChildProcess> {
    const script = `require(${JSON.stringify(LOCK_MODULE)}).DataDirLock.acquire(${JSON.stringify(node.dataDir)}, 'peer ${node.id}'); console.log('held'); setInterval(() => {}, 60000);`;
    const child = spawn(process.execPath, ['--no-node-snapshot', '-r', REGISTER, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    return new Promise((resolve, reject) => {
      child.stdout!.once('data', () => resolve(child));
      child.once('exit', (code) => reject(new Error(`lock holder exited (${code})`)));
    });
  }

  /** An unrelated local process: what a pid recorded in another container may name here. */
  function bystander(): ChildProcess {
    const child = spawn('sleep', ['60'], { stdio: 'ignore' });
    children.push(child);
    return child;
  }

  const rewriteOwner = (change: (owner: Record<string, unknown>) => Record<string, unknown>): void =>
    fs.writeFileSync(ownerFile(), JSON.stringify(change(JSON.parse(fs.readFileSync(ownerFile(), 'utf8')) as Record<string, unknown>)));

  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-down-'));
    node = new NetworkLayout(tmp, specFromOptions({ ...DEFAULT_INIT_OPTIONS, basePort: 30000 })).peers()[0]!;
  });
  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await new Promise((r) => child.once('exit', r));
      }
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('stops the node that holds its data directory, found by its lock record', async () => {
    const holder = await nodeHoldingDataDir();
    expect(JSON.parse(fs.readFileSync(ownerFile(), 'utf8'))).toMatchObject({ pid: holder.pid, stamp: { startTime: expect.stringMatching(/^\d+$/), bootId: expect.any(String) } });
    expect(runningPid(node)).toBe(holder.pid);
    expect(await stopNode(node, 5000)).toBe('stopped');
    expect(isAlive(holder.pid!)).toBe(false);
  });

  it.each([
    ['started at another time (a pid reused, or one of another container)', (owner: Record<string, unknown>) => owner],
    ['in another PID namespace', (owner: Record<string, unknown>, victim: number) => ({ ...owner, stamp: { ...(owner.stamp as object), startTime: startTimeOf(victim), pidNamespace: 'pid:[1]' } })],
    ['without a stamp (an older record), whose command line is not the node', (owner: Record<string, unknown>) => ({ ...owner, stamp: undefined })],
  ])('refuses to signal a process the lock record names but that is not the node: %s', async (_case, change) => {
    await nodeHoldingDataDir();
    const victim = bystander();
    rewriteOwner((owner) => change({ ...owner, pid: victim.pid }, victim.pid!));

    expect(runningPid(node)).toBeUndefined();
    await expect(stopNode(node, 1000)).rejects.toMatchObject({ code: 'NODE_PROCESS_ELSEWHERE', message: expect.stringContaining(`pid ${victim.pid} here is another process`) });
    expect(() => assertDataDirFree(node)).toThrow(expect.objectContaining({ code: 'NODE_PROCESS_ELSEWHERE' }));
    expect(isAlive(victim.pid!)).toBe(true);
  });
});

function startTimeOf(pid: number): string {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
}

describe('a node that exited after it started', () => {
  let tmp: string;
  let node: NodeLayout;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-exited-'));
    node = new NetworkLayout(tmp, specFromOptions({ ...DEFAULT_INIT_OPTIONS, basePort: 30000 })).peers()[0]!;
    fs.mkdirSync(path.dirname(node.logFile), { recursive: true });
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('names a taken port when its log says EADDRINUSE, and shows the log either way', () => {
    fs.writeFileSync(node.logFile, '{"level":60,"msg":"listen EADDRINUSE: address already in use 127.0.0.1:30001"}\n');
    expect(() => assertStillRunning([node])).toThrow(
      expect.objectContaining({
        code: 'NODE_EXITED',
        message: expect.stringContaining('EADDRINUSE'),
        details: expect.objectContaining({ suggestions: expect.arrayContaining([expect.stringContaining(`a port of ${node.id} is taken by another process`)]) }),
      }),
    );
    fs.writeFileSync(node.logFile, '{"level":60,"msg":"config file unreadable"}\n');
    expect(() => assertStillRunning([node])).toThrow(
      expect.objectContaining({ details: expect.objectContaining({ suggestions: expect.arrayContaining(['a port may be taken: re-create the network with another --base-port']) }) }),
    );
  });
});
