import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { DEFAULT_INIT_OPTIONS, initNetwork } from '../../../../cli/services/network/network-init';
import { loadNetworkSpec } from '../../../../cli/services/network/network-spec';
import { isAlive } from '../../../../cli/services/network/node-processes';
import { StagingDir } from '../../../../cli/services/network/staging-dir';

const ROOT = path.resolve(__dirname, '../../../..');

/**
 * Runs `weft network init`'s service in a child process that sends itself `signal` when init
 * reports `step`, as a user's Ctrl-C (SIGINT) or an OOM kill (SIGKILL) would land at that moment.
 */
function initSignalledAt(dir: string, step: string, signal: NodeJS.Signals): void {
  const script = `
    const { initNetwork, DEFAULT_INIT_OPTIONS } = require(${JSON.stringify(path.join(ROOT, 'cli/services/network/network-init.ts'))});
    initNetwork(${JSON.stringify(dir)}, { ...DEFAULT_INIT_OPTIONS, orgs: 4, basePort: 23000 }, (m) => {
      if (m.startsWith(${JSON.stringify(step)})) process.kill(process.pid, ${JSON.stringify(signal)});
    }).then(() => console.log('init finished'));
  `;
  const r = spawnSync(process.execPath, ['--no-node-snapshot', '-r', path.join(ROOT, 'test/support/ts-register.js'), '-e', script], { cwd: ROOT, encoding: 'utf8' });
  expect({ signal: r.signal, stdout: r.stdout, stderr: r.stderr }).toEqual({ signal, stdout: '', stderr: '' });
}

/**
 * A process holding the lock of a staging directory as a build in another container does: its
 * pid there is no process here. Resolves once the lock is held; kill the child to end the build.
 */
async function buildInAnotherContainer(lockDir: string): Promise<ReturnType<typeof spawn>> {
  fs.mkdirSync(lockDir);
  const script = `
    const db = new (require(${JSON.stringify(path.join(ROOT, 'node_modules/better-sqlite3'))}))(${JSON.stringify(path.join(lockDir, 'node.lock'))});
    db.pragma('journal_mode = OFF');
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE; COMMIT');
    console.log('locked');
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
    child.once('exit', (code) => reject(new Error(`lock holder exited with ${code}`)));
  });
  return child;
}

/** Every file under `dir`, relative. */
function filesUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

describe('weft network init is all or nothing', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-init-atomic-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('Ctrl-C during the crypto material leaves nothing behind', () => {
    const dir = path.join(tmp, 'net');
    initSignalledAt(dir, 'generating crypto material', 'SIGINT');
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  it('a kill that nothing can catch leaves no network; the next init removes its leftovers and succeeds', async () => {
    const dir = path.join(tmp, 'net');
    initSignalledAt(dir, 'writing node configs', 'SIGKILL');
    expect(fs.existsSync(dir)).toBe(false);
    const [leftover] = fs.readdirSync(tmp);
    expect(leftover).toMatch(/^\.net\.weft-init-\d+-[0-9a-f]+$/);

    const result = await initNetwork(dir, { ...DEFAULT_INIT_OPTIONS, basePort: 23000 });
    expect(fs.readdirSync(tmp)).toEqual(['net']);
    expect(loadNetworkSpec(dir).orgs).toHaveLength(2);
    expect(fs.existsSync(result.genesisBlock) && result.nodes.every((n) => fs.existsSync(n.configFile))).toBe(true);
  });

  it('a failure part-way leaves an existing empty target empty, and the files of a complete one never name the staging directory', async () => {
    const dir = path.join(tmp, 'net');
    fs.mkdirSync(dir);
    const failing = initNetwork(dir, { ...DEFAULT_INIT_OPTIONS, basePort: 23000 }, (m) => {
      if (m.startsWith('building the genesis block')) throw new Error('disk full');
    });
    await expect(failing).rejects.toThrow('disk full');
    expect(fs.readdirSync(tmp)).toEqual(['net']);
    expect(fs.readdirSync(dir)).toEqual([]);

    const result = await initNetwork(dir, { ...DEFAULT_INIT_OPTIONS, basePort: 23000 });
    expect(result.networkFile).toBe(path.join(dir, 'network.yaml'));
    // The directory a plain mkdir makes (umask), not a private temporary one.
    const reference = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-ref-'));
    fs.mkdirSync(path.join(reference, 'd'));
    expect(fs.statSync(dir).mode & 0o777).toBe(fs.statSync(path.join(reference, 'd')).mode & 0o777);
    fs.rmSync(reference, { recursive: true });
    const mentions = filesUnder(dir).filter((f) => !f.endsWith('.block') && fs.readFileSync(path.join(dir, f), 'utf8').includes('weft-init-'));
    expect(mentions).toEqual([]);
  });

  it('a build under way in another container keeps its staging directory; once it ends, the next build removes it', async () => {
    let pid = 4_000_000;
    while (isAlive(pid)) pid += 1;
    const theirs = path.join(tmp, `.net.weft-init-${pid}-0badf00d`);
    const holder = await buildInAnotherContainer(`${theirs}.lock`);
    try {
      fs.mkdirSync(theirs);
      fs.writeFileSync(path.join(theirs, 'network.yaml'), 'half written\n');

      const ours = new StagingDir(path.join(tmp, 'net'));
      expect(fs.readFileSync(path.join(theirs, 'network.yaml'), 'utf8')).toBe('half written\n');
      ours.dispose();
      expect(fs.readdirSync(tmp).sort()).toEqual([path.basename(theirs), `${path.basename(theirs)}.lock`]);
    } finally {
      holder.kill('SIGKILL');
      await new Promise((resolve) => holder.once('exit', resolve));
    }

    const next = new StagingDir(path.join(tmp, 'net'));
    expect(fs.readdirSync(tmp).sort()).toEqual([path.basename(next.dir), `${path.basename(next.dir)}.lock`]);
    next.dispose();
    expect(fs.readdirSync(tmp)).toEqual([]);
  });
});
