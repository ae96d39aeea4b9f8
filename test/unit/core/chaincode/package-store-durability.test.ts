import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeChaincodePackage } from '../../../../core/chaincode/chaincode-package';
import { PackageStore } from '../../../../core/chaincode/package-store';

const CODE = new Map([['src/package.json', Buffer.from('{"name":"x","main":"index.js"}')]]);
const HASH = 'a'.repeat(64);

describe('PackageStore against crashes and hostile names', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-pkgstore-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a package file left torn by a crash is written again by the next install, not taken as installed', async () => {
    const bytes = await writeChaincodePackage({ path: 'p', type: 'node', label: 'basic_1' }, CODE);
    const store = new PackageStore(dir);
    const { packageId } = await store.save(bytes);
    const file = path.join(dir, fs.readdirSync(dir)[0] as string);
    fs.truncateSync(file, 10);
    expect(() => store.load(packageId)).toThrow(/does not hash to/);
    await store.save(bytes);
    expect(Buffer.from(store.load(packageId)).equals(Buffer.from(bytes))).toBe(true);
  });

  test('temp files a crash left are removed when the store opens and are never listed', async () => {
    fs.writeFileSync(path.join(dir, '.ccpackage.0123abcd'), 'half');
    fs.writeFileSync(path.join(dir, `basic_1.${HASH}.tar.gz.4242.tmp`), 'half');
    const store = new PackageStore(dir);
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(store.list()).toEqual([]);
  });

  test('a label too long for a file name is refused with CHAINCODE_BAD_LABEL and nothing is written', async () => {
    const bytes = await writeChaincodePackage({ path: 'p', type: 'node', label: 'l'.repeat(200) }, CODE);
    const store = new PackageStore(dir);
    await expect(store.save(bytes)).rejects.toMatchObject({ code: 'CHAINCODE_BAD_LABEL', message: expect.stringContaining('a label may have at most 183') });
    expect(fs.readdirSync(dir)).toEqual([]);
    const longest = await writeChaincodePackage({ path: 'p', type: 'node', label: 'l'.repeat(183) }, CODE);
    await expect(store.save(longest)).resolves.toMatchObject({ label: 'l'.repeat(183) });
  });

  test.each([
    `../../etc/passwd:${HASH}`,
    `..:${HASH}`,
    `a/../../b:${HASH}`,
    `/etc/passwd:${HASH}`,
    `basic_1:../../${HASH}`,
    `basic_1:${HASH}/../../x`,
    'basic_1',
    `basic_1\u0000:${HASH}`,
  ])('package ID %j reaches no file: load and remove refuse it with CHAINCODE_BAD_PACKAGE_ID', (id) => {
    const outside = path.join(dir, 'outside');
    fs.mkdirSync(outside);
    const store = new PackageStore(path.join(outside, 'store'));
    expect(() => store.load(id)).toThrow(expect.objectContaining({ code: 'CHAINCODE_BAD_PACKAGE_ID' }));
    expect(() => store.remove(id)).toThrow(expect.objectContaining({ code: 'CHAINCODE_BAD_PACKAGE_ID' }));
  });
});
