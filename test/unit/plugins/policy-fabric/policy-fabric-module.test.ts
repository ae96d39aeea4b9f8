import { Container } from '../../../../core/di';
import { loadPlugin } from '../../../../core/node/plugin-loader';
import { PolicyProvider } from '../../../../core/policy';
import { FabricPolicyProvider, manifest, module } from '../../../../plugins/policy-fabric';
import { ConformanceMsp } from '../../../../core/policy/conformance-msp';

describe('policy-fabric plugin', () => {
  it('declares the policy slot', () => {
    expect(manifest).toMatchObject({ name: 'policy-fabric', version: expect.any(String), slots: ['policy'] });
  });

  it('loads as the stock plugin named policy-fabric', () => {
    const loaded = loadPlugin('policy-fabric', process.cwd());
    expect(loaded.manifest.name).toBe('policy-fabric');
    expect(loaded.manifest.slots).toEqual(['policy']);
  });

  it('binds PolicyProvider to one FabricPolicyProvider', async () => {
    const container = new Container();
    await container.load(module);
    const provider = container.get<PolicyProvider>(PolicyProvider);
    expect(provider).toBeInstanceOf(FabricPolicyProvider);
    expect(container.get<PolicyProvider>(PolicyProvider)).toBe(provider);
  });

  it('reuses the compiled policy for the same envelope bytes and deserializer', () => {
    const provider = new FabricPolicyProvider();
    const msp = new ConformanceMsp();
    const bytes = provider.compileExpression("OR('Org1MSP.peer')");
    const first = provider.newSignaturePolicy(bytes, msp);
    expect(provider.newSignaturePolicy(Uint8Array.from(bytes), msp)).toBe(first);
    expect(provider.newSignaturePolicy(bytes, new ConformanceMsp())).not.toBe(first);
  });
});
