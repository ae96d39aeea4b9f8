import * as path from 'node:path';
import type { ChaincodeInvocation, RuntimeSupport } from '../../../../core/chaincode/chaincode-runtime';
import { packageChaincode } from '../../../../core/chaincode/packager';
import { IsolatedVmRuntime } from '../../../../plugins/runtime-isolated-vm';
import { invocationOf } from '../../core/chaincode/fixtures';
import { MemoryWorld } from '../../core/chaincode/memory-simulator';

const FIXTURE = path.join(__dirname, 'fixtures', 'off-loop');
const TIMEOUT_MS = 1500;
const TIMED_OUT = `timeout expired while executing transaction (limit ${TIMEOUT_MS} ms)`;
/** CPU work between two stub calls: tens of milliseconds, enough for another transaction to start meanwhile. */
const ROUNDS = '20000000';

const inv = (txId: string, args: readonly string[]): ChaincodeInvocation => invocationOf('offloop', txId, args);

/** A support whose simulator logs each read with its transaction, in the order the host served them. */
function logged(world: MemoryWorld, txId: string, log: string[]): RuntimeSupport & { simulator: ReturnType<MemoryWorld['simulator']> } {
  const simulator = world.simulator(txId);
  const getState = simulator.getState.bind(simulator);
  simulator.getState = (ns: string, key: string): Uint8Array | undefined => {
    log.push(`${txId} ${key}`);
    return getState(ns, key);
  };
  return { simulator, invokeChaincode: () => ({ status: 500, message: 'no calls here', payload: new Uint8Array(0) }) };
}

/**
 * Top-level transactions run on isolated-vm's thread pool: the peer's event loop keeps serving
 * while chaincode computes, one chaincode's transactions run side by side up to a limit and queue
 * past it, and a sandbox disposed under a running transaction ends it cleanly.
 */
describe('chaincode off the event loop', () => {
  let packages: Uint8Array[];
  beforeAll(async () => {
    packages = [];
    for (const n of [1, 2, 3, 4, 5]) packages.push((await packageChaincode({ projectDir: FIXTURE, label: `offloop_${n}` })).packageBytes);
  }, 60_000);

  test('a transaction that computes until its time limit leaves timers and other chaincode running, and still times out', async () => {
    const rt = new IsolatedVmRuntime({ timeoutMs: TIMEOUT_MS });
    try {
      const spinning = (await rt.install(packages[0])).packageId;
      const other = (await rt.install(packages[1])).packageId;
      const world = new MemoryWorld();
      const done: string[] = [];
      const spin = rt.invoke(spinning, inv('spin', ['Spin']), logged(world, 'spin', [])).then((r) => {
        done.push('spin');
        return r;
      });
      const timer = new Promise<void>((resolve) => setTimeout(resolve, 20)).then(() => done.push('timer'));
      const echo = rt.invoke(other, inv('echo', ['Echo', 'k', '2', '1000']), logged(world, 'echo', [])).then((r) => {
        done.push('echo');
        return r;
      });
      const [spun, , echoed] = await Promise.all([spin, timer, echo]);
      expect(done.at(-1)).toBe('spin');
      expect(done).toHaveLength(3);
      expect(spun.response).toMatchObject({ status: 500, message: TIMED_OUT });
      expect(echoed.response.status).toBe(200);
      expect(Buffer.from(echoed.response.payload).toString()).toBe('k');
    } finally {
      await rt.close();
    }
  }, 30_000);

  test('concurrent transactions of one chaincode run side by side up to the limit, the rest queue, and each gets its own answer and writes', async () => {
    const rt = new IsolatedVmRuntime({ sandboxesPerChaincode: 2 });
    try {
      const id = (await rt.install(packages[0])).packageId;
      const world = new MemoryWorld();
      // Two at once first: the second sandbox is started (its bundle loaded on this thread) before the run below.
      await Promise.all(['w1', 'w2'].map((t) => rt.invoke(id, inv(t, ['Echo', t, '1', '10']), logged(world, t, []))));
      expect(rt.sandboxCount(id)).toBe(2);
      const log: string[] = [];
      const tags = ['e1', 'e2', 'e3', 'e4', 'e5'];
      const supports = tags.map((t) => logged(world, t, log));
      const results = await Promise.all(tags.map((t, i) => rt.invoke(id, inv(t, ['Echo', t, '3', ROUNDS]), supports[i])));
      expect(results.map((r) => [r.response.status, Buffer.from(r.response.payload).toString()])).toEqual(tags.map((t) => [200, t]));
      // Each transaction wrote its own tag into its own simulator, nothing else.
      expect(supports.map((s) => [...s.simulator.writes.values()].map((v) => Buffer.from(v as Uint8Array).toString()))).toEqual(tags.map((t) => [t]));
      // Each read its own keys in its own order.
      for (const t of tags) expect(log.filter((l) => l.startsWith(`${t} `))).toEqual([`${t} ${t}-0`, `${t} ${t}-1`, `${t} ${t}-2`]);
      // Side by side: the second began reading before the first had finished (one at a time, it could not).
      expect(log.indexOf('e2 e2-0')).toBeLessThan(log.indexOf('e1 e1-2'));
      // No more than two sandboxes for five transactions: the others waited for one.
      expect(rt.sandboxCount(id)).toBe(2);
    } finally {
      await rt.close();
    }
  }, 60_000);

  test('uninstalling a package under a running transaction ends it with an error, and the runtime serves on', async () => {
    const rt = new IsolatedVmRuntime({ timeoutMs: 10_000 });
    try {
      const spinning = (await rt.install(packages[0])).packageId;
      const other = (await rt.install(packages[1])).packageId;
      const world = new MemoryWorld();
      const spin = rt.invoke(spinning, inv('spin', ['Spin']), logged(world, 'spin', []));
      await new Promise((resolve) => setTimeout(resolve, 200));
      await rt.uninstall(spinning);
      const spun = await spin;
      expect(spun.response.status).toBe(500);
      expect(spun.response.message).toMatch(/its sandbox was disposed/);
      const echoed = await rt.invoke(other, inv('echo', ['Echo', 'k', '1', '10']), logged(world, 'echo', []));
      expect(echoed.response.status).toBe(200);
    } finally {
      await rt.close();
    }
  }, 30_000);

  test('installed packages beyond loadedChaincodes keep no isolate; one is loaded again when invoked, the least recently used unloaded', async () => {
    const rt = new IsolatedVmRuntime({ loadedChaincodes: 2 });
    try {
      const ids: string[] = [];
      for (const bytes of packages) ids.push((await rt.install(bytes)).packageId);
      expect(new Set(ids).size).toBe(5);
      // Five installs, two packages in memory: the two installed last.
      expect(rt.loadedCount()).toBe(2);
      const world = new MemoryWorld();
      const echo = async (id: string, tag: string): Promise<string> => {
        const r = await rt.invoke(id, inv(tag, ['Echo', tag, '1', '10']), logged(world, tag, []));
        expect(r.response.status).toBe(200);
        return Buffer.from(r.response.payload).toString();
      };
      // The first package was checked at install, then unloaded: invoking it loads it again.
      expect(await echo(ids[0], 'first')).toBe('first');
      expect(rt.isolateStarts(ids[0])).toBe(2);
      expect(rt.loadedCount()).toBe(2);
      // The package used most recently before it (the last installed) stays; the other went.
      expect(await echo(ids[4], 'last')).toBe('last');
      expect(rt.isolateStarts(ids[4])).toBe(1);
      expect(await echo(ids[3], 'fourth')).toBe('fourth');
      expect(rt.isolateStarts(ids[3])).toBe(2);
      expect(rt.loadedCount()).toBe(2);
    } finally {
      await rt.close();
    }
  }, 60_000);

  test.each([false, true])('strict %s: a transaction still waiting when its run ends fails as before, and the next one runs', async (strict) => {
    const rt = new IsolatedVmRuntime({ strict });
    try {
      const id = (await rt.install(packages[0])).packageId;
      const world = new MemoryWorld();
      const pending = await rt.invoke(id, inv('pending', ['Pending']), logged(world, 'pending', []));
      expect(pending.response).toMatchObject({ status: 500, message: expect.stringMatching(/^chaincode returned a promise that was still pending/) as unknown });
      const echoed = await rt.invoke(id, inv('echo', ['Echo', 'k', '1', '10']), logged(world, 'echo', []));
      expect(echoed.response.status).toBe(200);
    } finally {
      await rt.close();
    }
  }, 30_000);
});
