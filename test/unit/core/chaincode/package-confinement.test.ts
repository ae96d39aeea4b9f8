import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Metafile } from 'esbuild';
import { readChaincodePackage, writeChaincodePackage } from '../../../../core/chaincode/chaincode-package';
import { PackageConfinement } from '../../../../core/chaincode/package-confinement';
import { bundleFabricPackage } from '../../../../core/chaincode/packager';
import { EXAMPLES } from './fixtures';

/** A package as Fabric's tooling makes it: the project's files under `src/`. */
async function fabricPackage(files: Record<string, string>): Promise<Awaited<ReturnType<typeof readChaincodePackage>>> {
  const code = new Map(Object.entries(files).map(([name, text]): [string, Uint8Array] => [`src/${name}`, Buffer.from(text)]));
  return readChaincodePackage(await writeChaincodePackage({ path: 'p', type: 'node', label: 'p' }, code));
}

const PKG = '{"name":"p","version":"1.0.0","main":"index.js"}';
const SHIM = "const shim = require('fabric-shim'); shim.start({ async Init() { return shim.success(); }, async Invoke() { return shim.success(Buffer.from(String(x))); } });";

/**
 * A package's plain sources are bundled on the peer at install: what they import must come from
 * the package, never from the peer's own files (its MSP keystore, TLS key, node config).
 */
describe('bundling a Fabric-format package is confined to the package', () => {
  let hostDir = '';
  let secret = '';
  beforeAll(() => {
    hostDir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-host-'));
    secret = path.join(hostDir, 'priv_sk');
    fs.writeFileSync(secret, 'PEER-SECRET');
    fs.writeFileSync(path.join(hostDir, 'config.json'), '{"secret":"PEER-SECRET"}');
    fs.writeFileSync(path.join(hostDir, 'lib.js'), 'module.exports = "PEER-SECRET";');
  });
  afterAll(() => fs.rmSync(hostDir, { recursive: true, force: true }));

  const refusal = async (files: Record<string, string>): Promise<unknown> => bundleFabricPackage(await fabricPackage({ 'package.json': PKG, ...files })).then((b) => b.bundle, (e: unknown) => e);

  test('an absolute import, with or without an import attribute, is refused, naming the file and the import', async () => {
    const withText = await refusal({ 'index.js': `import x from ${JSON.stringify(secret)} with { type: 'text' };\n${SHIM}` });
    expect(withText).toMatchObject({
      name: 'ChaincodeError',
      code: 'CHAINCODE_FORBIDDEN_IMPORT',
      message: expect.stringContaining(`src/index.js imports ${JSON.stringify(secret)}, an absolute path: chaincode may import only files inside its package`),
      details: { importer: 'src/index.js', import: secret },
    });
    expect(await refusal({ 'index.js': `const x = require(${JSON.stringify(path.join(hostDir, 'config.json'))});\n${SHIM}` })).toMatchObject({ code: 'CHAINCODE_FORBIDDEN_IMPORT' });
  });

  test('a relative import leading out of the package is refused, from its own files and from its node_modules', async () => {
    const up = `${'../'.repeat(40)}${path.join(hostDir, 'lib.js').slice(1)}`;
    const escape = await refusal({ 'index.js': `const x = require(${JSON.stringify(up)});\n${SHIM}` });
    expect(escape).toMatchObject({ code: 'CHAINCODE_FORBIDDEN_IMPORT', message: expect.stringContaining('which resolves outside the package'), details: { importer: 'src/index.js' } });
    const deep = await refusal({
      'index.js': `const x = require('dep');\n${SHIM}`,
      'node_modules/dep/package.json': '{"name":"dep","main":"index.js"}',
      'node_modules/dep/index.js': `module.exports = require(${JSON.stringify(up)});`,
    });
    expect(deep).toMatchObject({ code: 'CHAINCODE_FORBIDDEN_IMPORT', details: { importer: 'src/node_modules/dep/index.js' } });
  });

  test("inside the package, only code and JSON load, and no import attribute but { type: 'json' }", async () => {
    const files = { 'notes.txt': 'TEXT', 'data.json': '{"n":7}', 'code.js': 'module.exports = 1;' };
    expect(await refusal({ ...files, 'index.js': `import x from './code.js' with { type: 'text' };\n${SHIM}` })).toMatchObject({
      code: 'CHAINCODE_FORBIDDEN_IMPORT',
      message: expect.stringContaining(`src/index.js imports "./code.js" with { type: "text" }: chaincode may use no import attribute but { type: 'json' }`),
    });
    expect(await refusal({ ...files, 'index.js': `import x from './notes.txt';\n${SHIM}` })).toMatchObject({
      code: 'CHAINCODE_FORBIDDEN_IMPORT',
      message: expect.stringContaining('src/index.js imports "./notes.txt", a .txt file: chaincode may import only .js .cjs .mjs .json .ts files'),
    });
    const ok = await refusal({ ...files, 'index.js': `import x from './data.json' with { type: 'json' };\n${SHIM}` });
    expect(ok).toEqual(expect.stringContaining('n: 7'));
  });

  test('a package name is looked up in the package only: a node_modules above it is not searched', async () => {
    // Where the peer unpacks packages: put a module where a lookup walking up from the package would find it.
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-workdir-'));
    fs.mkdirSync(path.join(workDir, 'node_modules', 'host-secrets'), { recursive: true });
    fs.writeFileSync(path.join(workDir, 'node_modules', 'host-secrets', 'index.js'), 'module.exports = "PEER-SECRET";');
    try {
      const pkg = await fabricPackage({ 'package.json': PKG, 'index.js': `const x = require('host-secrets');\n${SHIM}` });
      await expect(bundleFabricPackage(pkg, workDir)).rejects.toMatchObject({
        code: 'CHAINCODE_NOT_BUNDLED',
        message: expect.stringContaining('Could not resolve "host-secrets" inside the package (imported by src/index.js)'),
      });
    } finally {
      fs.rmSync(workDir, { recursive: true, force: true });
    }
  });

  test('a main or start script naming a file outside the package is refused, also where the work directory is reached through a link', async () => {
    const real = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-real-'));
    const link = `${real}-link`;
    fs.symlinkSync(real, link);
    try {
      const outside = path.join(hostDir, 'lib.js');
      for (const pkgJson of [{ main: outside }, { scripts: { start: `node ${'../'.repeat(40)}${outside.slice(1)}` } }]) {
        const pkg = await fabricPackage({ 'package.json': JSON.stringify(pkgJson) });
        for (const workDir of [real, link]) {
          await expect(bundleFabricPackage(pkg, workDir)).rejects.toMatchObject({ code: 'CHAINCODE_FORBIDDEN_IMPORT', details: { importer: 'src/weft-entry.js' } });
        }
      }
      const fine = await bundleFabricPackage(await fabricPackage({ 'package.json': PKG, 'index.js': `const x = require('./lib/x.js');\n${SHIM}`, 'lib/x.js': 'module.exports = 1;' }), link);
      expect(fine.bundle).toContain('lib/x.js');
    } finally {
      fs.rmSync(link, { force: true });
      fs.rmSync(real, { recursive: true, force: true });
    }
  });

  test('fabric-samples style packages bundle as before: JavaScript with node_modules inside, TypeScript sources compiled', async () => {
    const js = await bundleFabricPackage(
      await fabricPackage({
        'package.json': '{"name":"js","version":"1.0.0","main":"index.js","scripts":{"start":"fabric-chaincode-node start"}}',
        'index.js': "const stringify = require('json-stringify-deterministic'); const { Contract } = require('fabric-contract-api'); class C extends Contract { async Get() { return stringify({ b: 1, a: 2 }); } } module.exports.contracts = [C];",
        'node_modules/json-stringify-deterministic/package.json': '{"name":"json-stringify-deterministic","main":"lib/index.js"}',
        'node_modules/json-stringify-deterministic/lib/index.js': "const util = require('util'); const defaults = require('./defaults.json'); module.exports = (o) => JSON.stringify(o, Object.keys(o).sort(), defaults.space) + typeof util.inspect;",
        'node_modules/json-stringify-deterministic/lib/defaults.json': '{"space":0}',
      }),
    );
    expect(js.bundle).toContain('node_modules/json-stringify-deterministic/lib/index.js');
    const dir = path.join(EXAMPLES, 'asset-transfer');
    const tsFiles: Record<string, string> = { 'package.json': fs.readFileSync(path.join(dir, 'package.json'), 'utf8'), 'tsconfig.json': fs.readFileSync(path.join(dir, 'tsconfig.json'), 'utf8') };
    for (const f of fs.readdirSync(path.join(dir, 'src'))) tsFiles[`src/${f}`] = fs.readFileSync(path.join(dir, 'src', f), 'utf8');
    const ts = await bundleFabricPackage(await fabricPackage(tsFiles));
    expect(ts.bundle).toContain('__metadata("design:paramtypes"');
  });
});

describe('PackageConfinement.checkInputs, the check after the build', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-confined-'));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  const work = path.join(root, 'src');
  const input = (imports: Metafile['inputs'][string]['imports'], extra: Partial<Metafile['inputs'][string]> = {}): Metafile['inputs'][string] => ({ bytes: 1, imports, ...extra });

  test('passes inputs inside the package, Weft modules it was mapped to, and stand-ins', () => {
    const c = new PackageConfinement(root);
    const weftFile = path.join(__dirname, 'stub.ts');
    c.mapped(weftFile);
    const meta: Metafile = {
      inputs: {
        'index.js': input([
          { path: 'lib/a.js', kind: 'require-call', original: './lib/a.js' },
          { path: path.relative(work, weftFile), kind: 'require-call', original: 'fabric-shim' },
          { path: 'weft-unavailable-builtin:fs', kind: 'require-call', original: 'fs' },
          { path: 'optional-dep', kind: 'require-call', external: true },
        ]),
        'lib/a.js': input([]),
        [path.relative(work, weftFile)]: input([{ path: '../../../elsewhere.js', kind: 'import-statement' }]),
      },
      outputs: {},
    };
    expect(() => c.checkInputs(meta, work, ['weft-unavailable-builtin'])).not.toThrow();
  });

  test('refuses an input reaching outside, a foreign attribute and a file that is not code', () => {
    const c = new PackageConfinement(root);
    const check = (inputs: Metafile['inputs']): unknown => {
      try {
        c.checkInputs({ inputs, outputs: {} }, work, []);
        return undefined;
      } catch (err) {
        return err;
      }
    };
    expect(check({ 'index.js': input([{ path: '../../etc/passwd.js', kind: 'require-call', original: '/etc/passwd.js' }]) })).toMatchObject({
      code: 'CHAINCODE_FORBIDDEN_IMPORT',
      message: 'src/index.js imports "/etc/passwd.js", which resolved outside the package',
    });
    expect(check({ 'key.js': input([], { with: { type: 'bytes' } }) })).toMatchObject({ code: 'CHAINCODE_FORBIDDEN_IMPORT', details: { attribute: 'type', value: 'bytes' } });
    expect(check({ 'style.css': input([]) })).toMatchObject({ code: 'CHAINCODE_FORBIDDEN_IMPORT', message: expect.stringContaining('a .css file') });
  });
});
