import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { packageChaincode } from '../../../../core/chaincode/packager';
import { IsolatedVmRuntime } from '../../../../plugins/runtime-isolated-vm';
import { MemoryWorld } from '../../core/chaincode/memory-simulator';
import { creator } from '../../core/chaincode/fixtures';

const FIXTURE = path.join(__dirname, 'fixtures', 'node-builtins');

describe("Node built-ins in the sandbox behave as Node's own", () => {
  const rt = new IsolatedVmRuntime({ timeoutMs: 10_000 });
  afterAll(() => rt.close());

  let packageId: string | undefined;

  async function inSandbox(fcn = 'probe'): Promise<unknown> {
    if (packageId === undefined) {
      const built = await packageChaincode({ projectDir: FIXTURE, label: 'node-builtins' });
      expect(built.warnings).toEqual([]);
      packageId = (await rt.install(built.packageBytes)).packageId;
    }
    const world = new MemoryWorld();
    const r = await rt.invoke(
      packageId,
      { chaincodeName: 'node-builtins', channelId: 'c', txId: 'tx-1', args: [Buffer.from(fcn)], creator: creator('user1'), timestamp: { seconds: 1_700_000_000, nanos: 0 }, mspId: 'Org1MSP' },
      { simulator: world.simulator('tx-1'), invokeChaincode: () => ({ status: 200, message: '', payload: new Uint8Array(0) }) },
    );
    expect(r.response.message).toBe('');
    return JSON.parse(Buffer.from(r.response.payload).toString('utf8')) as unknown;
  }

  test('events, stream, path, string_decoder, punycode, url, URL, URLSearchParams and assert give the results Node gives', async () => {
    // In a Node process of its own: under jest, errors made in the test's realm fail Node's `instanceof Error`.
    const script = `require(${JSON.stringify(path.join(FIXTURE, 'probe.js'))}).probeBuiltins().then((r) => process.stdout.write(JSON.stringify(r)))`;
    const inNode = JSON.parse(execFileSync(process.execPath, ['--no-deprecation', '-e', script], { encoding: 'utf8' })) as unknown;
    expect(await inSandbox()).toEqual(inNode);
  });

  test("process is a bundler's shim (browser, empty env, nextTick as a microtask) with nothing of the host's; self is the global object", async () => {
    expect(await inSandbox('globals')).toEqual({
      self: true,
      browser: true,
      env: {},
      argv: [],
      version: '',
      versions: {},
      cwd: '/',
      chained: true,
      order: ['sync', 'tick 12', 'promise'],
      refused: [
        'Error: process.chdir is not available in chaincode',
        "Error: process.binding('fs') is not available in chaincode",
        'TypeError: The "callback" argument must be of type function',
      ],
      escape: [],
    });
  });
});
