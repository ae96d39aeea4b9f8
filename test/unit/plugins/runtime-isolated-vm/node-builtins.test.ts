import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import type { ChaincodeLogEntry } from '../../../../core/chaincode/chaincode-runtime';
import { packageChaincode } from '../../../../core/chaincode/packager';
import { IsolatedVmRuntime } from '../../../../plugins/runtime-isolated-vm';
import { MemoryWorld } from '../../core/chaincode/memory-simulator';
import { creator } from '../../core/chaincode/fixtures';

const FIXTURE = path.join(__dirname, 'fixtures', 'node-builtins');
const WINSTON = path.join(__dirname, 'fixtures', 'winston');

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

  test("process is a bundler's shim (browser, empty env, nextTick as a microtask), os and tty browserify's constants, setImmediate a microtask; nothing of the host's shows", async () => {
    expect(await inSandbox('globals')).toEqual({
      self: true,
      browser: true,
      env: {},
      argv: [],
      version: '',
      versions: {},
      cwd: '/',
      chained: true,
      order: ['sync', 'tick 12', 'promise', 'immediate x'],
      refused: [
        'Error: process.chdir is not available in chaincode',
        "Error: process.binding('fs') is not available in chaincode",
        'TypeError: The "callback" argument must be of type function',
        'Error: tty.WriteStream is not available in chaincode: it has no terminal',
        'TypeError: The "callback" argument must be of type function',
      ],
      escape: [],
      immediate: true,
      // The same on every peer: nothing of the host's shows.
      os: ['\n', 'browser', 'javascript', '', [], {}, 0, '/', '/tmp'],
      tty: [false, false],
      timers: ['undefined', 'undefined'],
    });
  });

  test('a contract logging through winston (os, tty and setImmediate as it loads and logs) writes to the chaincode log', async () => {
    const built = await packageChaincode({ projectDir: WINSTON, label: 'winston' });
    const { packageId: id } = await rt.install(built.packageBytes);
    const entries: ChaincodeLogEntry[] = [];
    const world = new MemoryWorld();
    const r = await rt.invoke(
      id,
      { chaincodeName: 'assets', channelId: 'c', txId: 'tx-w', args: [Buffer.from('Create'), Buffer.from('a1')], creator: creator('user1'), timestamp: { seconds: 1_700_000_000, nanos: 0 }, mspId: 'Org1MSP' },
      { simulator: world.simulator('tx-w'), invokeChaincode: () => ({ status: 200, message: '', payload: new Uint8Array(0) }), log: { level: 'debug', write: (e) => void entries.push(e) } },
    );
    expect(r.response).toMatchObject({ status: 200, message: '' });
    expect(Buffer.from(r.response.payload).toString()).toBe('a1');
    expect(entries.map((e) => [e.level, e.logger, JSON.parse(e.message) as unknown])).toEqual([
      ['info', 'console', { level: 'info', message: 'creating asset', id: 'a1', label: 'assets' }],
      ['info', 'console', { level: 'warn', message: 'low stock', id: 'a1', label: 'assets' }],
    ]);
  });
});
