import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeChaincodePackage } from '../../../../../core/chaincode/chaincode-package';
import type { InstalledChaincode } from '../../../../../core/chaincode/chaincode-runtime';
import { PackageStore } from '../../../../../core/chaincode/package-store';
import { ChaincodeError } from '../../../../../core/errors';
import { ChaincodeInstaller } from '../../../../../core/peer/lifecycle/chaincode-installer';

const CODE = new Map([['src/package.json', Buffer.from('{"name":"x","main":"index.js"}')]]);

describe('ChaincodeInstaller, as Fabric installs', () => {
  let dir: string;
  let store: PackageStore;
  let bytes: Uint8Array;
  const loads: string[] = [];
  const declared: string[] = [];
  let loadFails: Error | undefined;
  const installer = (): ChaincodeInstaller =>
    new ChaincodeInstaller(
      store,
      async (packageId) => {
        loads.push(packageId);
        // A launch takes a while: a second install arrives meanwhile.
        await new Promise((resolve) => setImmediate(resolve));
        if (loadFails !== undefined) throw loadFails;
      },
      async (installed: InstalledChaincode) => void declared.push(installed.packageId),
    );

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-installer-'));
    store = new PackageStore(dir);
    bytes = await writeChaincodePackage({ path: 'p', type: 'node', label: 'basic_1' }, CODE);
    loads.length = 0;
    declared.length = 0;
    loadFails = undefined;
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('installing a package a second time fails "chaincode already successfully installed"', async () => {
    const ins = installer();
    const { packageId } = await ins.install(bytes);
    await expect(ins.install(bytes)).rejects.toMatchObject({
      code: 'CHAINCODE_ALREADY_INSTALLED',
      message: `chaincode already successfully installed (package ID '${packageId}')`,
    });
    expect(loads).toEqual([packageId]);
    expect(ins.list()).toEqual([{ packageId, label: 'basic_1' }]);
  });

  test('of two concurrent installs of one package, one installs and the other fails as already installed', async () => {
    const ins = installer();
    const results = await Promise.allSettled([ins.install(bytes), ins.install(bytes)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toMatchObject({ code: 'CHAINCODE_ALREADY_INSTALLED' });
    expect(loads).toHaveLength(1);
    expect(declared).toHaveLength(1);
  });

  test('a package the runtime cannot load is removed, not listed as installed, and its indexes are not declared', async () => {
    const ins = installer();
    loadFails = new ChaincodeError('CHAINCODE_FORBIDDEN_IMPORT', 'src/index.js imports "/etc/passwd"');
    await expect(ins.install(bytes)).rejects.toBe(loadFails);
    expect(ins.list()).toEqual([]);
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(declared).toEqual([]);
    // A later install tries again, as Fabric resets a failed build's status.
    loadFails = undefined;
    const { packageId } = await ins.install(bytes);
    expect(loads).toEqual([packageId, packageId]);
    expect(declared).toEqual([packageId]);
  });

  test('a second install of a package whose first install failed waits for it and then tries again', async () => {
    const launches: { resolve: () => void; reject: (err: Error) => void }[] = [];
    const ins = new ChaincodeInstaller(store, () => new Promise<void>((resolve, reject) => void launches.push({ resolve, reject })));
    const launched = async (n: number) => {
      while (launches.length < n) await new Promise((resolve) => setImmediate(resolve));
    };
    const first = ins.install(bytes);
    const second = ins.install(bytes);
    await launched(1);
    launches[0]?.reject(new Error('launch failed'));
    await expect(first).rejects.toThrow('launch failed');
    await launched(2);
    launches[1]?.resolve();
    const { packageId } = await second;
    expect(launches).toHaveLength(2);
    expect(ins.list()).toEqual([{ packageId, label: 'basic_1' }]);
  });

  test('after a restart (a new installer over the same store) the package installs again, as Fabric forgets its builds', async () => {
    const { packageId } = await installer().install(bytes);
    await expect(installer().install(bytes)).resolves.toEqual({ packageId, label: 'basic_1' });
  });

  test('bad bytes are refused before anything is written', async () => {
    await expect(installer().install(Buffer.from('not a package'))).rejects.toMatchObject({ code: 'CHAINCODE_BAD_PACKAGE' });
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
