import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { validateLabel } from '../../../../core/chaincode/chaincode-package';
import { ChaincodeError } from '../../../../core/errors';
import { projectChanges, staleBuildWarning, watchAndRedeploy, watchLabel, type WatchRound } from '../../../../cli/services/chaincode/deploy-watch';
import type { DeployResult } from '../../../../cli/services/chaincode/deploy';

const DEBOUNCE_MS = 150;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function deployed(round: number): DeployResult {
  return { name: 'assets', version: '1.0', sequence: round + 1, packageId: `assets:${round}`, installedOn: ['peer0'], approvedBy: ['Org1MSP'], alreadyApproved: [], committed: true, waitingFor: [] };
}

/** Waits until `check` holds, polling; fails the test after `ms`. */
async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

/**
 * `weft chaincode deploy --watch` on a real project folder (fs.watch) with a deploy that records
 * its rounds: saves are debounced into one redeploy, a save during a deploy starts one more after
 * it, a failed round does not end the loop, and Ctrl-C (the abort) does.
 */
describe('the redeploy-on-save loop', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-watch-'));
    fs.mkdirSync(path.join(dir, 'src'));
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.writeFileSync(path.join(dir, 'package.json'), '{}');
    fs.writeFileSync(path.join(dir, 'src', 'index.ts'), 'export const a = 1;');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a burst of saves is one redeploy; a save during a deploy is one more; a failure is reported and the loop goes on; abort ends it', async () => {
    const stop = new AbortController();
    const rounds: WatchRound[] = [];
    let release: (() => void) | undefined;
    let deploying = 0;
    const loop = watchAndRedeploy({
      changes: projectChanges(dir),
      debounceMs: DEBOUNCE_MS,
      signal: stop.signal,
      report: (r) => void rounds.push(r),
      deploy: async (round) => {
        deploying++;
        if (round === 2) await new Promise<void>((resolve) => (release = resolve));
        deploying--;
        if (round === 3) throw new ChaincodeError('CHAINCODE_COMPILE_FAILED', 'TypeScript error in src/index.ts');
        return deployed(round);
      },
    });
    // fs.watch starts reporting a moment after it is set up.
    await sleep(50);

    for (let i = 0; i < 5; i++) {
      fs.writeFileSync(path.join(dir, 'src', 'index.ts'), `export const a = ${i};`);
      await sleep(20);
    }
    // Dependencies and editor files are not the chaincode's sources.
    fs.writeFileSync(path.join(dir, 'node_modules', 'x.js'), '');
    fs.writeFileSync(path.join(dir, 'src', '.index.ts.swp'), '');
    await until(() => rounds.length === 1);
    expect(rounds[0]).toMatchObject({ round: 1, changed: ['src/index.ts'], result: { sequence: 2 } });

    // Round 2 hangs until released; a save meanwhile waits for it rather than deploying beside it.
    fs.writeFileSync(path.join(dir, 'src', 'more.ts'), 'export const b = 2;');
    await until(() => release !== undefined);
    fs.writeFileSync(path.join(dir, 'src', 'index.ts'), 'export const a = 99;');
    await sleep(DEBOUNCE_MS * 3);
    expect(deploying).toBe(1);
    expect(rounds).toHaveLength(1);
    release!();
    await until(() => rounds.length === 3);
    expect(rounds[1]).toMatchObject({ round: 2, changed: ['src/more.ts'] });
    expect(rounds[2]).toMatchObject({ round: 3, changed: ['src/index.ts'], error: { message: 'TypeScript error in src/index.ts' } });

    fs.writeFileSync(path.join(dir, 'src', 'index.ts'), 'export const a = 100;');
    await until(() => rounds.length === 4);
    expect(rounds[3]).toMatchObject({ round: 4, result: { sequence: 5 } });

    stop.abort();
    await loop;
    fs.writeFileSync(path.join(dir, 'src', 'index.ts'), 'export const a = 101;');
    await sleep(DEBOUNCE_MS * 3);
    expect(rounds).toHaveLength(4);
  }, 30_000);

  test('a package file cannot be watched: the error says to pass the project folder', () => {
    const file = path.join(dir, 'basic.tar.gz');
    fs.writeFileSync(file, '');
    expect(() => projectChanges(file)).toThrow(/--watch needs a chaincode project folder/);
  });

  test('each build gets a label of its own that Fabric accepts, in build order', () => {
    const a = watchLabel('assets_1.0', new Date('2026-11-25T01:02:03.456Z'));
    const b = watchLabel('assets_1.0', new Date('2026-11-25T01:02:04.000Z'));
    expect(a).toBe('assets_1.0-dev.20261125.010203Z');
    expect(() => validateLabel(a)).not.toThrow();
    expect([b, a].sort()).toEqual([a, b]);
  });
});

/**
 * A scaffolded TypeScript project (main dist/index.js, tsconfig outDir dist, rootDir src) that was
 * built once: the packager bundles dist/index.js, so under --watch saving src/index.ts would
 * redeploy the old code, silently.
 */
describe('--watch on a project built once', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-watch-built-'));
    fs.mkdirSync(path.join(dir, 'src'));
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'assets', main: 'dist/index.js', scripts: { start: 'fabric-chaincode-node start' } }));
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { outDir: 'dist', rootDir: 'src' } }));
    fs.writeFileSync(path.join(dir, 'src', 'index.ts'), 'export const a = 1;');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('warns that each round packages the build output, naming it, the source and the folder to delete', () => {
    fs.mkdirSync(path.join(dir, 'dist'));
    fs.writeFileSync(path.join(dir, 'dist', 'index.js'), 'exports.a = 1;');
    expect(staleBuildWarning(dir)).toBe(
      "dist/index.js is the project's build output (tsconfig.json's outDir), and each round packages it as a Fabric peer runs it: " +
        'saving src/index.ts changes nothing deployed. Delete dist/ to have every round compile (and type-check) the sources themselves',
    );
  });

  it('says nothing for a project packaged from its sources (not built, or JavaScript)', () => {
    expect(staleBuildWarning(dir)).toBeUndefined();
    fs.rmSync(path.join(dir, 'tsconfig.json'));
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'assets', main: 'index.js' }));
    fs.writeFileSync(path.join(dir, 'index.js'), 'exports.a = 1;');
    expect(staleBuildWarning(dir)).toBeUndefined();
  });
});
