import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

const repo = path.resolve(__dirname, '../../..');

/** Loads `entry` in a fresh node process and returns every package directory it required. */
function packagesLoadedBy(entry: string): string[] {
  const script = `
    require(${JSON.stringify(entry)});
    const seen = new Set();
    for (const file of Object.keys(require.cache)) {
      const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(file);
      if (m) seen.add(m[1]);
    }
    process.stdout.write(JSON.stringify([...seen]));
  `;
  const out = execFileSync(
    process.execPath,
    ['--no-node-snapshot', '-r', path.join(repo, 'test/support/ts-register.js'), '-e', script],
    { cwd: repo, encoding: 'utf8' },
  );
  return JSON.parse(out) as string[];
}

describe('core stays light', () => {
  it('importing core/ loads no native addon and no gRPC stack', () => {
    const loaded = packagesLoadedBy(path.join(repo, 'core/index.ts'));
    expect(loaded).toContain('reflect-metadata');
    expect(loaded).not.toContain('better-sqlite3');
    expect(loaded).not.toContain('isolated-vm');
    expect(loaded).not.toContain('@grpc/grpc-js');
  });

  it('the same probe does see a native addon when one is imported', () => {
    // Guards the probe itself: if require.cache stopped reflecting loads, the test above would pass vacuously.
    const loaded = packagesLoadedBy('better-sqlite3');
    expect(loaded).toContain('better-sqlite3');
  });
});
