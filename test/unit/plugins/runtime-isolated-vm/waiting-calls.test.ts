import type { ChaincodeResponse, RuntimeSupport } from '../../../../core/chaincode/chaincode-runtime';
import { packageChaincode } from '../../../../core/chaincode/packager';
import { IsolatedVmRuntime } from '../../../../plugins/runtime-isolated-vm';
import { CALLS_DIR } from '../../../integration/peer/network-fixture';
import { invocationOf } from '../../core/chaincode/fixtures';
import { MemoryWorld } from '../../core/chaincode/memory-simulator';

const answer = (text: string): ChaincodeResponse => ({ status: 200, message: '', payload: Buffer.from(text) });

/** A support whose synchronous call answers `sync`, and whose waiting one (when given) answers after a real timer. */
function support(world: MemoryWorld, txId: string, waiting?: (name: string, args: readonly Uint8Array[]) => Promise<ChaincodeResponse>): RuntimeSupport {
  return {
    simulator: world.simulator(txId),
    invokeChaincode: () => answer('sync'),
    ...(waiting !== undefined ? { invokeChaincodeAsync: waiting } : {}),
  };
}

const afterTimer = async (name: string, args: readonly Uint8Array[]): Promise<ChaincodeResponse> => {
  await new Promise((resolve) => setTimeout(resolve, 20));
  return answer(`waited for ${name} ${Buffer.from(args[1]).toString()}`);
};

/**
 * `stub.invokeChaincode` from a sandbox running on isolated-vm's thread pool waits for a callee the
 * peer answers asynchronously (a chaincode server); one running synchronously on the peer's thread
 * (the callee of a caller that cannot wait) keeps the synchronous call.
 */
describe('chaincode-to-chaincode calls that wait', () => {
  let rt: IsolatedVmRuntime;
  let packageId: string;
  beforeAll(async () => {
    rt = new IsolatedVmRuntime({ timeoutMs: 5_000 });
    packageId = (await rt.install((await packageChaincode({ projectDir: CALLS_DIR, label: 'calls_1' })).packageBytes)).packageId;
  }, 60_000);
  afterAll(() => rt.close());

  const getVia = (txId: string): ReturnType<typeof invocationOf> => invocationOf('calls', txId, ['GetVia', 'svc', 'color']);
  const text = (r: { response: ChaincodeResponse }): string => Buffer.from(r.response.payload).toString();

  test('a top-level transaction waits for the asynchronous call across turns of the event loop; a synchronous callee does not', async () => {
    const world = new MemoryWorld();
    const result = await rt.invoke(packageId, getVia('t1'), support(world, 't1', afterTimer));
    expect(result.response.status).toBe(200);
    expect(text(result)).toBe('waited for svc color');
    // A callee run synchronously (on the peer's thread), and a support without the waiting call, keep the synchronous call.
    expect(text(rt.invokeSync(packageId, getVia('t2'), support(world, 't2', afterTimer)))).toBe('sync');
    expect(text(await rt.invoke(packageId, getVia('t3'), support(world, 't3')))).toBe('sync');
  });

  test('a waiting call that fails reaches the chaincode as its error', async () => {
    const world = new MemoryWorld();
    const refused = async (): Promise<ChaincodeResponse> => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      throw new Error('INVOKE_CHAINCODE failed: transaction ID: t4: the server is down');
    };
    const result = await rt.invoke(packageId, getVia('t4'), support(world, 't4', refused));
    expect(result.response.status).toBe(500);
    expect(result.response.message).toContain('the server is down');
  });
});
