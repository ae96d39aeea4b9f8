import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openAddon } from '../../../plugins/ledger-sqlite/icu-root-collator';

/**
 * native/icu-collation's install step, run for real on a copy of the addon's folder: the committed
 * prebuilt binary serves when it loads (no compiler needed), and a build from source of the C file
 * beside it gives the same sort keys, so the binary in git cannot silently drift from its source.
 */
const SOURCE = path.resolve(__dirname, '../../../native/icu-collation');
const PREBUILT = path.join('prebuilds', `${process.platform}-${process.arch}`, 'icu_collation.node');
const BUILT = path.join('build', 'Release', 'icu_collation.node');

/** Headers of the running Node for node-gyp (offline: it must not try to download them); scripts/with-node.sh names them. */
function nodeHeaders(): string {
  const root = process.env.WEFT_NODE_HEADERS ?? path.dirname(path.dirname(process.execPath));
  if (!fs.existsSync(path.join(root, 'include', 'node', 'node_api.h'))) throw new Error(`no Node headers under ${root}/include/node: run through scripts/with-node.sh`);
  return root;
}

/** npm's own node-gyp, which npm puts on PATH for lifecycle scripts. */
function nodeGypBin(): string {
  const npmCli = process.env.npm_execpath;
  if (npmCli === undefined) throw new Error('run the tests through npm (npm test / npx jest): npm_execpath names npm, whose node-gyp builds the addon');
  return path.join(path.dirname(path.dirname(npmCli)), 'node_modules', '@npmcli', 'run-script', 'lib', 'node-gyp-bin');
}

function install(dir: string, env: Record<string, string> = {}): ReturnType<typeof spawnSync> {
  return spawnSync(process.execPath, [path.join(dir, 'install.js')], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, PATH: `${nodeGypBin()}${path.delimiter}${process.env.PATH ?? ''}`, npm_config_nodedir: nodeHeaders(), ...env },
  });
}

describe('ICU collation addon install', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-icu-install-'));
    for (const f of ['binding.gyp', 'icu_collation.c', 'install.js']) fs.copyFileSync(path.join(SOURCE, f), path.join(dir, f));
    fs.mkdirSync(path.dirname(path.join(dir, PREBUILT)), { recursive: true });
    fs.copyFileSync(path.join(SOURCE, PREBUILT), path.join(dir, PREBUILT));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('uses the prebuilt binary without compiling, and removes a build that would shadow it', () => {
    fs.mkdirSync(path.dirname(path.join(dir, BUILT)), { recursive: true });
    fs.writeFileSync(path.join(dir, BUILT), 'stale');
    // No compiler reachable: PATH holds node-gyp's wrapper only, so any build attempt would fail.
    const run = install(dir, { PATH: nodeGypBin() });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(fs.existsSync(path.join(dir, 'build'))).toBe(false);
  });

  it('builds from source when asked, giving the prebuilt binary\'s sort keys and collator version', () => {
    const run = install(dir, { WEFT_BUILD_FROM_SOURCE: '1' });
    expect(run.status).toBe(0);
    const built = openAddon(path.join(dir, BUILT));
    const prebuilt = openAddon(path.join(dir, PREBUILT));
    expect(built.version).toBe(prebuilt.version);
    const samples = ['', 'a', 'A', 'á', 'b', 'Zed', 'alice', 'Bob', '日本語', '😀', 'e\u0301', 'é', '-1', '10', '9'];
    for (const s of samples) expect(built.addon.sortKey(s).toString('hex')).toBe(prebuilt.addon.sortKey(s).toString('hex'));
  });

  it('falls back to building from source when no prebuilt binary loads', () => {
    fs.writeFileSync(path.join(dir, PREBUILT), 'not an ELF file');
    const run = install(dir);
    expect(run.status).toBe(0);
    const { addon } = openAddon(path.join(dir, BUILT));
    // ICU's order, not code-point order: lowercase before uppercase, both before the next letter.
    expect(['b', 'A', 'a'].sort((x, y) => Buffer.compare(addon.sortKey(x), addon.sortKey(y)))).toEqual(['a', 'A', 'b']);
  });
});
