import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeChaincodePackage } from '../../../../core/chaincode/chaincode-package';
import { PackageStore } from '../../../../core/chaincode/package-store';

describe('PackageStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-pkgstore-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('keeps packages as <label>.<hash>.tar.gz and serves them back', async () => {
    const bytes = await writeChaincodePackage({ path: 'p', type: 'node', label: 'basic_1.0' }, new Map([['src/package.json', Buffer.from('{}')]]));
    const store = new PackageStore(dir);
    const { packageId, label } = await store.save(bytes);
    expect(label).toBe('basic_1.0');
    const hash = packageId.split(':')[1];
    expect(fs.readdirSync(dir)).toEqual([`basic_1.0.${hash}.tar.gz`]);
    expect(Buffer.from(store.load(packageId)).equals(Buffer.from(bytes))).toBe(true);
    expect(new PackageStore(dir).list()).toEqual([{ packageId, label: 'basic_1.0' }]);
    await store.save(bytes);
    expect(fs.readdirSync(dir)).toHaveLength(1);
    fs.writeFileSync(path.join(dir, `basic_1.0.${hash}.tar.gz`), 'tampered');
    expect(() => store.load(packageId)).toThrow(/does not hash to/);
    store.remove(packageId);
    expect(store.list()).toEqual([]);
    expect(() => store.load(packageId)).toThrow(`chaincode package '${packageId}' is not installed`);
  });
});
