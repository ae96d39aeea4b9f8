import * as path from 'node:path';
import { Registry } from 'prom-client';
import type { RuntimeSupport } from '../../../../core/chaincode/chaincode-runtime';
import { packageChaincode } from '../../../../core/chaincode/packager';
import { ChaincodeMetrics } from '../../../../core/peer/chaincode-metrics';
import { IsolatedVmRuntime } from '../../../../plugins/runtime-isolated-vm';
import { labelSets, sample } from '../../../support/prometheus-text';
import { invocationOf } from '../../core/chaincode/fixtures';
import { MemoryWorld } from '../../core/chaincode/memory-simulator';

const FIXTURE = path.join(__dirname, 'fixtures', 'off-loop');
const USED = 'weft_chaincode_sandbox_heap_used_bytes';
const TOTAL = 'weft_chaincode_sandbox_heap_total_bytes';
const ISOLATES = 'weft_chaincode_sandbox_isolates';

const support = (): RuntimeSupport => ({ simulator: new MemoryWorld().simulator(), invokeChaincode: () => ({ status: 500, message: 'no calls here', payload: new Uint8Array(0) }) });
const echo = (rt: IsolatedVmRuntime, id: string, tag: string) => rt.invoke(id, invocationOf('offloop', tag, ['Echo', tag, '1', '10']), support());

/**
 * The chaincode sandboxes' V8 heaps on the peer's metrics registry: isolated-vm's isolates are
 * outside `process.memoryUsage()`, so without these an operator cannot see what chaincode holds.
 * Real isolated-vm, the registry the operations server serves.
 */
describe('chaincode sandbox heap gauges', () => {
  let packages: Uint8Array[];
  let rt: IsolatedVmRuntime;
  let registry: Registry;

  beforeAll(async () => {
    packages = await Promise.all(['heap_a', 'heap_b'].map(async (label) => (await packageChaincode({ projectDir: FIXTURE, label })).packageBytes));
  }, 60_000);

  beforeEach(() => {
    rt = new IsolatedVmRuntime({ sandboxesPerChaincode: 2, loadedChaincodes: 1, timeoutMs: 1500 });
    registry = new Registry();
    new ChaincodeMetrics(registry, rt);
  });
  afterEach(() => rt.close());

  test("each loaded package's isolates and their heaps, summed over its sandboxes", async () => {
    const id = (await rt.install(packages[0])).packageId;
    const one = await registry.metrics();
    expect(sample(one, ISOLATES, { chaincode: id })).toBe(1);
    const used = sample(one, USED, { chaincode: id });
    const total = sample(one, TOTAL, { chaincode: id });
    // The bundle (fabric-contract-api and its dependencies) is evaluated in the isolate: well over 100 KiB.
    expect(used).toBeGreaterThan(100 * 1024);
    expect(total).toBeGreaterThanOrEqual(used);

    // Two at once: the package's second sandbox starts, with an isolate and a heap of its own.
    await Promise.all([echo(rt, id, 'a'), echo(rt, id, 'b')]);
    expect(rt.sandboxCount(id)).toBe(2);
    const two = await registry.metrics();
    expect(sample(two, ISOLATES, { chaincode: id })).toBe(2);
    expect(sample(two, TOTAL, { chaincode: id })).toBeGreaterThan(total + 100 * 1024);
    expect(sample(two, USED, { chaincode: id })).toBeGreaterThan(used + 100 * 1024);
  }, 60_000);

  test('a package unloaded or uninstalled leaves the gauges at the next scrape', async () => {
    const a = (await rt.install(packages[0])).packageId;
    expect(labelSets(await registry.metrics(), USED)).toEqual([{ chaincode: a }]);
    // loadedChaincodes 1: installing the second unloads the first, idle, package.
    const b = (await rt.install(packages[1])).packageId;
    expect(labelSets(await registry.metrics(), USED)).toEqual([{ chaincode: b }]);
    await rt.uninstall(b);
    const none = await registry.metrics();
    for (const name of [USED, TOTAL, ISOLATES]) expect(labelSets(none, name)).toEqual([]);
  }, 60_000);

  test('a scrape during a transaction does not wait for it: it gives the heap last read, keeping the event loop free', async () => {
    const id = (await rt.install(packages[0])).packageId;
    const before = sample(await registry.metrics(), USED, { chaincode: id });
    const order: string[] = [];
    const spin = rt.invoke(id, invocationOf('offloop', 'spin', ['Spin']), support()).then(() => order.push('spin ended'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const scrape = registry.metrics().then((text) => {
      order.push('scraped');
      return text;
    });
    // A synchronous read would hold the event loop until the spin's time limit: this timer would fire after both.
    await new Promise((resolve) => setTimeout(resolve, 50)).then(() => order.push('timer'));
    const text = await scrape;
    await spin;
    // The spin runs to its 1.5 s limit; a scrape waiting for the isolate would come after it (an operator's scrape times out).
    expect([...order].sort()).toEqual(['scraped', 'spin ended', 'timer']);
    expect(order[2]).toBe('spin ended');
    expect(sample(text, ISOLATES, { chaincode: id })).toBe(1);
    expect(sample(text, USED, { chaincode: id })).toBe(before);
  }, 30_000);

  test('only a runtime whose sandboxes are isolates gets the heap gauges, with help texts', async () => {
    const withIsolates = await registry.metrics();
    for (const name of [USED, TOTAL, ISOLATES]) expect(withIsolates).toMatch(new RegExp(`^# HELP ${name} .+\\(Weft\\)\\.$`, 'm'));
    const plain = new Registry();
    new ChaincodeMetrics(plain, { install: () => Promise.resolve() });
    const text = await plain.metrics();
    expect(text).toContain('chaincode_launch_duration');
    expect(text).not.toContain('weft_chaincode_sandbox_');
  });
});
