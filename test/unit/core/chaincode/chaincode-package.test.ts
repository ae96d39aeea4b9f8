import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import {
  packageIdOf,
  parsePackageId,
  readChaincodePackage,
  stateDbIndexes,
  validateLabel,
  writeChaincodePackage,
  writeTar,
} from '../../../../core/chaincode/chaincode-package';
import { ChaincodeError } from '../../../../core/errors';
import { seededRandom } from '../../../support/seeded-random';

const code = new Map<string, Uint8Array>([
  ['src/package.json', Buffer.from('{"name":"x","main":"index.js"}')],
  ['src/index.js', Buffer.from('module.exports = {}')],
  ['META-INF/statedb/couchdb/indexes/indexOwner.json', Buffer.from('{"index":{"fields":["owner"]}}')],
]);

describe('chaincode package format', () => {
  test.each(['basic_1.0', 'a', 'A+b-c.d_e', '9lives'])('label %s is valid', (label) => {
    expect(() => validateLabel(label)).not.toThrow();
  });
  test.each(['', '_x', '.x', 'a b', 'a:b', 'é'])('label %j is refused', (label) => {
    expect(() => validateLabel(label)).toThrow(/must match \^\[\[:alnum:\]\]\[\[:alnum:\]_\.\+-\]\*\$/);
  });

  test('package ID is label:hex(sha256(package bytes)), round-trips through read', async () => {
    const bytes = await writeChaincodePackage({ path: 'basic', type: 'node', label: 'basic_1.0' }, code);
    const id = packageIdOf('basic_1.0', bytes);
    expect(id).toBe(`basic_1.0:${createHash('sha256').update(bytes).digest('hex')}`);
    const pkg = await readChaincodePackage(bytes);
    expect(pkg.packageId).toBe(id);
    expect(pkg.metadata).toEqual({ path: 'basic', type: 'node', label: 'basic_1.0' });
    expect([...pkg.code.keys()].sort()).toEqual([...code.keys()].sort());
    expect(stateDbIndexes(pkg)).toEqual({ chaincode: [{ name: 'indexOwner.json', content: '{"index":{"fields":["owner"]}}' }], collections: new Map() });
    expect(parsePackageId(id)).toEqual({ label: 'basic_1.0', hash: id.split(':')[1] });
  });

  test("index files: the chaincode's and each collection's, in file name order; other META-INF files are not indexes", async () => {
    const files = new Map<string, Uint8Array>([
      ...code,
      ['META-INF/statedb/couchdb/indexes/aByColor.json', Buffer.from('{"index":{"fields":["color"]}}')],
      ['META-INF/statedb/couchdb/indexes/nested/deep.json', Buffer.from('{}')],
      ['META-INF/statedb/couchdb/collections/shared/indexes/z.json', Buffer.from('{"z":1}')],
      ['META-INF/statedb/couchdb/collections/shared/indexes/a.json', Buffer.from('{"a":1}')],
      ['META-INF/statedb/couchdb/collections/bad name/indexes/x.json', Buffer.from('{}')],
      ['META-INF/statedb/couchdb/collections/other/x.json', Buffer.from('{}')],
      ['META-INF/metadata.json', Buffer.from('{}')],
    ]);
    const pkg = await readChaincodePackage(await writeChaincodePackage({ path: 'p', type: 'node', label: 'l' }, files));
    const found = stateDbIndexes(pkg);
    expect(found.chaincode.map((f) => f.name)).toEqual(['aByColor.json', 'indexOwner.json']);
    expect([...found.collections].map(([c, list]) => [c, list.map((f) => `${f.name}=${f.content}`)])).toEqual([['shared', ['a.json={"a":1}', 'z.json={"z":1}']]]);
  });

  test('the same inputs give the same bytes (no timestamps leak in)', async () => {
    const a = await writeChaincodePackage({ path: 'p', type: 'node', label: 'l' }, code);
    const b = await writeChaincodePackage({ path: 'p', type: 'node', label: 'l' }, new Map([...code.entries()].reverse()));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  test('bad packages are refused with a reason', async () => {
    await expect(readChaincodePackage(Buffer.from('not gzip'))).rejects.toThrow(/not gzip data/);
    const noCode = gzipSync(await writeTar([['metadata.json', Buffer.from('{"type":"node","label":"x"}')]]));
    await expect(readChaincodePackage(noCode)).rejects.toThrow('chaincode package must hold metadata.json and code.tar.gz; found [metadata.json]');
    const outside = gzipSync(
      await writeTar([
        ['metadata.json', Buffer.from('{"type":"node","label":"x"}')],
        ['code.tar.gz', gzipSync(await writeTar([['etc/passwd', Buffer.from('x')]]))],
      ]),
    );
    await expect(readChaincodePackage(outside)).rejects.toThrow("code.tar.gz entry 'etc/passwd' is outside src/ and META-INF/");
    const noPkgJson = gzipSync(
      await writeTar([
        ['metadata.json', Buffer.from('{"type":"node","label":"x"}')],
        ['code.tar.gz', gzipSync(await writeTar([['src/index.js', Buffer.from('x')]]))],
      ]),
    );
    await expect(readChaincodePackage(noPkgJson)).rejects.toThrow('a node chaincode package must hold src/package.json');
    const badLabel = gzipSync(await writeTar([['metadata.json', Buffer.from('{"type":"node","label":"bad label"}')], ['code.tar.gz', gzipSync(await writeTar([]))]]));
    await expect(readChaincodePackage(badLabel)).rejects.toBeInstanceOf(ChaincodeError);
    expect(() => parsePackageId('nohash')).toThrow(/expected <label>:<64 hex digits>/);
  });

  test('refuses a tar cut short inside an entry, at either layer, with CHAINCODE_BAD_PACKAGE', async () => {
    const metadata = Buffer.from('{"type":"node","label":"x_1"}');
    const codeTarGz = gzipSync(await writeTar([...code.entries()]));
    const outer = await writeTar([['metadata.json', metadata], ['code.tar.gz', codeTarGz]]);
    // 512 header bytes and a few of code.tar.gz's data: the entry's stream ends early.
    const cutOuter = gzipSync(outer.subarray(0, 1024 + 512 + 20));
    await expect(readChaincodePackage(cutOuter)).rejects.toMatchObject({ code: 'CHAINCODE_BAD_PACKAGE', message: expect.stringMatching(/chaincode package is not a valid tar archive/) });
    const innerTar = await writeTar([...code.entries()]);
    const cutInner = gzipSync(await writeTar([['metadata.json', metadata], ['code.tar.gz', gzipSync(innerTar.subarray(0, 512 + 10))]]));
    await expect(readChaincodePackage(cutInner)).rejects.toMatchObject({ code: 'CHAINCODE_BAD_PACKAGE', message: expect.stringMatching(/code.tar.gz is not a valid tar archive/) });
  });

  test('reads or refuses with CHAINCODE_BAD_PACKAGE 300 randomly damaged packages', async () => {
    const rnd = seededRandom(0x7a2);
    const metadata = Buffer.from('{"type":"node","label":"x_1"}');
    const innerTar = await writeTar([...code.entries()]);
    const damage = (b: Uint8Array): Uint8Array => {
      const out = Buffer.from(b);
      const at = Math.floor(rnd() * out.length);
      if (rnd() < 0.4) return out.subarray(0, at);
      for (let i = 0; i < 4; i++) out[Math.floor(rnd() * out.length)] = Math.floor(rnd() * 256);
      return out;
    };
    const outcomes = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const inner = rnd() < 0.5 ? damage(innerTar) : innerTar;
      const outer = await writeTar([['metadata.json', metadata], ['code.tar.gz', gzipSync(inner)]]);
      const pkg = rnd() < 0.5 ? gzipSync(damage(outer)) : damage(gzipSync(outer));
      outcomes.add(
        await readChaincodePackage(pkg).then(
          () => 'read',
          (err: unknown) => (err instanceof ChaincodeError ? err.code : `untyped: ${String(err)}`),
        ),
      );
    }
    expect([...outcomes].filter((o) => o !== 'read')).toEqual(['CHAINCODE_BAD_PACKAGE']);
  });
});

