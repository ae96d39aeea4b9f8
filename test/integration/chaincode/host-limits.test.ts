import * as path from 'node:path';
import type { ChaincodeInvocation, ChaincodeResult, RuntimeSupport } from '../../../core/chaincode/chaincode-runtime';
import { MAX_OPEN_QUERIES } from '../../../core/chaincode/host-queries';
import { packageChaincode } from '../../../core/chaincode/packager';
import type { KV, TxSimulator } from '../../../core/ledger/tx-simulator';
import { IsolatedVmRuntime, IsolatedVmRuntimeOptions } from '../../../plugins/runtime-isolated-vm';
import { ledgerWorld, type LedgerWorld } from '../../../cli/testing/ledger-world';
import { MemoryWorld, type MemorySimulator } from '../../unit/core/chaincode/memory-simulator';
import { creator } from '../../unit/core/chaincode/fixtures';
import { memoryAfterFullGc } from '../../support/full-gc';

/** Array buffers still in use. */
const arrayBuffersInUse = (): number => memoryAfterFullGc().arrayBuffers;

const MB = 1024 * 1024;
const EMPTY = new Uint8Array(0);

function invocation(args: string[], chaincodeName = 'limits', txId = 'tx-1'): ChaincodeInvocation {
  return { chaincodeName, channelId: 'mychannel', txId, args: args.map((a) => Buffer.from(a)), creator: creator('user1'), timestamp: { seconds: 1_700_000_000, nanos: 0 }, mspId: 'Org1MSP' };
}

const text = (r: ChaincodeResult): string => (r.response.status === 200 ? Buffer.from(r.response.payload).toString() : r.response.message);

/** Bytes of values the simulator holds in its write set. */
function held(sim: MemorySimulator): number {
  let n = 0;
  for (const v of sim.writes.values()) n += v?.length ?? 0;
  return n;
}

/** The simulator, counting the range iterators it hands out and those closed again. */
function tracked(sim: TxSimulator): { simulator: TxSimulator; open: () => number; opened: () => number } {
  let opened = 0;
  let closed = 0;
  const simulator = new Proxy(sim, {
    get(target, prop) {
      if (prop === 'getStateRange') {
        return (ns: string, a: string, b: string): Iterable<KV> => {
          const inner = target.getStateRange(ns, a, b);
          return {
            [Symbol.iterator](): Iterator<KV> {
              opened++;
              const it = inner[Symbol.iterator]();
              return { next: () => it.next(), return: (v?: unknown) => (closed++, it.return?.(v) ?? { done: true, value: v }) };
            },
          };
        };
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { simulator, open: () => opened - closed, opened: () => opened };
}

/**
 * What a transaction makes the peer hold outside the chaincode's isolate, which `memoryLimitMb`
 * does not bound: its write set, response and event (`maxTransactionBytes`), and its open query
 * iterators (closed when the transaction ends, at most MAX_OPEN_QUERIES at once, each holding one
 * result ahead of the chaincode).
 */
describe('host resources of one transaction', () => {
  const rt = new IsolatedVmRuntime({ timeoutMs: 30_000, memoryLimitMb: 32, maxTransactionBytes: 4 * MB });
  let packageId = '';
  /** The same chaincode under another label: a callee runs in a sandbox of its own. */
  let calleeId = '';
  const noCalls: RuntimeSupport['invokeChaincode'] = () => ({ status: 500, message: 'unused', payload: EMPTY });

  beforeAll(async () => {
    const projectDir = path.join(__dirname, 'fixtures', 'host-limits');
    packageId = (await rt.install((await packageChaincode({ projectDir, label: 'limits' })).packageBytes)).packageId;
    calleeId = (await rt.install((await packageChaincode({ projectDir, label: 'callee' })).packageBytes)).packageId;
  });
  afterAll(() => rt.close());

  test('maxTransactionBytes defaults to 100 MiB, the gRPC message limit that bounds a Fabric proposal response', () => {
    expect(IsolatedVmRuntimeOptions.parse({}).maxTransactionBytes).toBe(100 * MB);
  });

  test('the write set is bounded by maxTransactionBytes: writing one buffer under key after key stops at the limit', () => {
    const sim = new MemoryWorld().simulator('tx-1') as MemorySimulator;
    const r = rt.invokeSync(packageId, invocation(['seed', 'x', '24', String(MB)]), { simulator: sim, invokeChaincode: noCalls });
    expect(r.response.status).toBe(500);
    // Three writes of 1 MiB and a 5-byte key fit in 4 MiB; the fourth would pass it.
    expect(text(r)).toBe(
      `putState of key "x0003" would bring what this transaction holds in the peer (its writes, query results pulled ahead, response and event) to ${4 * MB + 20} bytes, over the limit of ${4 * MB} bytes (maxTransactionBytes)`,
    );
    expect(held(sim)).toBe(3 * MB);
    // A rewrite replaces what the key held, as in the write set.
    const again = new MemoryWorld().simulator('tx-2') as MemorySimulator;
    expect(text(rt.invokeSync(packageId, invocation(['rewrite', '24', String(MB)]), { simulator: again, invokeChaincode: noCalls }))).toBe('{"wrote":24}');
  });

  test('the response counts too', () => {
    const sim = new MemoryWorld().simulator('tx-1');
    expect(text(rt.invokeSync(packageId, invocation(['respond', String(MB)]), { simulator: sim, invokeChaincode: noCalls }))).toHaveLength(MB);
    const r = rt.invokeSync(packageId, invocation(['respond', String(5 * MB)]), { simulator: new MemoryWorld().simulator('tx-2'), invokeChaincode: noCalls });
    expect(r.response).toMatchObject({ status: 500, message: expect.stringMatching(/^the response payload and event would bring .* over the limit of 4194304 bytes \(maxTransactionBytes\)$/) });
  });

  test("a chaincode-to-chaincode callee recording into the caller's simulator counts against the caller's total", () => {
    const sim = new MemoryWorld().simulator('tx-1') as MemorySimulator;
    const support: RuntimeSupport = {
      simulator: sim,
      invokeChaincode: (callee, args) => rt.invokeSync(calleeId, { ...invocation([], callee), args }, { simulator: sim, invokeChaincode: noCalls }).response,
    };
    const r = rt.invokeSync(packageId, invocation(['writeThenCall', 'a', String(3 * MB), 'callee', 'seed', 'y', '1', String(2 * MB)]), support);
    expect(JSON.parse(text(r))).toEqual({ callee: 500, message: expect.stringMatching(/^putState of key "y0000" would bring .* over the limit of 4194304 bytes/) });
    expect(held(sim)).toBe(3 * MB);
  });

  describe('on a real ledger', () => {
    let world: LedgerWorld;
    let n = 0;
    const commit = (args: string[]): void => {
      const txId = `seed-${++n}`;
      const sim = world.simulator(txId);
      expect(text(rt.invokeSync(packageId, invocation(args, 'limits', txId), { simulator: sim, invokeChaincode: noCalls }))).toMatch(/^\{"wrote"/);
      world.commit(sim, sim.getTxSimulationResults(), txId);
      sim.done();
    };
    beforeAll(() => {
      world = ledgerWorld();
      // 300 values of 32 KB, as a chaincode could have written over earlier transactions, and 150 small ones.
      for (let i = 0; i < 3; i++) commit(['seed', `r${i}`, '100', String(32 * 1024)]);
      commit(['seed', 'q', '150', '10']);
    });
    afterAll(() => world.close());

    test('iterators a transaction leaves open are closed when it ends, and each holds no more than the result pulled ahead', () => {
      const { simulator, open, opened } = tracked(world.simulator('tx-open'));
      const before = arrayBuffersInUse();
      let during = 0;
      const sampling = new Proxy(simulator, {
        get(target, prop) {
          // The chaincode reads a key once it opened its iterators: what the peer holds for them then.
          if (prop === 'getState') return (ns: string, k: string) => ((during = arrayBuffersInUse() - before), target.getState(ns, k));
          return Reflect.get(target, prop, target) as unknown;
        },
      });
      const r = rt.invokeSync(packageId, invocation(['openRanges', '40', 'r', 's'], 'limits', 'tx-open'), { simulator: sampling, invokeChaincode: noCalls });
      expect(text(r)).toBe('{"open":40}');
      expect([opened(), open()]).toEqual([40, 0]);
      // Each iterator holds result 101 (32 KB) for its next batch: 1.25 MB in all. Fetched in chunks
      // of 256, each also held the 155 results it had fetched and not handed out (330 MB measured).
      expect(during).toBeLessThan(16 * MB);
    });

    test(`a transaction may hold at most ${MAX_OPEN_QUERIES} iterators open at once`, () => {
      const fits = tracked(world.simulator('tx-fits'));
      expect(text(rt.invokeSync(packageId, invocation(['openRanges', String(MAX_OPEN_QUERIES), 'q', 'r'], 'limits', 'tx-fits'), { simulator: fits.simulator, invokeChaincode: noCalls }))).toBe(
        `{"open":${MAX_OPEN_QUERIES}}`,
      );
      const over = tracked(world.simulator('tx-over'));
      const r = rt.invokeSync(packageId, invocation(['openRanges', String(MAX_OPEN_QUERIES + 1), 'q', 'r'], 'limits', 'tx-over'), { simulator: over.simulator, invokeChaincode: noCalls });
      expect(r.response).toMatchObject({
        status: 500,
        message: `this transaction already holds ${MAX_OPEN_QUERIES} open query iterators, the most it may: close the iterators it no longer reads (iterator.close()) before opening more`,
      });
      // The refused one never reached the ledger; the others were closed with the transaction.
      expect([over.opened(), over.open()]).toEqual([MAX_OPEN_QUERIES, 0]);
    });
  });
});
