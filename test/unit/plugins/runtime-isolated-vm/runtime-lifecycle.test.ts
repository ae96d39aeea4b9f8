import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readChaincodePackage, writeChaincodePackage } from '../../../../core/chaincode/chaincode-package';
import { ChaincodeRuntime, type ChaincodeInvocation, type RuntimeSupport } from '../../../../core/chaincode/chaincode-runtime';
import { SUPPORTED_SANDBOX_ABIS } from '../../../../core/chaincode/host-api';
import { packageChaincode } from '../../../../core/chaincode/packager';
import { Container } from '../../../../core/di';
import { ChaincodeError } from '../../../../core/errors';
import { IsolatedVmRuntime, manifest, module, plugin } from '../../../../plugins/runtime-isolated-vm';
import { EXAMPLES, creator } from '../../core/chaincode/fixtures';
import { MemoryWorld } from '../../core/chaincode/memory-simulator';

const inv = (args: string[]): ChaincodeInvocation => ({
  chaincodeName: 'hostile',
  channelId: 'ch',
  txId: 'tx',
  args: args.map((a) => Buffer.from(a)),
  creator: creator('user1'),
  timestamp: { seconds: 1, nanos: 0 },
  mspId: 'Org1MSP',
});
const support = (): RuntimeSupport => ({ simulator: new MemoryWorld().simulator(), invokeChaincode: () => ({ status: 500, message: '', payload: new Uint8Array(0) }) });

async function repack(bytes: Uint8Array, edit: (code: Map<string, Uint8Array>) => void): Promise<Uint8Array> {
  const pkg = await readChaincodePackage(bytes);
  const code = new Map(pkg.code);
  edit(code);
  return writeChaincodePackage(pkg.metadata, code);
}

describe('IsolatedVmRuntime lifecycle', () => {
  let hostile: Uint8Array;
  const dirs: string[] = [];
  beforeAll(async () => {
    hostile = (await packageChaincode({ projectDir: path.join(EXAMPLES, 'hostile'), label: 'hostile_1' })).packageBytes;
  });
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  test('the plugin module binds ChaincodeRuntime; the manifest names the runtime slot', async () => {
    expect(manifest).toMatchObject({ name: 'runtime-isolated-vm', slots: ['runtime'] });
    expect(plugin.module).toBe(module);
    const container = new Container();
    await container.load(module);
    const rt = container.get<ChaincodeRuntime>(ChaincodeRuntime);
    expect(rt).toBeInstanceOf(IsolatedVmRuntime);
    expect(container.get(ChaincodeRuntime)).toBe(rt);
    await rt.close();
  });

  test('options are validated', () => {
    expect(() => new IsolatedVmRuntime({ memoryLimitMb: 1 })).toThrow();
    expect(() => new IsolatedVmRuntime({ bogus: true } as never)).toThrow();
  });

  test('install is idempotent; unknown, uninstalled and closed cases are ChaincodeErrors', async () => {
    const rt = new IsolatedVmRuntime();
    const a = await rt.install(hostile);
    expect(await rt.install(hostile)).toEqual(a);
    expect((await rt.invoke(a.packageId, inv(['Ok']), support())).response.status).toBe(200);
    await expect(rt.invoke('nope:' + '0'.repeat(64), inv(['Ok']), support())).rejects.toThrow(/is not installed on this runtime/);
    await rt.uninstall(a.packageId);
    await expect(rt.invoke(a.packageId, inv(['Ok']), support())).rejects.toBeInstanceOf(ChaincodeError);
    await rt.close();
    await rt.close();
    await expect(rt.install(hostile)).rejects.toThrow('the chaincode runtime is closed');
  });

  test('a package made by peer lifecycle chaincode package (plain sources) is bundled at install and keeps its ID', async () => {
    const rt = new IsolatedVmRuntime();
    const dir = path.join(EXAMPLES, 'token-erc20');
    const src = new Map<string, Uint8Array>(
      ['package.json', 'index.js', 'lib/tokenERC20.js'].map((f): [string, Uint8Array] => [`src/${f}`, fs.readFileSync(path.join(dir, f))]),
    );
    const fabricPkg = await writeChaincodePackage({ path: 'token-erc20', type: 'node', label: 'token_1' }, src);
    const { packageId } = await rt.install(fabricPkg);
    expect(packageId).toBe((await readChaincodePackage(fabricPkg)).packageId);
    const r = await rt.invoke(packageId, { ...inv(['Initialize', 'Gold', 'GLD', '2']), chaincodeName: 'token' }, support());
    expect(r.response).toEqual({ status: 200, message: '', payload: new Uint8Array(Buffer.from('true')) });
    const withDeps = await writeChaincodePackage(
      { path: 'x', type: 'node', label: 'x' },
      new Map([
        ['src/package.json', Buffer.from('{"main":"index.js"}')],
        ['src/index.js', Buffer.from("require('json-stringify-deterministic')")],
      ]),
    );
    await expect(rt.install(withDeps)).rejects.toThrow(/cannot be bundled as they are \(.*json-stringify-deterministic.*\); package the project with weft chaincode package/);
    await rt.close();
  });

  test('packages for another ABI, or failing at load, are refused at install', async () => {
    const rt = new IsolatedVmRuntime();
    const abi = await repack(hostile, (c) => c.set('src/package.json', Buffer.from('{"main":"weft-bundle.js","weft":{"abi":99}}')));
    await expect(rt.install(abi)).rejects.toThrow(new RegExp(`targets sandbox ABI 99, this runtime runs ABI ${SUPPORTED_SANDBOX_ABIS.join(' or ')}: re-package it`));
    // A package from an older Weft build passed bytes to its sandbox in another form.
    const older = await repack(hostile, (c) => c.set('src/package.json', Buffer.from(`{"main":"weft-bundle.js","weft":{"abi":${Math.min(...SUPPORTED_SANDBOX_ABIS) - 1}}}`)));
    await expect(rt.install(older)).rejects.toMatchObject({ code: 'CHAINCODE_ABI_MISMATCH' });
    const throwing = await repack(hostile, (c) => c.set('src/weft-bundle.js', Buffer.from('throw new Error("boom at load")')));
    await expect(rt.install(throwing)).rejects.toThrow(/failed to load: boom at load/);
    const syntax = await repack(hostile, (c) => c.set('src/weft-bundle.js', Buffer.from('function (')));
    await expect(rt.install(syntax)).rejects.toThrow(/does not compile/);
    await rt.close();
  });

  test('a built-in the sandbox does not offer throws when required: chaincode that needs it fails to install, chaincode that falls back runs', async () => {
    const rt = new IsolatedVmRuntime();
    const needsFs = (await packageChaincode({ projectDir: path.join(EXAMPLES, 'hostile', 'forbidden-import'), label: 'bad_1' })).packageBytes;
    await expect(rt.install(needsFs)).rejects.toMatchObject({
      code: 'CHAINCODE_LOAD_FAILED',
      message: expect.stringContaining("failed to load: the Node built-in module 'fs' is not available in chaincode"),
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-optional-'));
    dirs.push(dir);
    fs.writeFileSync(path.join(dir, 'package.json'), '{"name":"optional","version":"1.0.0","main":"index.js"}');
    fs.writeFileSync(
      path.join(dir, 'index.js'),
      [
        "const { Contract } = require('fabric-contract-api');",
        // protobufjs's pattern: use fs when there is one.
        "let fsModule = null; let why = '';",
        "try { fsModule = require('fs'); } catch (err) { why = err.code; }",
        "class Optional extends Contract { async Probe() { return `${fsModule === null} ${why}`; } }",
        'module.exports.contracts = [Optional];',
      ].join('\n'),
    );
    const { packageId } = await rt.install((await packageChaincode({ projectDir: dir, label: 'optional_1' })).packageBytes);
    const r = await rt.invoke(packageId, { ...inv(['Probe']), chaincodeName: 'optional' }, support());
    expect(Buffer.from(r.response.payload).toString()).toBe('true MODULE_NOT_FOUND');
    await rt.close();
  });

  test('memory exhaustion restarts the isolate and the chaincode keeps serving', async () => {
    const rt = new IsolatedVmRuntime({ memoryLimitMb: 32 });
    const { packageId } = await rt.install(hostile);
    expect(rt.isolateStarts(packageId)).toBe(1);
    expect((await rt.invoke(packageId, inv(['MemoryBomb']), support())).response.message).toMatch(/memory limit of 32 MB/);
    expect((await rt.invoke(packageId, inv(['Ok']), support())).response.status).toBe(200);
    expect(rt.isolateStarts(packageId)).toBe(2);
    await rt.close();
  });

  test('strict mode frees each transaction\'s context: hundreds of transactions in a small heap, one isolate', async () => {
    const rt = new IsolatedVmRuntime({ strict: true, memoryLimitMb: 32 });
    try {
      const { packageId } = await rt.install(hostile);
      for (let i = 0; i < 300; i++) expect(rt.invokeSync(packageId, inv(['Ok']), support()).response.status).toBe(200);
      expect(rt.isolateStarts(packageId)).toBe(1);
    } finally {
      await rt.close();
    }
  }, 60_000);

  test('packageDir keeps installed packages across restarts', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-rt-'));
    dirs.push(dir);
    const first = new IsolatedVmRuntime({ packageDir: dir });
    const { packageId } = await first.install(hostile);
    await first.close();
    const second = new IsolatedVmRuntime({ packageDir: dir });
    expect(await second.restore()).toEqual([{ packageId, label: 'hostile_1' }]);
    expect((await second.invoke(packageId, inv(['Ok']), support())).response.status).toBe(200);
    await second.uninstall(packageId);
    expect(fs.readdirSync(dir)).toEqual([]);
    await second.close();
  });
});
