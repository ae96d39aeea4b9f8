import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NodeError } from '../../../../core/errors';
import { DataDirLock } from '../../../../core/node/data-dir-lock';

const REGISTER = path.resolve(__dirname, '../../../support/ts-register.js');
const MODULE = path.resolve(__dirname, '../../../../core/node/data-dir-lock');

/**
 * A separate process that takes the lock, drops its reference and collects garbage, then holds it
 * until killed; resolves once it holds it.
 */
function holdInChild(dir: string): Promise<ChildProcess> {
  const script = `require(${JSON.stringify(MODULE)}).DataDirLock.acquire(${JSON.stringify(dir)}, 'peer in child'); gc(); console.log('held'); setInterval(() => {}, 60000);`;
  const child = spawn(process.execPath, ['--no-node-snapshot', '--expose-gc', '-r', REGISTER, '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout!.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`lock holder exited (${code}): ${stderr}`)));
  });
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

function refusal(dir: string): NodeError {
  try {
    DataDirLock.acquire(dir, 'second').release();
  } catch (err) {
    return err as NodeError;
  }
  throw new Error('the second acquire was not refused');
}

describe('DataDirLock', () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-lock-'));
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a second holder in the same process, naming the first, until it is released', () => {
    const first = DataDirLock.acquire(dir, 'orderer orderer0.example.com');
    const err = refusal(dir);
    expect(err).toBeInstanceOf(NodeError);
    expect(err.code).toBe('NODE_DATA_DIR_IN_USE');
    expect(err.message).toContain(`data directory ${dir} is in use by orderer orderer0.example.com (pid ${process.pid}`);
    expect(err.details).toMatchObject({ dataDir: dir, owner: { pid: process.pid, holder: 'orderer orderer0.example.com' } });

    first.release();
    first.release();
    const again = DataDirLock.acquire(dir, 'second');
    again.release();
  });

  it('creates a missing directory, and keeps it to its owner (its ledgers hold private data)', () => {
    const nested = path.join(dir, 'a', 'b');
    DataDirLock.acquire(nested, 'peer').release();
    expect(fs.existsSync(path.join(nested, 'node.lock'))).toBe(true);
    expect(fs.statSync(nested).mode & 0o777).toBe(0o700);
    // A directory made before this rule, open to others, is closed at the next start.
    const open = path.join(dir, 'open');
    fs.mkdirSync(open, { mode: 0o755 });
    fs.chmodSync(open, 0o755);
    DataDirLock.acquire(open, 'peer').release();
    expect(fs.statSync(open).mode & 0o777).toBe(0o700);
  });

  it('is held across processes until released, references dropped or not, and dropped by the kernel when the holder is killed', async () => {
    const child = await holdInChild(dir);
    try {
      const err = refusal(dir);
      expect(err.code).toBe('NODE_DATA_DIR_IN_USE');
      expect(err.message).toContain(`peer in child (pid ${child.pid}`);
    } finally {
      await killed(child);
    }
    // No stale lock to break: the owner file is left behind, but the lock went with the process.
    expect(fs.existsSync(path.join(dir, 'node.lock.owner'))).toBe(true);
    DataDirLock.acquire(dir, 'after the crash').release();
  });

  it('holderOf names the holder without taking the lock, and does not believe a killed holder\'s record', async () => {
    expect(DataDirLock.holderOf(dir)).toBeUndefined();
    const own = DataDirLock.acquire(dir, 'peer peer0.org1.example.com');
    expect(DataDirLock.holderOf(dir)).toMatchObject({ pid: process.pid, holder: 'peer peer0.org1.example.com' });
    expect(refusal(dir).code).toBe('NODE_DATA_DIR_IN_USE');
    own.release();
    expect(DataDirLock.holderOf(dir)).toBeUndefined();

    const child = await holdInChild(dir);
    try {
      expect(DataDirLock.holderOf(dir)).toMatchObject({ pid: child.pid, holder: 'peer in child' });
      expect(refusal(dir).code).toBe('NODE_DATA_DIR_IN_USE');
    } finally {
      await killed(child);
    }
    expect(fs.existsSync(path.join(dir, 'node.lock.owner'))).toBe(true);
    expect(DataDirLock.holderOf(dir)).toBeUndefined();
    DataDirLock.acquire(dir, 'after the probe').release();
  });
});
