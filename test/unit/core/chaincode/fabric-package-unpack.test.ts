import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readChaincodePackage, writeChaincodePackage } from '../../../../core/chaincode/chaincode-package';
import { bundleFabricPackage } from '../../../../core/chaincode/packager';

test("a Fabric package naming one path as a file and as a directory is refused with CHAINCODE_BAD_PACKAGE, naming no path of the peer's", async () => {
  const pkg = await readChaincodePackage(
    await writeChaincodePackage(
      { path: 'p', type: 'node', label: 'x' },
      new Map([
        ['src/package.json', Buffer.from('{"name":"x","main":"index.js"}')],
        ['src/index.js', Buffer.from('module.exports = {}')],
        ['src/lib', Buffer.from('x')],
        ['src/lib/a.js', Buffer.from('x')],
      ]),
    ),
  );
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-unpack-'));
  try {
    const err = await bundleFabricPackage(pkg, work).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'CHAINCODE_BAD_PACKAGE', message: `package ${pkg.packageId} cannot be unpacked: code.tar.gz holds 'src/lib' as a file and 'src/lib/a.js' under it` });
    expect(fs.readdirSync(work)).toEqual([]);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});
