/**
 * Kills a child process that commits blocks continuously with SIGKILL at random points (set
 * WEFT_CRASH_KILLS for a longer run; 30 by default) and checks after each kill that the ledger
 * opens, its height is the last block whose commit completed (the one in flight may or may not have
 * landed, never half of it), every stored block is whole and chained, and state and history equal
 * what a full rebuild from the block store produces. Then kills rollbacks part way, with the same
 * checks, and a height that is either the old one or the rollback's.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runAndKillChild } from '../../support/kill-child';
import { checkLedgerWhole } from './ledger-check';

const KILLS = Number(process.env.WEFT_CRASH_KILLS ?? 30);
const CHILD = path.join(__dirname, 'fixtures', 'crash-child.js');
const ROLLBACK_CHILD = path.join(__dirname, 'fixtures', 'rollback-child.js');
const ROLLBACKS = 8;

interface Run {
  lastReported: number;
  ready: number;
}

/** Starts the child, lets it commit at least one block, kills it at a random moment after that. */
async function runAndKill(dir: string, seed: number): Promise<Run> {
  const out = await runAndKillChild(CHILD, [dir, String(seed)], 'committed ', () => Math.floor(Math.random() * 120));
  const run: Run = { lastReported: -1, ready: -1 };
  // Whole lines only: what the child finished reporting before it died.
  for (const line of out.split('\n').slice(0, -1)) {
    const [word, num] = line.split(' ');
    if (word === 'ready') run.ready = Number(num);
    if (word === 'committed') run.lastReported = Number(num);
  }
  return run;
}

/**
 * Starts a child that rolls the ledger back to `target`, kills it at a random moment after it
 * starts (before, during or after the rollback); resolves with whether it reported completion.
 */
async function rollbackAndKill(dir: string, target: number): Promise<{ completed: boolean }> {
  // Some kills right away, to land near the reset and truncation at the start; most during the replay.
  const out = await runAndKillChild(ROLLBACK_CHILD, [dir, String(target)], 'rolling-back', () => (Math.random() < 0.25 ? 0 : Math.floor(Math.random() * 250)));
  return { completed: out.includes('rolled-back') };
}

/** Opens the ledger after a kill, checks it whole (`checkLedgerWhole`) and returns its height. */
function checkRecovered(dir: string): number {
  return checkLedgerWhole(dir, 'crash', ['cc', 'cc2']).height;
}

describe('ledger crash safety (SIGKILL during continuous commits)', () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-crash-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it(`recovers to the last committed block after ${KILLS} kills, and after ${ROLLBACKS} killed rollbacks, state equal to a rebuild`, async () => {
    let heightBefore = 0;
    for (let i = 0; i < KILLS; i++) {
      const run = await runAndKill(dir, i + 1);
      expect(run.ready).toBe(i === 0 ? 1 : heightBefore); // the first run creates the ledger with its genesis block

      const height = checkRecovered(dir);
      // Reported blocks are durable; the block in flight at the kill is either whole or absent.
      expect(height - 1).toBeGreaterThanOrEqual(run.lastReported);
      expect(height - 1).toBeLessThanOrEqual(run.lastReported + 1);
      heightBefore = height;
    }
    expect(heightBefore).toBeGreaterThan(KILLS);

    // Rollbacks killed at random points: the ledger is either as it was or rolled back, never between.
    for (let i = 0; i < ROLLBACKS; i++) {
      // Drops 1 to 40 blocks, at most about a quarter of them, so every rollback has a block to drop.
      const target = heightBefore - 2 - Math.floor(Math.random() * Math.min(40, Math.floor((heightBefore - 2) / 4)));
      const { completed } = await rollbackAndKill(dir, target);
      const height = checkRecovered(dir);
      if (completed) expect(height).toBe(target + 1);
      else expect([heightBefore, target + 1]).toContain(height);
      heightBefore = height;
    }
  }, Math.max(120_000, KILLS * 5_000));
});
