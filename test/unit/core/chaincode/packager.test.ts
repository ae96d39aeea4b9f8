import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readChaincodePackage } from '../../../../core/chaincode/chaincode-package';
import { SANDBOX_ABI } from '../../../../core/chaincode/host-api';
import { BUNDLE_FILE, packageChaincode } from '../../../../core/chaincode/packager';
import { nodeScriptOf } from '../../../../core/chaincode/project-entry';
import { EXAMPLES } from './fixtures';

function project(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-cc-'));
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

describe('packager', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  const mk = (files: Record<string, string>): string => {
    const d = project(files);
    dirs.push(d);
    return d;
  };

  test('writes a Fabric-format package: metadata.json, src/package.json -> bundle, META-INF carried over', async () => {
    const built = await packageChaincode({ projectDir: path.join(EXAMPLES, 'marbles'), label: 'marbles_1' });
    const pkg = await readChaincodePackage(built.packageBytes);
    expect(pkg.packageId).toBe(built.packageId);
    expect(pkg.metadata).toEqual({ path: 'marbles', type: 'node', label: 'marbles_1' });
    expect([...pkg.code.keys()].sort()).toEqual(['META-INF/statedb/couchdb/indexes/indexOwner.json', 'src/package.json', `src/${BUNDLE_FILE}`, `src/${BUNDLE_FILE}.map`]);
    // The map names the project's files relative to it and Weft's as weft/…, and carries no source text.
    const map = JSON.parse(Buffer.from(pkg.code.get(`src/${BUNDLE_FILE}.map`) as Uint8Array).toString()) as { sources: string[]; sourcesContent?: unknown };
    expect(map.sources).toEqual(expect.arrayContaining(['index.js', 'weft/core/chaincode/sandbox/stub.ts']));
    expect(map.sources.filter((s) => s.startsWith('../'))).toEqual([]);
    expect(map.sourcesContent).toBeUndefined();
    expect(JSON.parse(Buffer.from(pkg.code.get('src/package.json') as Uint8Array).toString())).toEqual({
      name: 'marbles',
      version: '1.0.0',
      main: BUNDLE_FILE,
      weft: { abi: SANDBOX_ABI },
    });
  });

  test("META-INF index files are checked as Fabric's packager checks them; hidden files are left out", async () => {
    const base = { 'package.json': '{"name":"t","version":"1.0.0","main":"index.js"}', 'index.js': 'module.exports.contracts = [];' };
    const built = await packageChaincode({
      projectDir: mk({
        ...base,
        'META-INF/statedb/couchdb/indexes/byOwner.json': '{"index":{"fields":["owner"]},"name":"byOwner"}',
        'META-INF/statedb/couchdb/collections/shared/indexes/p.json': '{"index":{"fields":["owner"]},"name":"p"}',
        'META-INF/statedb/couchdb/indexes/.DS_Store': 'junk',
      }),
      label: 't',
    });
    expect([...(await readChaincodePackage(built.packageBytes)).code.keys()].filter((k) => k.startsWith('META-INF/')).sort()).toEqual([
      'META-INF/statedb/couchdb/collections/shared/indexes/p.json',
      'META-INF/statedb/couchdb/indexes/byOwner.json',
    ]);
    const refusal = async (files: Record<string, string>): Promise<unknown> => packageChaincode({ projectDir: mk({ ...base, ...files }), label: 't' }).then(() => undefined, (e: unknown) => e);
    expect(await refusal({ 'META-INF/statedb/couchdb/indexes/bad.json': '{"index":{"fields":[]},"name":"bad"}' })).toMatchObject({
      code: 'CHAINCODE_BAD_INDEX',
      message: 'not a valid index definition: META-INF/statedb/couchdb/indexes/bad.json: index.fields must not be empty',
      details: { file: 'META-INF/statedb/couchdb/indexes/bad.json' },
    });
    expect(await refusal({ 'META-INF/statedb/couchdb/indexes/notjson.json': 'nope' })).toMatchObject({ code: 'CHAINCODE_BAD_INDEX' });
    for (const misplaced of ['META-INF/statedb/couchdb/byOwner.json', 'META-INF/statedb/couchdb/indexes/byOwner.txt', 'META-INF/statedb/leveldb/indexes/x.json', 'META-INF/statedb/couchdb/collections/a b/indexes/x.json']) {
      expect(await refusal({ [misplaced]: '{"index":{"fields":["owner"]},"name":"x"}' })).toMatchObject({ code: 'CHAINCODE_BAD_INDEX', details: { file: misplaced } });
    }
  });

  test('packaging is deterministic, wherever the project and the packager sit', async () => {
    const a = await packageChaincode({ projectDir: path.join(EXAMPLES, 'token-erc20'), label: 't' });
    const b = await packageChaincode({ projectDir: path.join(EXAMPLES, 'token-erc20'), label: 't' });
    expect(b.packageId).toBe(a.packageId);
    // The same files at another depth from Weft's own: esbuild names modules by relative path.
    // metadata.json names the project's directory, so both copies keep its name.
    const near = path.join(mk({}), 'token-erc20');
    const far = path.join(mk({}), 'x', 'y', 'z', 'token-erc20');
    for (const dir of [near, far]) fs.cpSync(path.join(EXAMPLES, 'token-erc20'), dir, { recursive: true });
    const [c, d] = [await packageChaincode({ projectDir: near, label: 't' }), await packageChaincode({ projectDir: far, label: 't' })];
    expect(d.packageId).toBe(c.packageId);
    expect(c.packageId).toBe(a.packageId);
    expect(c.bundle).toMatch(/^ {2}\/\/ weft\/core\/chaincode\/sandbox\/stub\.ts$/m);
    expect(c.bundle).not.toMatch(/^ {2}\/\/ \.\.\/|^ {4}"\.\.\//m);
    expect(d.bundle).toBe(c.bundle);
  });

  test('an unbuilt TypeScript project is compiled from its rootDir with decorator metadata', async () => {
    const built = await packageChaincode({ projectDir: path.join(EXAMPLES, 'asset-transfer'), label: 'basic' });
    expect(built.bundle).toContain('__metadata("design:paramtypes"');
    expect(built.bundle).toContain('class AssetTransferContract');
  });

  test('without rootDir, dist/index.js maps to src/index.ts as tsc would emit it', async () => {
    const dir = mk({
      'package.json': '{"name":"t","version":"1.0.0","main":"dist/index.js"}',
      'tsconfig.json': '{"compilerOptions":{"outDir":"dist","experimentalDecorators":true,"emitDecoratorMetadata":true},"include":["./src/**/*"]}',
      'src/index.ts': "import { Context, Contract, Transaction } from 'fabric-contract-api';\nexport class T extends Contract { @Transaction() async N(ctx: Context, n: number): Promise<number> { return n * 2; } }\nexport const contracts = [T];\n",
    });
    const built = await packageChaincode({ projectDir: dir, label: 't' });
    expect(built.bundle).toMatch(/__metadata\("design:paramtypes", \[[^\]]*fabric_contract_api_1\.Context[^\]]*, Number\]\)/);
  });

  test('a Node built-in the sandbox does not offer packages with a warning naming the import, and stands in as a module that throws', async () => {
    const built = await packageChaincode({ projectDir: path.join(EXAMPLES, 'hostile', 'forbidden-import'), label: 'bad' });
    expect(built.warnings).toEqual([
      "index.js imports the Node built-in module 'fs', which the Weft sandbox does not offer: requiring it throws (chaincode may not use I/O, timers or processes)",
    ]);
    expect(built.bundle).toContain("the Node built-in module 'fs' is not available in chaincode");
    const dir = mk({ 'package.json': '{"name":"x","main":"a.js"}', 'a.js': "require('node:child_process'); require('child_process'); require('./b')", 'b.js': "require('child_process')" });
    const twice = await packageChaincode({ projectDir: dir, label: 'x' });
    expect(twice.warnings).toEqual([
      "a.js imports the Node built-in module 'node:child_process', which the Weft sandbox does not offer: requiring it throws (chaincode may not use I/O, timers or processes)",
      "a.js imports the Node built-in module 'child_process', which the Weft sandbox does not offer: requiring it throws (chaincode may not use I/O, timers or processes)",
      "b.js imports the Node built-in module 'child_process', which the Weft sandbox does not offer: requiring it throws (chaincode may not use I/O, timers or processes)",
    ]);
    // One stand-in per module, however many files import it.
    expect(twice.bundle.split("the Node built-in module 'child_process' is not available").length - 1).toBe(1);
    const clean = await packageChaincode({ projectDir: path.join(EXAMPLES, 'marbles'), label: 'marbles_1' });
    expect(clean.warnings).toEqual([]);
  });

  test('npm ports of events, stream, path, string_decoder and punycode, and the url, assert, os and tty modules, package without a warning; URL comes only where code names it', async () => {
    const ported = mk({
      'package.json': '{"name":"x","main":"a.js"}',
      'a.js': "require('events'); require('stream'); require('os'); require('tty'); require('node:path'); require('path/posix'); require('string_decoder'); require('punycode'); require('assert'); require('assert/strict'); require('node:url')",
    });
    expect((await packageChaincode({ projectDir: ported, label: 'x' })).warnings).toEqual([]);
    // whatwg-url's tables run to hundreds of kilobytes: a bundle that never names URL goes without them.
    const plain = await packageChaincode({ projectDir: mk({ 'package.json': '{"name":"x","main":"a.js"}', 'a.js': 'module.exports = { contracts: [] }' }), label: 'x' });
    const withUrl = await packageChaincode({ projectDir: mk({ 'package.json': '{"name":"x","main":"a.js"}', 'a.js': "module.exports = { href: () => new URL('http://h/').href }" }), label: 'x' });
    const withParams = await packageChaincode({ projectDir: mk({ 'package.json': '{"name":"x","main":"a.js"}', 'a.js': 'module.exports = (q) => new URLSearchParams(q)' }), label: 'x' });
    expect(plain.bundle).not.toMatch(/whatwg-url|tr46/);
    expect(withUrl.bundle).toMatch(/whatwg-url/);
    expect(withParams.bundle).toMatch(/whatwg-url/);
    expect(withUrl.bundle.length - plain.bundle.length).toBeGreaterThan(100_000);
  });

  test("the file that runs is the one Fabric's npm start runs: the start script's node <file>, else main", async () => {
    const entryOf = async (pkg: object): Promise<string | undefined> => {
      const built = await packageChaincode({ projectDir: mk({ 'package.json': JSON.stringify(pkg), 'a.js': 'A_FILE();', 'b.js': 'B_FILE();' }), label: 'x' });
      return ['A_FILE', 'B_FILE'].find((f) => built.bundle.includes(f));
    };
    expect(await entryOf({ scripts: { start: 'node b.js' } })).toBe('B_FILE');
    expect(await entryOf({ main: 'a.js', scripts: { start: 'set -x && node --max-old-space-size=512 b.js --peer.address x' } })).toBe('B_FILE');
    expect(await entryOf({ main: 'a.js', scripts: { start: 'fabric-chaincode-node start' } })).toBe('A_FILE');
    expect(await entryOf({ main: 'a.js' })).toBe('A_FILE');
    await expect(entryOf({ scripts: { start: 'node c.js' } })).rejects.toThrow("the start script's 'c.js' does not exist");
  });

  test('nodeScriptOf reads the file a start script hands to node', () => {
    expect(nodeScriptOf('node abstore.js')).toBe('abstore.js');
    expect(nodeScriptOf('npm run build; node -r ts-node/register --trace-warnings src/app.ts')).toBe('src/app.ts');
    expect(nodeScriptOf('fabric-chaincode-node start')).toBeUndefined();
    expect(nodeScriptOf('node --version')).toBeUndefined();
    expect(nodeScriptOf('nodemon app.js')).toBeUndefined();
  });

  test('project errors: no main, missing main file, bad label, TypeScript syntax error', async () => {
    await expect(packageChaincode({ projectDir: mk({ 'package.json': '{"name":"x"}' }), label: 'x' })).rejects.toThrow(
      "package.json does not contain a 'main' entry for the module (nor a start script that runs 'node <file>')",
    );
    await expect(packageChaincode({ projectDir: mk({ 'package.json': '{"main":"dist/nope.js"}' }), label: 'x' })).rejects.toThrow(
      "package.json main 'dist/nope.js' does not exist",
    );
    await expect(packageChaincode({ projectDir: mk({ 'package.json': '{"main":"a.js"}', 'a.js': '' }), label: 'bad label' })).rejects.toThrow(/invalid label/);
    await expect(packageChaincode({ projectDir: mk({ 'package.json': '{"main":"a.ts"}', 'a.ts': 'export const = ;' }), label: 'x' })).rejects.toThrow(/TypeScript error in/);
  });

  test('npm dependencies in node_modules are bundled, so install needs no network', async () => {
    const dir = mk({
      'package.json': '{"name":"dep","version":"1.0.0","main":"index.js"}',
      'index.js': "const { Contract } = require('fabric-contract-api'); const pad = require('left-pad'); class C extends Contract { async P(ctx, s) { return pad(s, 5); } } module.exports.contracts = [C];",
      'node_modules/left-pad/package.json': '{"name":"left-pad","main":"index.js"}',
      'node_modules/left-pad/index.js': "module.exports = (s, n) => ' '.repeat(Math.max(0, n - s.length)) + s;",
    });
    const built = await packageChaincode({ projectDir: dir, label: 'dep' });
    expect(built.bundle).toContain('node_modules/left-pad/index.js');
    expect(built.bundle).toContain('.repeat(Math.max(0, n - s.length))');
  });
});

/** The esbuild service processes this process started (children named esbuild). */
function esbuildChildren(): number[] {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return Number(fields[1]) === process.pid && stat.includes('(esbuild)');
      } catch {
        return false; // exited meanwhile
      }
    })
    .map(Number);
}

describe("packager's esbuild service", () => {
  test('is stopped once no build has run for a while, and started again by the next build', async () => {
    const settle = async (): Promise<number[]> => {
      for (let i = 0; i < 60 && esbuildChildren().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
      return esbuildChildren();
    };
    const build = () => packageChaincode({ projectDir: path.join(EXAMPLES, 'asset-transfer'), label: 'a_1' });
    // Two builds at once share one service.
    await Promise.all([build(), build()]);
    expect(esbuildChildren()).toHaveLength(1);
    expect(await settle()).toEqual([]);
    await build();
    expect(esbuildChildren()).toHaveLength(1);
    expect(await settle()).toEqual([]);
  });
});
