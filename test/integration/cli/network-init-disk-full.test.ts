import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TmpfsNamespace } from '../../e2e/tmpfs-namespace';

const ROOT = path.resolve(__dirname, '../../..');

/**
 * `weft network init` into a directory whose filesystem is full (a small tmpfs in a user
 * namespace): a typed TARGET_WRITE_FAILED naming the target, the file and ENOSPC, and nothing left
 * behind (Node's own error, "ENOSPC: no space left on device, write", named neither).
 */
describe('weft network init on a full disk', () => {
  let tmp: string;
  let ns: TmpfsNamespace | undefined;
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-init-full-'));
    ns = await TmpfsNamespace.create([{ dir: path.join(tmp, 'fs'), sizeKiB: 600 }]);
  });
  afterAll(() => {
    ns?.destroy();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('fails with TARGET_WRITE_FAILED naming the directory and ENOSPC, leaving nothing behind', () => {
    const mount = path.join(tmp, 'fs');
    ns!.fill(mount, 40);
    const target = path.join(mount, 'net');
    const script = `
      const { initNetwork, DEFAULT_INIT_OPTIONS } = require(${JSON.stringify(path.join(ROOT, 'cli/services/network/network-init.ts'))});
      initNetwork(${JSON.stringify(target)}, { ...DEFAULT_INIT_OPTIONS, basePort: 23000 }).then(
        () => console.log(JSON.stringify({ ok: true })),
        (e) => console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message, details: e.details })),
      );
    `;
    const out = ns!.run(`cd '${ROOT}' && SWC_NATIVE_BINDING_CACHE_SKIP_SECURITY_CHECK=1 '${process.execPath}' --no-node-snapshot -r '${path.join(ROOT, 'test/support/ts-register.js')}' -e '${script.replace(/'/g, `'\\''`)}'`);
    const result = JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
    expect(result).toMatchObject({
      name: 'ConfigError',
      code: 'TARGET_WRITE_FAILED',
      message: expect.stringMatching(new RegExp(`^cannot write ${target}( \\(writing ${target}/.+\\))?: no space left on device: free space on that filesystem or choose a directory on another one \\(ENOSPC\\); nothing was left behind$`)) as unknown,
      details: { target, errno: 'ENOSPC' },
    });
    expect(ns!.run(`ls -A '${mount}'`).trim()).toBe('.filler');
  }, 60_000);
});
