import { parseConnectionJson } from '../../../../core/chaincode/ccaas-connection';
import { packageCcaas } from '../../../../core/chaincode/ccaas-packager';
import { BUILDER_CONFIG_ENV, builderConfig, expandTemplate } from '../../../../core/chaincode/ccaas-templates';
import { Container } from '../../../../core/di';
import { PackageTypeRuntime } from '../../../../core/chaincode/package-type-runtime';
import { NodeConfigToken, parseNodeConfig } from '../../../../core/node/config';
import { module } from '../../../../plugins/runtime-ccaas';
import { slotLimits } from '../../../../plugins/runtime-ccaas/ccaas-runtime-options';

const json = (value: unknown): Uint8Array => Buffer.from(JSON.stringify(value));

describe('connection.json templates, as Fabric\'s ccaas builder expands them', () => {
  const context = { peername: 'org1peer0', port: 9999, big: 1_000_000, nested: { host: 'cc.svc' }, on: true, obj: {} };

  it.each([
    ['{{.peername}}_basic:9999', 'org1peer0_basic:9999'],
    ['{{ .peername }}-cc:{{.port}}', 'org1peer0-cc:9999'],
    ['{{.nested.host}}:1', 'cc.svc:1'],
    ['a  {{- .on -}}  b', 'atrueb'],
    ['{{.big}}', '1e+06'],
    ['plain:1 }}', 'plain:1 }}'],
  ])('%s expands to %s', (text, expanded) => expect(expandTemplate(text, context)).toBe(expanded));

  it.each([
    ['{{.missing}}:1', 'map has no entry for key "missing"'],
    ['{{.obj}}:1', 'is an object, not text'],
    ['{{.peername | printf "%s"}}:1', 'is not supported'],
    ['{{printf "x"}}:1', 'is not supported'],
    ['{{.peername:1', 'unclosed action'],
    ['{{.nested.host.x}}', '.nested.host is not an object'],
  ])('refuses %s', (text, problem) => expect(() => expandTemplate(text, context)).toThrow(problem));

  it('expands address, dial_timeout and, with TLS, the PEM fields at the peer; a bad one names the field', () => {
    expect(parseConnectionJson(json({ address: '{{.peername}}-cc:{{.port}}', dial_timeout: '{{.t}}' }), 'svc_1:ab', { ...context, t: '5s' })).toEqual({
      address: 'org1peer0-cc:9999',
      dialTimeoutMs: 5_000,
    });
    const missing = (): unknown => parseConnectionJson(json({ address: '{{.host}}:9999' }), 'svc_1:ab', context);
    expect(missing).toThrow(expect.objectContaining({ code: 'CHAINCODE_BAD_CONNECTION', details: { field: 'address', packageId: 'svc_1:ab' } }));
    expect(missing).toThrow('"address" is a template that cannot be expanded: {{.host}}: map has no entry for key "host"');
    // The expanded value is checked as a written one.
    expect(() => parseConnectionJson(json({ address: '{{.peername}}' }), 'svc_1:ab', context)).toThrow(expect.objectContaining({ details: { field: 'address', packageId: 'svc_1:ab' } }));
    expect(() => parseConnectionJson(json({ address: 'cc:1', tls_required: true, root_cert: '{{.ca}}' }), 'svc_1:ab', context)).toThrow(
      expect.objectContaining({ details: { field: 'root_cert', packageId: 'svc_1:ab' } }),
    );
  });

  it('packages a templated connection.json, checking only the template syntax away from a peer', async () => {
    const built = await packageCcaas({ label: 'k8s_1', connection: { address: '{{.peername}}-basic:9999', dial_timeout: '10s' } });
    expect(built.packageId).toMatch(/^k8s_1:/);
    await expect(packageCcaas({ label: 'k8s_1', connection: { address: '{{range .x}}:1' } })).rejects.toMatchObject({ code: 'CHAINCODE_BAD_CONNECTION', details: { field: 'address' } });
  });

  it('takes peername from the peer\'s ID and the rest from CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG, whose keys win', () => {
    expect(builderConfig('peer0.org1.example.com', {})).toEqual({ peername: 'peer0.org1.example.com' });
    expect(builderConfig('peer0', { [BUILDER_CONFIG_ENV]: '{"peername":"org1peer0","port":7052}' })).toEqual({ peername: 'org1peer0', port: 7052 });
    expect(() => builderConfig('peer0', { [BUILDER_CONFIG_ENV]: '{peername' })).toThrow(expect.objectContaining({ code: 'CHAINCODE_BAD_OPTIONS', details: { field: BUILDER_CONFIG_ENV } }));
    expect(() => builderConfig('peer0', { [BUILDER_CONFIG_ENV]: '["a"]' })).toThrow('must be a JSON object');
  });

  it('the peer\'s runtime expands the templates of a package it installs with its own ID', async () => {
    const container = new Container();
    container.bind(NodeConfigToken).toConstantValue(parseNodeConfig({ id: 'org1peer7', kind: 'peer', dataDir: '/tmp/unused', msp: { id: 'Org1MSP', dir: 'msp' }, plugins: {} }, '/tmp'));
    await container.load(module);
    const { runtime } = container.get<PackageTypeRuntime>(PackageTypeRuntime);
    try {
      const built = await packageCcaas({ label: 'k8s_1', connection: { address: '{{.peername}}-basic:9999' } });
      await runtime.install(built.packageBytes);
      // The refusal of a synchronous call names the address the peer dials.
      expect(() => runtime.invokeSync(built.packageId, undefined as never, undefined as never)).toThrow(expect.objectContaining({ details: { packageId: built.packageId, address: 'org1peer7-basic:9999' } }));
    } finally {
      await runtime.close();
    }
  });
});

describe('the runtime slot\'s limits', () => {
  it('are read from plugins.runtime.options, the other options left to the slot\'s plugin', () => {
    expect(slotLimits({ maxValueBytes: 1024, timeoutMs: 500, memoryLimitMb: 64, strict: true })).toEqual({ maxValueBytes: 1024, timeoutMs: 500 });
    expect(slotLimits({})).toEqual({});
    expect(() => slotLimits({ maxTransactionBytes: -1 })).toThrow(
      expect.objectContaining({ code: 'CHAINCODE_BAD_OPTIONS', details: { field: 'plugins.runtime.options.maxTransactionBytes' } }),
    );
  });
});
