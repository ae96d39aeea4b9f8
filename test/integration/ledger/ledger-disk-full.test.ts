/**
 * A peer ledger on a filesystem that fills up (a real tmpfs in a user namespace, real SQLite): a
 * commit that runs out of space fails with `LEDGER_DISK_FULL` naming the directory, nothing stored
 * is lost or damaged, and once space is freed the reopened ledger (a restarted peer's) replays what
 * its state lacks and takes the next block, also when the failed commit had stored its block but
 * not its state. At the end the ledger opens whole, its state and history equal to a rebuild.
 * Then the other write failures' errors, which name the directory too.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { sqliteFailure } from '../../../plugins/ledger-sqlite/sqlite-failure';
import { checkLedgerWhole } from './ledger-check';

const CHILD = path.join(__dirname, 'fixtures', 'disk-full-child.js');
const ROUNDS = 10;

interface Failure {
  code: string;
  message: string;
  details: Record<string, unknown>;
  blockNum: number;
  stored: boolean;
}

/** Runs the child in a new user and mount namespace with an 8 MiB tmpfs over `tmpfsDir`. */
function runFilling(tmpfsDir: string, copyTo: string): Promise<{ failures: Failure[]; height: number }> {
  const script = `mount -t tmpfs -o size=8m weft-diskfull '${tmpfsDir}' && exec '${process.execPath}' --no-node-snapshot '${CHILD}' '${tmpfsDir}' ${ROUNDS} '${copyTo}'`;
  const child = spawn('unshare', ['--user', '--map-root-user', '--mount', 'sh', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    // No user namespaces (or no unshare) fails the test: it must not pass by doing nothing.
    child.once('error', (e) => reject(new Error(`this test needs unshare (util-linux) and user namespaces: ${e.message}`)));
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`disk-full child exited ${code}:\n${err.slice(-4000)}`));
      else resolve(JSON.parse(out) as { failures: Failure[]; height: number });
    });
  });
}

describe('a ledger whose filesystem fills up (tmpfs, real SQLite)', () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-ledger-full-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('fails each commit with LEDGER_DISK_FULL naming the directory, commits again once space is freed and it is reopened, and loses nothing', async () => {
    const tmpfs = path.join(dir, 'tmpfs');
    const copy = path.join(dir, 'copy');
    fs.mkdirSync(tmpfs);
    const { failures, height } = await runFilling(tmpfs, copy);

    expect(failures).toHaveLength(ROUNDS);
    for (const f of failures) {
      expect(f).toMatchObject({
        code: 'LEDGER_DISK_FULL',
        message: expect.stringContaining(`no space left on device in ${path.join(tmpfs, 'ledgers')}`),
        details: { sqliteCode: 'SQLITE_FULL', path: path.join(tmpfs, 'ledgers') },
      });
    }
    // Both places a commit can run out of space were hit: the block file (nothing stored) and the
    // state file after the block was stored (the state then lags until the next commit replays it).
    expect(failures.some((f) => f.stored)).toBe(true);
    expect(failures.some((f) => !f.stored)).toBe(true);

    const whole = checkLedgerWhole(copy, 'full', ['cc']);
    expect(whole.height).toBe(height);
    expect(height).toBeGreaterThan(failures[failures.length - 1]!.blockNum);
  }, 60_000);
});

/** The other SQLite write failures, from better-sqlite3's own `SqliteError`: each names the directory when it is known. */
describe('sqliteFailure', () => {
  const file = '/var/weft/peer/ledgers/mychannel.sqlite';

  it('names the directory of a write that failed with an I/O error, where a late ENOSPC (at fsync) lands', () => {
    const err = sqliteFailure('append of block 3 on channel ch', new Database.SqliteError('disk I/O error', 'SQLITE_IOERR_FSYNC'), {}, file);
    expect(err).toMatchObject({
      name: 'LedgerError',
      code: 'LEDGER_STORE_FAILED',
      message: 'append of block 3 on channel ch failed in /var/weft/peer/ledgers: disk I/O error',
      details: { sqliteCode: 'SQLITE_IOERR_FSYNC', path: '/var/weft/peer/ledgers' },
    });
  });

  it('without a file, says what failed and how, with no path', () => {
    const full = sqliteFailure('state read', new Database.SqliteError('database or disk is full', 'SQLITE_FULL'));
    expect(full).toMatchObject({ code: 'LEDGER_DISK_FULL', message: 'state read failed: no space left on device (SQLITE_FULL); free space on that filesystem' });
    expect(full.details).not.toHaveProperty('path');
    expect(sqliteFailure('state read', new Database.SqliteError('database disk image is malformed', 'SQLITE_CORRUPT'))).toMatchObject({ code: 'LEDGER_CORRUPT' });
  });
});
