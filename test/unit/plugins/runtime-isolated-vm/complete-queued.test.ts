import { writeChaincodePackage } from '../../../../core/chaincode/chaincode-package';
import type { ChaincodeInvocation, RuntimeSupport } from '../../../../core/chaincode/chaincode-runtime';
import { SANDBOX_ABI } from '../../../../core/chaincode/host-api';
import { IsolatedVmRuntime } from '../../../../plugins/runtime-isolated-vm';
import { creator } from '../../core/chaincode/fixtures';
import { MemoryWorld } from '../../core/chaincode/memory-simulator';

/**
 * A bundle that answers each call with its first argument as payload, after reading a key (a host
 * call that waits for the peer's thread), through `completeQueued` on the thread pool (`canWait`)
 * and through the synchronous `complete` otherwise, as the sandbox's dispatcher does.
 */
async function echoPackage(): Promise<Uint8Array> {
  const script = `
globalThis.__weftAbi = ${SANDBOX_ABI};
const host = globalThis.__weftHost;
globalThis.__weftDispatch = function (inv) {
  Promise.resolve().then(() => {
    host.getState('k');
    const outcome = { status: 200, message: inv.canWait === true ? 'queued' : 'replied', payload: new Uint8Array(0) };
    if (inv.canWait === true) host.completeQueued(outcome);
    else host.complete(outcome);
  });
};`;
  const pkgJson = { name: 'echo', version: '1.0.0', main: 'bundle.js', weft: { abi: SANDBOX_ABI } };
  return writeChaincodePackage(
    { path: 'echo', type: 'node', label: 'echo' },
    new Map([
      ['src/package.json', Buffer.from(JSON.stringify(pkgJson))],
      ['src/bundle.js', Buffer.from(script)],
    ]),
  );
}

const inv = (txId: string): ChaincodeInvocation => ({
  chaincodeName: 'echo',
  channelId: 'ch',
  txId,
  args: [Buffer.from('run')],
  creator: creator('user1'),
  timestamp: { seconds: 1, nanos: 0 },
  mspId: 'Org1MSP',
});

const support = (): RuntimeSupport => ({ simulator: new MemoryWorld().simulator(), invokeChaincode: () => ({ status: 500, message: '', payload: new Uint8Array(0) }) });

/**
 * On isolated-vm's thread pool a transaction's outcome crosses to the peer's thread without a
 * reply (`completeQueued`): it must still be the invocation's answer, in place before the
 * invocation settles, every time, and never another transaction's.
 */
describe('completeQueued', () => {
  test('a queued outcome is the answer of its own invocation, in sequence and side by side', async () => {
    const rt = new IsolatedVmRuntime({ sandboxesPerChaincode: 2 });
    try {
      const { packageId } = await rt.install(await echoPackage());
      for (let i = 0; i < 200; i++) {
        expect((await rt.invoke(packageId, inv(`seq${i}`), support())).response).toMatchObject({ status: 200, message: 'queued' });
      }
      const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => rt.invoke(packageId, inv(`par${i}`), support())));
      expect(answers.map((a) => a.response.message)).toEqual(Array.from({ length: 100 }, () => 'queued'));
    } finally {
      await rt.close();
    }
  });

  test('a transaction on the calling thread (invokeSync) still answers through complete', async () => {
    const rt = new IsolatedVmRuntime();
    try {
      const { packageId } = await rt.install(await echoPackage());
      expect(rt.invokeSync(packageId, inv('sync'), support()).response).toMatchObject({ status: 200, message: 'replied' });
      // And the pool after it: nothing of the synchronous call is left to be taken for its answer.
      expect((await rt.invoke(packageId, inv('after'), support())).response).toMatchObject({ status: 200, message: 'queued' });
    } finally {
      await rt.close();
    }
  });
});
