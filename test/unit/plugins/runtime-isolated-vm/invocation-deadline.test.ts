import { writeChaincodePackage } from '../../../../core/chaincode/chaincode-package';
import type { ChaincodeInvocation, ChaincodeMeter, RuntimeSupport } from '../../../../core/chaincode/chaincode-runtime';
import { SANDBOX_ABI } from '../../../../core/chaincode/host-api';
import { IsolatedVmRuntime } from '../../../../plugins/runtime-isolated-vm';
import { creator } from '../../core/chaincode/fixtures';
import { MemoryWorld } from '../../core/chaincode/memory-simulator';

const TIMEOUT_MS = 1000;
const TIMED_OUT = `timeout expired while executing transaction (limit ${TIMEOUT_MS} ms)`;

/** Busy for `ms` of wall-clock time: a bundle of its own has the real `Date`, not the sandbox's. */
const spin = (ms: number): string => `{ const end = Date.now() + ${ms}; while (Date.now() < end) {} }`;

/**
 * A bundle whose top level runs `load` and whose dispatcher runs `run` for each call, or loops
 * forever when the call's first argument is 'loop' (a timeout, after which the context is made again).
 */
async function slowPackage(label: string, load: string, run: string): Promise<Uint8Array> {
  const script = `
${load}
globalThis.__weftAbi = ${SANDBOX_ABI};
const host = globalThis.__weftHost;
globalThis.__weftDispatch = function (inv) {
  if (inv.args[0] === 'loop') for (;;) {}
  ${run}
  host.complete({ status: 200, message: 'ok', payload: new Uint8Array(0) });
};`;
  const pkgJson = { name: label, version: '1.0.0', main: 'bundle.js', weft: { abi: SANDBOX_ABI } };
  return writeChaincodePackage(
    { path: label, type: 'node', label },
    new Map([
      ['src/package.json', Buffer.from(JSON.stringify(pkgJson))],
      ['src/bundle.js', Buffer.from(script)],
    ]),
  );
}

const inv = (arg: string): ChaincodeInvocation => ({
  chaincodeName: 'slow',
  channelId: 'ch',
  txId: 'tx',
  args: [Buffer.from(arg)],
  creator: creator('user1'),
  timestamp: { seconds: 1, nanos: 0 },
  mspId: 'Org1MSP',
});

function support(): { support: RuntimeSupport; timeouts: () => number } {
  let timeouts = 0;
  const metrics: ChaincodeMeter = { shimRequest: () => ({ received: () => undefined, completed: () => undefined }), executeTimeout: () => void timeouts++ };
  return { support: { simulator: new MemoryWorld().simulator(), invokeChaincode: () => ({ status: 500, message: '', payload: new Uint8Array(0) }), metrics }, timeouts: () => timeouts };
}

/**
 * One invocation has one deadline, `timeoutMs` from its start: when the chaincode's context has to
 * be made first (every call in strict mode, the first after a reset otherwise), the bundle's top
 * level runs on the transaction's time, not on a budget of its own.
 */
describe('one deadline per invocation', () => {
  test('strict mode: a top level and a transaction that each fit in timeoutMs, but not together, time out', async () => {
    const rt = new IsolatedVmRuntime({ timeoutMs: TIMEOUT_MS, strict: true });
    try {
      const { packageId } = await rt.install(await slowPackage('strict', spin(600), spin(600)));
      const { support: s, timeouts } = support();
      expect(rt.invokeSync(packageId, inv('work'), s).response).toMatchObject({ status: 500, message: TIMED_OUT });
      expect(timeouts()).toBe(1);
      // The top level's share leaves the rest to a transaction that needs little.
      const quick = await slowPackage('quick', spin(100), '');
      const q = (await rt.install(quick)).packageId;
      expect(rt.invokeSync(q, inv('work'), support().support).response).toMatchObject({ status: 200, message: 'ok' });
    } finally {
      await rt.close();
    }
  });

  test('after a reset, the context made again runs on the next transaction’s time', async () => {
    const rt = new IsolatedVmRuntime({ timeoutMs: TIMEOUT_MS });
    try {
      const { packageId } = await rt.install(await slowPackage('reset', spin(600), spin(600)));
      expect(rt.invokeSync(packageId, inv('loop'), support().support).response.message).toBe(TIMED_OUT);
      const { support: s, timeouts } = support();
      expect(rt.invokeSync(packageId, inv('work'), s).response).toMatchObject({ status: 500, message: TIMED_OUT });
      expect(timeouts()).toBe(1);
    } finally {
      await rt.close();
    }
  });

  test('a top level that takes all of the time is the transaction timing out, counted as one; the isolate is kept', async () => {
    // Only the first load (at install) runs with the load log's level set: each later one is slow.
    const load = `if (globalThis.__weftLoadLogLevel === undefined) ${spin(TIMEOUT_MS + 500)}`;
    const rt = new IsolatedVmRuntime({ timeoutMs: TIMEOUT_MS, strict: true });
    try {
      const { packageId } = await rt.install(await slowPackage('slowload', load, ''));
      const { support: s, timeouts } = support();
      expect(rt.invokeSync(packageId, inv('work'), s).response).toMatchObject({ status: 500, message: TIMED_OUT });
      expect(timeouts()).toBe(1);
      expect(rt.isolateStarts(packageId)).toBe(1);
    } finally {
      await rt.close();
    }
  });
});
