import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { version as WEFT_TYPESCRIPT } from 'typescript';
import { packageChaincode } from '../../../../core/chaincode/packager';
import { MAX_LISTED_TYPE_ERRORS } from '../../../../core/chaincode/type-check';
import type { DeployResult } from '../../../../cli/services/chaincode/deploy';
import { projectChanges, watchAndRedeploy, type WatchRound } from '../../../../cli/services/chaincode/deploy-watch';
import { loadOrBuildPackage, packageProject } from '../../../../cli/services/chaincode/package-project';
import { scaffoldChaincode } from '../../../../cli/services/scaffold/scaffold';

const CONTRACT = path.join('src', 'assets-contract.ts');
/** The newcomer's type error: a number where the Item's string Value goes, and arithmetic on a string. */
const GOOD_LINE = 'Value: value,';
const BAD_LINE = 'Value: value + 1 - "x",';

/**
 * `weft chaincode package` (and deploy, install, deploy --watch, which package through
 * loadOrBuildPackage) check a TypeScript project's types as tsc does with its tsconfig.json, on
 * `weft new chaincode --lang ts` projects in a temp dir without node_modules (Weft's typescript
 * and fabric types are used). esbuild, which bundles, strips types and checks none: before, a type
 * error packaged and deployed.
 */
describe('packaging checks a TypeScript project\'s types', () => {
  let tmp: string;
  let clean: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-typecheck-'));
    clean = scaffoldChaincode('assets', 'ts', path.join(tmp, 'clean')).dir;
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** A copy of the clean project, `edit` applied to its files (relative path → new text). */
  function variant(name: string, edit: (read: (file: string) => string) => Record<string, string>): string {
    const dir = path.join(tmp, name);
    fs.cpSync(clean, dir, { recursive: true });
    const read = (file: string): string => fs.readFileSync(path.join(dir, file), 'utf8');
    for (const [file, text] of Object.entries(edit(read))) {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), text);
    }
    return dir;
  }
  const withTypeError = (read: (file: string) => string): Record<string, string> => ({ [CONTRACT]: read(CONTRACT).replace(GOOD_LINE, BAD_LINE) });

  /** The three errors tsc prints for {@link BAD_LINE} (checked against tsc itself), at their place in `source`. */
  function expectedErrors(source: string): string[] {
    const lines = source.split('\n');
    const line = lines.findIndex((l) => l.includes(BAD_LINE)) + 1;
    const col = (text: string): number => lines[line - 1]!.indexOf(text) + 1;
    const at = `src/assets-contract.ts:${line}`;
    const arithmetic = "of an arithmetic operation must be of type 'any', 'number', 'bigint' or an enum type.";
    return [
      `${at}:${col('Value:')}: TS2322 Type 'number' is not assignable to type 'string'.`,
      `${at}:${col('value + 1')}: TS2362 The left-hand side ${arithmetic}`,
      `${at}:${col('"x"')}: TS2363 The right-hand side ${arithmetic}`,
    ];
  }

  test('a type error refuses the package, each error as file:line:column: TSnnnn text, and no file is written; --no-type-check packages it', async () => {
    const bad = variant('bad', withTypeError);
    const errors = expectedErrors(fs.readFileSync(path.join(bad, CONTRACT), 'utf8'));
    const output = path.join(tmp, 'bad.tar.gz');

    const refused = await packageProject(bad, 'assets_1.0', output).then(() => undefined, (e: unknown) => e);
    expect(refused).toMatchObject({ code: 'CHAINCODE_TYPE_ERRORS', details: { projectDir: bad, errors, count: 3, typescript: WEFT_TYPESCRIPT } });
    expect((refused as Error).message).toBe(`chaincode project ${bad} has 3 TypeScript errors (checked as tsc does with its tsconfig.json, typescript ${WEFT_TYPESCRIPT}):\n${errors.map((e) => `  ${e}`).join('\n')}`);
    expect(fs.existsSync(output)).toBe(false);
    // deploy and install package a project folder through this one.
    await expect(loadOrBuildPackage(bad, 'assets_1.0')).rejects.toMatchObject({ code: 'CHAINCODE_TYPE_ERRORS', details: { errors } });

    const unchecked = await packageProject(bad, 'assets_1.0', output, { typeCheck: false });
    expect(fs.existsSync(output)).toBe(true);
    expect(unchecked.typeChecked).toBeUndefined();
    expect(unchecked.warnings).toEqual([]);
  }, 120_000);

  test('a clean TypeScript project is checked and packages to the bytes the packager alone makes; JavaScript and built projects are not checked', async () => {
    const output = path.join(tmp, 'clean.tar.gz');
    const packaged = await packageProject(clean, 'assets_1.0', output);
    expect(packaged.typeChecked).toEqual({ version: WEFT_TYPESCRIPT, from: 'weft' });
    expect(packaged.warnings).toEqual([]);
    const alone = await packageChaincode({ projectDir: clean, label: 'assets_1.0' });
    expect(Buffer.from(fs.readFileSync(output)).equals(Buffer.from(alone.packageBytes))).toBe(true);
    expect(packaged.packageId).toBe(alone.packageId);

    // JavaScript, with a tsconfig.json and a TypeScript file that does not type-check beside it: the packager compiles no TypeScript, so nothing is checked.
    const js = scaffoldChaincode('assets', 'js', path.join(tmp, 'js')).dir;
    fs.writeFileSync(path.join(js, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true }, include: ['*.ts'] }));
    fs.writeFileSync(path.join(js, 'notes.ts'), 'export const n: number = "not a number";\n');
    const fromJs = await packageProject(js, 'assets_1.0', path.join(tmp, 'js.tar.gz'));
    expect(fromJs.typeChecked).toBeUndefined();
    expect(fromJs.warnings).toEqual([]);

    // Built (main's dist/index.js exists): the packager bundles that JavaScript, not the sources.
    const built = variant('built', (read) => ({ ...withTypeError(read), 'dist/index.js': 'module.exports.contracts = [];\n' }));
    expect((await packageProject(built, 'assets_1.0', path.join(tmp, 'built.tar.gz'))).typeChecked).toBeUndefined();
  }, 120_000);

  test('the project\'s own typescript is used first, as its npm run build runs it; one without the compiler API is passed over', async () => {
    const own = variant('own-typescript', () => ({
      'node_modules/typescript/package.json': JSON.stringify({ name: 'typescript', version: '0.0.0-own', main: 'index.js' }),
      'node_modules/typescript/index.js': `module.exports = { ...require(${JSON.stringify(require.resolve('typescript'))}), version: '0.0.0-own' };\n`,
    }));
    expect((await packageProject(own, 'assets_1.0', path.join(tmp, 'own.tar.gz'))).typeChecked).toEqual({ version: '0.0.0-own', from: 'project' });

    // One without the compiler API (typescript 7's native compiler has none): Weft's checks instead.
    const native = variant('native-typescript', () => ({
      'node_modules/typescript/package.json': JSON.stringify({ name: 'typescript', version: '7.0.0', main: 'index.js' }),
      'node_modules/typescript/index.js': "module.exports = { version: '7.0.0' };\n",
    }));
    expect((await packageProject(native, 'assets_1.0', path.join(tmp, 'native.tar.gz'))).typeChecked).toEqual({ version: WEFT_TYPESCRIPT, from: 'weft' });
  }, 120_000);

  test('types that cannot be checked are said so in a warning, and the project packages as before', async () => {
    // Without a tsconfig.json (its outDir maps dist/ to src/), main names the source itself.
    const noConfig = variant('no-tsconfig', (read) => ({ 'package.json': JSON.stringify({ ...JSON.parse(read('package.json')), main: 'src/index.ts' }) }));
    fs.rmSync(path.join(noConfig, 'tsconfig.json'));
    const a = await packageProject(noConfig, 'assets_1.0', path.join(tmp, 'a.tar.gz'));
    expect(a.warnings).toEqual(['src/index.ts is TypeScript but the project has no tsconfig.json: its types were not checked (tsc, as npm run build runs it, needs one)']);
    expect(a.typeChecked).toBeUndefined();

    // fabric-samples' TypeScript chaincode extends @tsconfig/node20, there only after npm install.
    const base = variant('missing-base', (read) => ({ 'tsconfig.json': JSON.stringify({ extends: '@tsconfig/node20/tsconfig.json', ...JSON.parse(read('tsconfig.json')) }) }));
    const b = await packageProject(base, 'assets_1.0', path.join(tmp, 'b.tar.gz'));
    expect(b.warnings).toEqual([
      "src/index.ts is TypeScript but its types were not checked: tsconfig.json:1:12: TS6053 File '@tsconfig/node20/tsconfig.json' not found. (npm install in the project installs what its tsconfig.json extends)",
    ]);
  }, 120_000);

  test(`lists the first ${MAX_LISTED_TYPE_ERRORS} errors and counts the rest`, async () => {
    const many = variant('many', (read) => ({
      [CONTRACT]: `${read(CONTRACT)}\n${Array.from({ length: 25 }, (_, i) => `export const wrong${i}: number = 'text';`).join('\n')}\n`,
    }));
    const refused = (await packageProject(many, 'assets_1.0', path.join(tmp, 'many.tar.gz')).catch((e: unknown) => e)) as Error & { details: { errors: string[]; count: number } };
    expect(refused.details.count).toBe(25);
    expect(refused.details.errors).toHaveLength(MAX_LISTED_TYPE_ERRORS);
    expect(refused.details.errors[0]).toMatch(/^src\/assets-contract\.ts:\d+:14: TS2322 Type 'string' is not assignable to type 'number'\.$/);
    expect(refused.message.endsWith(`\n  … and ${25 - MAX_LISTED_TYPE_ERRORS} more`)).toBe(true);
  }, 120_000);

  test('deploy --watch: a save with a type error is a failed round naming it; the next good save packages', async () => {
    const dir = variant('watched', () => ({}));
    const good = fs.readFileSync(path.join(dir, CONTRACT), 'utf8');
    const rounds: WatchRound[] = [];
    let waiting: (() => void) | undefined;
    const nextRound = (): Promise<void> => new Promise((resolve) => (waiting = resolve));
    const stop = new AbortController();
    const loop = watchAndRedeploy({
      changes: projectChanges(dir),
      debounceMs: 150,
      signal: stop.signal,
      report: (r) => {
        rounds.push(r);
        waiting?.();
      },
      // What deployChaincode does first, the rest of the deploy being beside the point here.
      deploy: async (round): Promise<DeployResult> => {
        const pkg = await loadOrBuildPackage(dir, `assets_1.0-dev.${round}`);
        return { name: 'assets', version: '1.0', sequence: round + 1, packageId: pkg.packageId, installedOn: [], approvedBy: [], alreadyApproved: [], committed: true, waitingFor: [] };
      },
    });
    // fs.watch starts reporting a moment after it is set up.
    await new Promise((r) => setTimeout(r, 50));

    let round = nextRound();
    fs.writeFileSync(path.join(dir, CONTRACT), good.replace(GOOD_LINE, BAD_LINE));
    await round;
    expect(rounds[0]).toMatchObject({ round: 1, changed: [CONTRACT], error: { code: 'CHAINCODE_TYPE_ERRORS' } });
    expect((rounds[0] as { error: Error }).error.message).toContain(expectedErrors(good.replace(GOOD_LINE, BAD_LINE))[1]);

    round = nextRound();
    fs.writeFileSync(path.join(dir, CONTRACT), good);
    await round;
    const expected = await packageChaincode({ projectDir: dir, label: 'assets_1.0-dev.2' });
    expect(rounds[1]).toMatchObject({ round: 2, result: { packageId: expected.packageId } });

    stop.abort();
    await loop;
  }, 120_000);
});
