import { packageCcaas } from '../../../../core/chaincode/ccaas-packager';
import { packageIdOf, writeChaincodePackage } from '../../../../core/chaincode/chaincode-package';
import { ChaincodeRuntimeRouter } from '../../../../core/chaincode/chaincode-runtime-router';
import type { ChaincodeInvocation, ChaincodeResult, ChaincodeRuntime, InstalledChaincode, RuntimeSupport } from '../../../../core/chaincode/chaincode-runtime';
import { CcaasRuntime } from '../../../../plugins/runtime-ccaas';

const OK: ChaincodeResult = { response: { status: 200, message: 'slot', payload: new Uint8Array(0) } };

/** The slot's runtime, recording what reaches it. */
class RecordingRuntime implements ChaincodeRuntime {
  readonly calls: string[] = [];
  async install(packageBytes: Uint8Array): Promise<InstalledChaincode> {
    this.calls.push('install');
    return { packageId: packageIdOf('node_1', packageBytes), label: 'node_1' };
  }
  async invoke(packageId: string): Promise<ChaincodeResult> {
    this.calls.push(`invoke ${packageId}`);
    return OK;
  }
  invokeSync(packageId: string): ChaincodeResult {
    this.calls.push(`invokeSync ${packageId}`);
    return OK;
  }
  async uninstall(packageId: string): Promise<void> {
    this.calls.push(`uninstall ${packageId}`);
  }
  async close(): Promise<void> {
    this.calls.push('close');
  }
}

const invocation = {} as ChaincodeInvocation;
const support = {} as RuntimeSupport;

describe('routing packages to runtimes by their type', () => {
  it('sends ccaas packages to the ccaas runtime and everything else to the slot\'s, from install to close', async () => {
    const slot = new RecordingRuntime();
    const ccaas = new CcaasRuntime();
    const router = new ChaincodeRuntimeRouter(slot, [{ packageType: 'ccaas', runtime: ccaas }]);
    const service = await packageCcaas({ label: 'svc_1', connection: { address: 'svc:9999' } });
    expect(await router.install(service.packageBytes)).toEqual({ packageId: service.packageId, label: 'svc_1' });
    expect(slot.calls).toEqual([]);
    // Reaching the ccaas runtime: it refuses synchronous calls, naming the server.
    expect(() => router.invokeSync(service.packageId, invocation, support)).toThrow(/runs as a service at svc:9999/);

    const node = await writeChaincodePackage({ path: 'x', type: 'node', label: 'node_1' }, new Map([['src/package.json', Buffer.from('{}')]]));
    const nodeId = (await router.install(node)).packageId;
    expect(await router.invoke(nodeId, invocation, support)).toBe(OK);
    expect(router.invokeSync(nodeId, invocation, support)).toBe(OK);
    // Bytes that are no package, and IDs never installed, are the slot runtime's to refuse.
    await router.install(Buffer.from('not a package'));
    await router.invoke('unknown:00', invocation, support);
    await router.uninstall(service.packageId);
    expect(() => router.invokeSync(service.packageId, invocation, support)).not.toThrow();
    expect(slot.calls).toEqual(['install', `invoke ${nodeId}`, `invokeSync ${nodeId}`, 'install', 'invoke unknown:00', `invokeSync ${service.packageId}`]);

    await router.close();
    expect(slot.calls.at(-1)).toBe('close');
    await expect(ccaas.install(service.packageBytes)).rejects.toMatchObject({ code: 'CHAINCODE_RUNTIME_CLOSED' });
  });
});
