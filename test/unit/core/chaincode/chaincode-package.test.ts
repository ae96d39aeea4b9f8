import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import {
  couchdbIndexes,
  packageIdOf,
  parsePackageId,
  readChaincodePackage,
  validateLabel,
  writeChaincodePackage,
  writeTar,
} from '../../../../core/chaincode/chaincode-package';
import { ChaincodeError } from '../../../../core/errors';

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
    expect(couchdbIndexes(pkg)).toEqual([{ name: 'indexOwner.json', content: '{"index":{"fields":["owner"]}}' }]);
    expect(parsePackageId(id)).toEqual({ label: 'basic_1.0', hash: id.split(':')[1] });
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
});
