import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '../../..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { sourceFingerprint, SOURCES } = require(path.join(REPO, 'bin', 'manifest-cache.js')) as {
  sourceFingerprint: (root: string, oclifVersion: string, sources?: unknown) => string;
  SOURCES: Record<'dev' | 'built', unknown>;
};

/** Runs `bin/dev.js args` and reports, beside its output, how many command modules (cli/commands/**) it loaded. */
function weft(args: string[]): { status: number | null; stdout: string; commandModules: number } {
  const probe = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'weft-probe-')), 'probe.js');
  const commands = `${path.sep}cli${path.sep}commands${path.sep}`;
  fs.writeFileSync(probe, `process.on('exit', () => process.stderr.write('\\ncommand-modules ' + Object.keys(require.cache).filter((f) => f.includes(${JSON.stringify(commands)})).length + '\\n'));`);
  try {
    const r = spawnSync(process.execPath, ['--no-node-snapshot', '-r', probe, path.join(REPO, 'bin', 'dev.js'), ...args], { encoding: 'utf8', cwd: REPO });
    return { status: r.status, stdout: r.stdout, commandModules: Number(/command-modules (\d+)/.exec(r.stderr)?.[1]) };
  } finally {
    fs.rmSync(path.dirname(probe), { recursive: true, force: true });
  }
}

/**
 * oclif without a manifest loads all ~45 command modules (and the code base behind them) before it
 * runs any: bin/dev.js (and bin/run.js, over dist/) keeps the manifest it builds in
 * node_modules/.cache, keyed by the code files.
 */
describe('the CLI from the sources keeps its command manifest', () => {
  it('loads no command module for --version or help, and only its own to run a command, once the manifest is cached', () => {
    expect(weft(['--version']).status).toBe(0); // builds the manifest if these sources have none yet
    expect(weft(['--version'])).toMatchObject({ status: 0, commandModules: 0 });
    const help = weft(['network', 'add-user', '--help']);
    expect(help).toMatchObject({ status: 0, commandModules: 0 });
    expect(help.stdout).toContain('--org=<value>');
    const missing = path.join(os.tmpdir(), 'weft-no-such-network');
    const run = weft(['network', 'status', missing, '--json']);
    expect(run.status).not.toBe(0);
    expect(run.stdout).toContain(missing);
    expect(run.commandModules).toBe(1);
  });

  it('keys the manifest by every code file (.ts under cli/, core/, plugins/; .js under dist/ for the compiled CLI): a changed or added one gives another key', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-manifest-'));
    try {
      fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ version: '1.0.0' }));
      for (const dir of ['cli/commands', 'core', 'plugins/p']) fs.mkdirSync(path.join(root, dir), { recursive: true });
      const command = path.join(root, 'cli/commands/run.ts');
      fs.writeFileSync(command, 'export default 1;');
      const first = sourceFingerprint(root, '5.0.0');
      expect(sourceFingerprint(root, '5.0.0')).toBe(first);
      expect(sourceFingerprint(root, '5.0.1')).not.toBe(first);
      fs.writeFileSync(path.join(root, 'plugins/p/notes.md'), 'not a source');
      expect(sourceFingerprint(root, '5.0.0')).toBe(first);
      fs.writeFileSync(path.join(root, 'core/flags.ts'), 'export const a = 1;');
      const added = sourceFingerprint(root, '5.0.0');
      expect(added).not.toBe(first);
      fs.writeFileSync(command, 'export default 22;');
      expect(sourceFingerprint(root, '5.0.0')).not.toBe(added);
      // The compiled CLI's key: the .js files under dist/ only.
      fs.mkdirSync(path.join(root, 'dist/cli'), { recursive: true });
      const built = sourceFingerprint(root, '5.0.0', SOURCES.built);
      fs.writeFileSync(command, 'export default 333;');
      expect(sourceFingerprint(root, '5.0.0', SOURCES.built)).toBe(built);
      fs.writeFileSync(path.join(root, 'dist/cli/run.js'), 'exports.default = 1;');
      expect(sourceFingerprint(root, '5.0.0', SOURCES.built)).not.toBe(built);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
