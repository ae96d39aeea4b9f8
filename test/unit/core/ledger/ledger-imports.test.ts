import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

describe('core/ledger imports', () => {
  it('loads neither better-sqlite3, isolated-vm nor grpc', () => {
    const root = path.resolve(__dirname, '../../../..');
    const script = "require('./core/ledger'); process.stdout.write(JSON.stringify(Object.keys(require.cache).filter((p) => /better-sqlite3|isolated-vm|grpc-js/.test(p))))";
    const out = spawnSync(process.execPath, ['--no-node-snapshot', '-r', './test/integration/ledger/fixtures/swc-register.js', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(out.stderr).toBe('');
    expect(JSON.parse(out.stdout)).toEqual([]);
  });
});
