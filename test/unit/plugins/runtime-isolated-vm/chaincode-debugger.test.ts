import * as fs from 'node:fs';
import * as path from 'node:path';
import { originalPositionFor, TraceMap } from '@jridgewell/trace-mapping';
import type { ChaincodeInvocation, RuntimeSupport } from '../../../../core/chaincode/chaincode-runtime';
import { packageChaincode } from '../../../../core/chaincode/packager';
import { ConfigError } from '../../../../core/errors';
import { findFreePorts } from '../../../../cli/services/free-ports';
import { IsolatedVmRuntime } from '../../../../plugins/runtime-isolated-vm';
import { CdpClient } from '../../../support/cdp-client';
import { invocationOf } from '../../core/chaincode/fixtures';
import { MemoryWorld } from '../../core/chaincode/memory-simulator';

const FIXTURE = path.join(__dirname, 'fixtures', 'debuggable');
/** Short, so that a pause at the breakpoint lasts several times the limit. */
const TIMEOUT_MS = 300;
/** The statement of fixtures/debuggable/src/pricing.ts the breakpoint goes on. */
const BREAK_AT = 'const net = gross - discount;';

const inv = (txId: string, args: readonly string[]): ChaincodeInvocation => invocationOf('orders', txId, args);

function support(world: MemoryWorld, txId: string): RuntimeSupport {
  return { simulator: world.simulator(txId), invokeChaincode: () => ({ status: 500, message: 'no calls here', payload: new Uint8Array(0) }) };
}

interface ListedTarget {
  readonly id: string;
  readonly title: string;
  readonly type: string;
  readonly url: string;
  readonly webSocketDebuggerUrl: string;
  readonly devtoolsFrontendUrl: string;
}

async function listTargets(port: number): Promise<ListedTarget[]> {
  const res = await fetch(`http://127.0.0.1:${port}/json/list`);
  expect(res.status).toBe(200);
  return (await res.json()) as ListedTarget[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Debug mode: a DevTools client finds each chaincode at `/json/list`, sets a breakpoint where the
 * source map puts a line of the project's TypeScript, and the transaction stops there, shows its
 * variables, and completes once resumed, however long past its time limit it was paused, while
 * the peer's event loop and other chaincode carry on.
 */
describe('chaincode debugging over the Chrome DevTools Protocol', () => {
  let packages: Uint8Array[];
  /** The statement's line in the bundle, 0-based as the protocol counts. */
  let breakLine: number;
  let port: number;
  beforeAll(async () => {
    packages = [];
    for (const n of [1, 2]) {
      const built = await packageChaincode({ projectDir: FIXTURE, label: `orders_${n}` });
      packages.push(built.packageBytes);
      breakLine = built.bundle.split('\n').findIndex((line) => line.includes(BREAK_AT));
    }
    port = await findFreePorts(1);
  }, 60_000);

  test('a breakpoint in the TypeScript source pauses the transaction past its time limit; evaluate, resume, and it completes', async () => {
    const rt = new IsolatedVmRuntime({ timeoutMs: TIMEOUT_MS, inspector: { port } });
    let client: CdpClient | undefined;
    try {
      expect(await rt.inspectorAddress()).toEqual({ host: '127.0.0.1', port });
      const { packageId } = await rt.install(packages[0]!);
      const other = (await rt.install(packages[1]!)).packageId;
      const world = new MemoryWorld();
      const seed = world.simulator('seed');
      seed.setState('orders', 'discount', Buffer.from('2'));
      world.commit(seed);

      const targets = await listTargets(port);
      // Newest first: a client that attaches to the port without choosing gets the last install.
      expect(targets.map((t) => t.title)).toEqual([`chaincode ${other}`, `chaincode ${packageId}`]);
      const target = targets[1]!;
      const scriptUrl = `chaincode:///${packageId}/weft-bundle.js`;
      expect(target).toMatchObject({ type: 'node', url: scriptUrl, webSocketDebuggerUrl: `ws://127.0.0.1:${port}/${target.id}` });
      expect(target.devtoolsFrontendUrl).toBe(`devtools://devtools/bundled/js_app.html?experiments=true&v8only=true&ws=127.0.0.1:${port}/${target.id}`);

      client = await CdpClient.connect(target.webSocketDebuggerUrl);
      await client.send('Debugger.enable');
      const parsed = await client.next('Debugger.scriptParsed');
      expect(parsed.params.url).toBe(scriptUrl);
      const sourceMapUrl = parsed.params.sourceMapURL as string;
      expect(sourceMapUrl).toMatch(/^data:application\/json;charset=utf-8;base64,/);
      const map = new TraceMap(Buffer.from(sourceMapUrl.slice(sourceMapUrl.indexOf(',') + 1), 'base64').toString('utf8'));
      const pricingTs = 'chaincode:///src/pricing.ts';
      expect(map.sources).toEqual(expect.arrayContaining([pricingTs, 'chaincode:///src/index.ts']));

      expect(breakLine).toBeGreaterThan(0);
      const set = await client.send('Debugger.setBreakpointByUrl', { urlRegex: 'weft-bundle\\.js$', lineNumber: breakLine });
      expect(set.locations).toHaveLength(1);

      const mark = client.events.length;
      let settled = false;
      const running = rt.invoke(packageId, inv('tx-debug', ['Price', '7', '6']), support(world, 'tx-debug')).finally(() => (settled = true));
      const paused = await client.next('Debugger.paused', mark);
      const frame = (paused.params.callFrames as { callFrameId: string; functionName: string; location: { lineNumber: number; columnNumber: number } }[])[0]!;
      expect(frame.functionName).toBe('priceOf');
      expect(frame.location.lineNumber).toBe(breakLine);
      // The project's file and line, where DevTools shows the pause (the packager chains the
      // TypeScript compiler's map into the bundle's).
      const tsLine = fs.readFileSync(path.join(FIXTURE, 'src', 'pricing.ts'), 'utf8').split('\n').findIndex((l) => l.includes(BREAK_AT)) + 1;
      expect(originalPositionFor(map, { line: frame.location.lineNumber + 1, column: frame.location.columnNumber })).toMatchObject({ source: pricingTs, line: tsLine });

      // Paused: the peer's event loop runs, and another chaincode's host calls are served.
      const otherResult = await rt.invoke(other, inv('tx-other', ['Discount']), support(world, 'tx-other'));
      expect(otherResult.response.status).toBe(200);
      expect(Buffer.from(otherResult.response.payload).toString()).toBe('2');

      const gross = await client.send('Debugger.evaluateOnCallFrame', { callFrameId: frame.callFrameId, expression: 'gross' });
      expect(gross.result).toMatchObject({ type: 'number', value: 42 });
      const discount = await client.send('Debugger.evaluateOnCallFrame', { callFrameId: frame.callFrameId, expression: 'discount' });
      expect(discount.result).toMatchObject({ type: 'number', value: 2 });

      // Stopped for several times the time limit: the limit counts running time only.
      await sleep(TIMEOUT_MS * 4);
      expect(settled).toBe(false);
      await client.send('Debugger.resume');
      const result = await running;
      expect(result.response.status).toBe(200);
      expect(Buffer.from(result.response.payload).toString()).toBe('40');
    } finally {
      await client?.close();
      await rt.close();
    }
  }, 60_000);

  test('a call from other chaincode runs beside the debugged sandbox, never stopping at its breakpoints (it runs on the thread that relays the debugger)', async () => {
    const rt = new IsolatedVmRuntime({ timeoutMs: TIMEOUT_MS, inspector: { port } });
    let client: CdpClient | undefined;
    try {
      const { packageId } = await rt.install(packages[0]!);
      const world = new MemoryWorld();
      client = await CdpClient.connect((await listTargets(port))[0]!.webSocketDebuggerUrl);
      await client.send('Debugger.enable');
      await client.send('Debugger.setBreakpointByUrl', { urlRegex: 'weft-bundle\\.js$', lineNumber: breakLine });
      const r = rt.invokeSync(packageId, inv('tx-nested', ['Price', '3', '2']), support(world, 'tx-nested'));
      expect(r.response.status).toBe(200);
      expect(Buffer.from(r.response.payload).toString()).toBe('6');
      expect(client.events.filter((e) => e.method === 'Debugger.paused')).toEqual([]);
      expect(rt.sandboxCount(packageId)).toBe(2);
    } finally {
      await client?.close();
      await rt.close();
    }
  }, 60_000);

  test('a transaction that runs past its time limit while no breakpoint stops it still times out', async () => {
    const rt = new IsolatedVmRuntime({ timeoutMs: TIMEOUT_MS, inspector: { port } });
    try {
      await rt.inspectorAddress();
      const spin = await packageChaincode({ projectDir: path.join(__dirname, 'fixtures', 'off-loop'), label: 'spin_1' });
      const { packageId } = await rt.install(spin.packageBytes);
      const r = await rt.invoke(packageId, { ...inv('tx-spin', ['Spin']), chaincodeName: 'offloop' }, support(new MemoryWorld(), 'tx-spin'));
      expect(r.response).toMatchObject({ status: 500, message: `timeout expired while executing transaction (limit ${TIMEOUT_MS} ms)` });
    } finally {
      await rt.close();
    }
  }, 60_000);

  test('uninstalling takes the chaincode off the list and ends its DevTools connections; closing the runtime closes the port', async () => {
    const rt = new IsolatedVmRuntime({ inspector: { port } });
    try {
      const { packageId } = await rt.install(packages[0]!);
      const [target] = await listTargets(port);
      expect(target?.title).toBe(`chaincode ${packageId}`);
      const client = await CdpClient.connect(target!.webSocketDebuggerUrl);
      await client.send('Debugger.enable');
      await rt.uninstall(packageId);
      await client.closed;
      expect(await listTargets(port)).toEqual([]);
    } finally {
      await rt.close();
    }
    await expect(fetch(`http://127.0.0.1:${port}/json/list`)).rejects.toThrow();
  }, 60_000);

  test('without the option there is no inspector; a host other machines reach is refused unless allowed', async () => {
    const plain = new IsolatedVmRuntime();
    expect(await plain.inspectorAddress()).toBeUndefined();
    await plain.close();
    expect(() => new IsolatedVmRuntime({ inspector: { host: '0.0.0.0', port } })).toThrow(ConfigError);
    expect(() => new IsolatedVmRuntime({ inspector: { host: '0.0.0.0', port } })).toThrow(/inspector\.host is "0\.0\.0\.0", an address other machines may reach/);
    const allowed = new IsolatedVmRuntime({ inspector: { host: '0.0.0.0', port, allowRemote: true } });
    expect(await allowed.inspectorAddress()).toMatchObject({ port });
    await allowed.close();
  });
});
