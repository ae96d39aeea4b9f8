import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO, linkDevDependencies, runCli, runNode } from './run-cli';

/** Generates each template with the real CLI and runs the generated project's own tests. */
describe('weft new', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-scaffold-'));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  async function generatedTestsPass(dir: string): Promise<void> {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { devDependencies: Record<string, string>; allowScripts: unknown };
    // The file: dependency points at this repository, relative to the project.
    expect(path.resolve(dir, pkg.devDependencies.weft!.replace(/^file:/, ''))).toBe(path.resolve(__dirname, '../../..'));
    // npm 11 warns about every install script no allowScripts entry covers, Weft's dependencies' included.
    expect(pkg.allowScripts).toEqual((JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { allowScripts: unknown }).allowScripts);
    linkDevDependencies(dir);
    const jest = await runNode([path.join(dir, 'node_modules', 'jest', 'bin', 'jest.js'), '--ci', '-i'], { cwd: dir, timeoutMs: 240_000 });
    expect(jest.stderr).toMatch(/Tests:\s+\d+ passed, \d+ total/);
    expect(jest.code).toBe(0);
  }

  it.each(['ts', 'js'])('new chaincode --lang %s makes a project whose tests pass through the runtime', async (lang) => {
    const dir = path.join(tmp, `cc-${lang}`);
    const r = await runCli(['new', 'chaincode', `my-${lang}-assets`, '--lang', lang, '--dir', dir, '--json']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as { files: string[] };
    expect(result.files).toContain(lang === 'ts' ? 'src/my-ts-assets-contract.ts' : 'lib/my-js-assets-contract.js');
    await generatedTestsPass(dir);
  });

  it.each(['ledger', 'ordering', 'msp', 'policy', 'runtime'])('new plugin --slot %s passes the slot conformance suite', async (slot) => {
    const dir = path.join(tmp, `plugin-${slot}`);
    const r = await runCli(['new', 'plugin', `my-${slot}`, '--slot', slot, '--dir', dir]);
    expect(r.code).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'test', `my-${slot}-conformance.test.ts`), 'utf8')).toMatch(/[Cc]onformance/);
    await generatedTestsPass(dir);
  });

  it('refuses to overwrite, and rejects bad names and slots with a remedy', async () => {
    const dir = path.join(tmp, 'occupied');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'keep.txt'), 'mine');
    const again = await runCli(['new', 'chaincode', 'other', '--dir', dir]);
    expect(again.code).not.toBe(0);
    expect(again.message).toMatch(/not empty; generators never overwrite/);
    expect(again.stderr).not.toMatch(/\n\s+at /);
    expect(fs.readdirSync(dir)).toEqual(['keep.txt']);
    const verbose = await runCli(['new', 'chaincode', 'other', '--dir', dir, '--verbose']);
    expect(verbose.code).not.toBe(0);
    expect(verbose.stderr).toMatch(/ConfigError: .*\n\s+at /);
    const badName = await runCli(['new', 'chaincode', 'My_Assets', '--dir', path.join(tmp, 'x')]);
    expect(badName.code).not.toBe(0);
    expect(badName.message).toMatch(/try: my-assets/);
    const badSlot = await runCli(['new', 'plugin', 'p', '--slot', 'storage', '--dir', path.join(tmp, 'y')]);
    expect(badSlot.code).not.toBe(0);
    expect(badSlot.message).toMatch(/ledger, ordering, msp, policy, runtime/);
    expect(fs.existsSync(path.join(tmp, 'x')) || fs.existsSync(path.join(tmp, 'y'))).toBe(false);
  });

  it('resolves relative paths against the directory `npm run weft` was typed in, not the package root', async () => {
    // npm runs scripts in the package root and passes the caller's directory as INIT_CWD.
    const npmEnv = { npm_lifecycle_event: 'weft', INIT_CWD: tmp };
    const r = await runNode([path.join(REPO, 'bin', 'dev.js'), 'new', 'chaincode', 'relative-cc', '--lang', 'js', '--json'], { cwd: REPO, env: npmEnv });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { dir: string }).dir).toBe(path.join(tmp, 'relative-cc'));
    expect(fs.existsSync(path.join(tmp, 'relative-cc', 'package.json'))).toBe(true);
    expect(fs.existsSync(path.join(REPO, 'relative-cc'))).toBe(false);
  });
});
