import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const REGISTER = path.join(__dirname, '..', '..', '..', 'support', 'ts-register.js');
const HOSTILE = path.join(__dirname, '..', '..', '..', '..', 'chaincode-examples', 'hostile');

// Installs the hostile example in a fresh runtime and prints what its Locale and Clock transactions answer.
const script = `
const { packageChaincode } = require('./core/chaincode/packager');
const { IsolatedVmRuntime } = require('./plugins/runtime-isolated-vm');
const { MemoryWorld } = require('./test/unit/core/chaincode/memory-simulator');
const { creator } = require('./test/unit/core/chaincode/fixtures');
(async () => {
  const rt = new IsolatedVmRuntime({ timeoutMs: 10000 });
  const { packageId } = await rt.install((await packageChaincode({ projectDir: ${JSON.stringify(HOSTILE)}, label: 'hostile_1' })).packageBytes);
  const out = {};
  for (const fn of ['Locale', 'Clock']) {
    const world = new MemoryWorld();
    const inv = { chaincodeName: 'hostile', channelId: 'ch', txId: 'tx-1', args: [Buffer.from(fn)], creator: creator('user1'), timestamp: { seconds: 1700000000, nanos: 123000000 }, mspId: 'Org1MSP' };
    const r = await rt.invoke(packageId, inv, { simulator: world.simulator('tx-1'), invokeChaincode: () => ({ status: 500, message: '', payload: new Uint8Array(0) }) });
    out[fn] = JSON.parse(Buffer.from(r.response.payload).toString());
  }
  await rt.close();
  process.stdout.write(JSON.stringify(out));
})();
`;

function endorse(env: Record<string, string>): { Locale: Record<string, unknown>; Clock: Record<string, unknown> } {
  const run = spawnSync(process.execPath, ['--no-node-snapshot', '-r', REGISTER, '-e', script], {
    cwd: path.join(__dirname, '..', '..', '..', '..'),
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (run.status !== 0) throw new Error(`child failed (${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout) as ReturnType<typeof endorse>;
}

/**
 * Endorsers whose hosts differ only in time zone and locale must answer alike: Fabric's chaincode
 * containers come from one image. Each peer runs chaincode in its own process, so children.
 */
describe("the host's time zone and locale do not reach chaincode", () => {
  it('answers the same in Tokyo under a German locale as in New York under a Turkish one', () => {
    const a = endorse({ TZ: 'Asia/Tokyo', LANG: 'de_DE.UTF-8', LC_ALL: 'de_DE.UTF-8' });
    const b = endorse({ TZ: 'America/New_York', LANG: 'tr_TR.UTF-8', LC_ALL: 'tr_TR.UTF-8' });
    expect(a).toEqual(b);
    expect(a.Locale).toEqual({
      locale: 'en-US',
      timeZone: 'UTC',
      parsed: [1704067200000, 1704067200000],
      number: '1,234,567.891',
      date: '1/1/1970, 12:00:00 AM',
      dateNoZone: '12:00:00 AM',
      upper: 'I',
      sorted: ['a', 'å', 'ä', 'z', 'Z'],
      list: 'a and b',
      sameCtor: true,
    });
    // The real Date constructor, reached through an instance, reads the transaction's time too.
    expect(a.Clock.viaConstructor).toBe(1_700_000_000_123);
  }, 120_000);
});
