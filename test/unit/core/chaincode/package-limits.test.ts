import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { readChaincodePackage, writeTar } from '../../../../core/chaincode/chaincode-package';
import { MAX_ENTRIES, MAX_PATH_BYTES, MAX_UNPACKED_BYTES } from '../../../../core/chaincode/package-archive';

const METADATA = Buffer.from('{"type":"node","label":"x_1","path":""}');

/** A tar whose entries are given raw tar-stream headers: links, devices, directories, odd names. */
async function rawTar(entries: { header: Parameters<ReturnType<typeof tar.pack>["entry"]>[0]; data?: Buffer }[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (c: unknown) => void chunks.push(c as Buffer));
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const { header, data } of entries) pack.entry({ mtime: new Date(0), ...header }, data ?? Buffer.alloc(0));
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

async function withCode(codeTar: Uint8Array): Promise<Buffer> {
  return gzipSync(await writeTar([['metadata.json', METADATA], ['code.tar.gz', gzipSync(codeTar)]]));
}

const PKG_JSON: [string, Uint8Array] = ['src/package.json', Buffer.from('{"name":"x","main":"index.js"}')];

describe('chaincode package limits on untrusted bytes', () => {
  test('a code.tar.gz that unpacks past the limit (a gzip bomb) is refused before it is all in memory', async () => {
    // Well under the 256 MiB the peer used to inflate in one piece, far over what a package needs.
    const bomb = await withCode(await writeTar([PKG_JSON, ['src/big.js', Buffer.alloc(MAX_UNPACKED_BYTES + 1)]]));
    expect(bomb.length).toBeLessThan(200_000);
    await expect(readChaincodePackage(bomb)).rejects.toMatchObject({
      code: 'CHAINCODE_BAD_PACKAGE',
      message: `code.tar.gz unpacks to more than ${MAX_UNPACKED_BYTES} bytes: refused as a possible gzip bomb`,
    });
  });

  test('an outer layer that unpacks past the limit is refused, even in an entry Fabric ignores', async () => {
    const code = gzipSync(await writeTar([PKG_JSON]));
    const bomb = gzipSync(await writeTar([['metadata.json', METADATA], ['code.tar.gz', code], ['padding.bin', Buffer.alloc(MAX_UNPACKED_BYTES)]]));
    await expect(readChaincodePackage(bomb)).rejects.toMatchObject({ code: 'CHAINCODE_BAD_PACKAGE', message: expect.stringContaining('chaincode package unpacks to more than') });
  });

  test('an entry Fabric ignores in the outer layer is accepted and not kept', async () => {
    const pkg = gzipSync(await writeTar([['metadata.json', METADATA], ['code.tar.gz', gzipSync(await writeTar([PKG_JSON]))], ['README', Buffer.from('hi')]]));
    await expect(readChaincodePackage(pkg)).resolves.toMatchObject({ metadata: { label: 'x_1' } });
  });

  test('more entries than the limit are refused', async () => {
    const entries: [string, Uint8Array][] = [PKG_JSON];
    for (let i = 0; i < MAX_ENTRIES; i++) entries.push([`src/f${i}.js`, Buffer.alloc(0)]);
    await expect(readChaincodePackage(await withCode(await writeTar(entries)))).rejects.toMatchObject({
      code: 'CHAINCODE_BAD_PACKAGE',
      message: `code.tar.gz holds more than ${MAX_ENTRIES} entries`,
    });
  });

  test.each([
    ['a path past the limit', `src/${'d/'.repeat(MAX_PATH_BYTES / 2)}x.js`, /has a path of \d+ bytes; at most 1024 are allowed/],
    ['a path segment longer than a file name can be', `src/${'a'.repeat(256)}.js`, /has a path segment of 259 bytes; at most 255 are allowed/],
    ['a NUL in a path', `src/${'n'.repeat(120)}\u0000.js`, /has a NUL character in its path/],
  ])('an entry with %s is refused', async (_what, name, message) => {
    await expect(readChaincodePackage(await withCode(await writeTar([PKG_JSON, [name, Buffer.from('1')]])))).rejects.toMatchObject({
      code: 'CHAINCODE_BAD_PACKAGE',
      message: expect.stringMatching(message),
    });
  });

  test.each([
    ['symlink', { name: 'src/key.pem', type: 'symlink', linkname: '/etc/shadow' }],
    ['link', { name: 'src/key.pem', type: 'link', linkname: 'src/package.json' }],
    ['character-device', { name: 'src/zero', type: 'character-device', devmajor: 1, devminor: 5 }],
    ['fifo', { name: 'src/pipe', type: 'fifo' }],
  ] as const)('a %s in code.tar.gz is refused', async (type, header) => {
    const codeTar = await rawTar([{ header: { name: PKG_JSON[0], size: PKG_JSON[1].length }, data: Buffer.from(PKG_JSON[1]) }, { header: { ...header } }]);
    await expect(readChaincodePackage(await withCode(codeTar))).rejects.toMatchObject({
      code: 'CHAINCODE_BAD_PACKAGE',
      message: `code.tar.gz: entry '${header.name}' is a ${type}; only regular files are allowed`,
    });
  });

  test.each(['../escape.js', '/etc/passwd', 'src/../../escape.js', 'src/a/../../../x.js'])('code.tar.gz entry %j is refused', async (name) => {
    await expect(readChaincodePackage(await withCode(await writeTar([PKG_JSON, [name, Buffer.from('1')]])))).rejects.toMatchObject({ code: 'CHAINCODE_BAD_PACKAGE' });
  });

  test.each(['src//index.js', 'src/./index.js', 'src/lib/'])('code.tar.gz file entry %j, which unpacks under another name, is refused', async (name) => {
    await expect(readChaincodePackage(await withCode(await writeTar([PKG_JSON, [name, Buffer.from('1')]])))).rejects.toMatchObject({
      code: 'CHAINCODE_BAD_PACKAGE',
      message: `code.tar.gz entry '${name}' has an empty or '.' path segment`,
    });
  });

  test('a directory in the outer layer is refused, as Fabric refuses any entry but a regular file there', async () => {
    const code = gzipSync(await writeTar([PKG_JSON]));
    const pkg = gzipSync(
      await rawTar([
        { header: { name: 'extra/', type: 'directory' } },
        { header: { name: 'metadata.json', size: METADATA.length }, data: METADATA },
        { header: { name: 'code.tar.gz', size: code.length }, data: code },
      ]),
    );
    await expect(readChaincodePackage(pkg)).rejects.toMatchObject({
      code: 'CHAINCODE_BAD_PACKAGE',
      message: "chaincode package: entry 'extra/' is a directory; only regular files are allowed",
    });
  });

  test('directories in code.tar.gz are accepted (Fabric packages list them)', async () => {
    const codeTar = await rawTar([
      { header: { name: 'src/', type: 'directory' } },
      { header: { name: PKG_JSON[0], size: PKG_JSON[1].length }, data: Buffer.from(PKG_JSON[1]) },
    ]);
    await expect(readChaincodePackage(await withCode(codeTar))).resolves.toMatchObject({ code: new Map([PKG_JSON]) });
  });

  test.each([
    ['a number for "path"', '{"type":"node","label":"x","path":7}', 'metadata.json field "path" must be a string, received number'],
    ['a number for "type"', '{"type":1,"label":"x"}', 'metadata.json field "type" must be a string, received number'],
    ['null', 'null', 'metadata.json must be a JSON object with string fields "type", "path" and "label", received null'],
    ['an array', '["x"]', 'metadata.json must be a JSON object with string fields "type", "path" and "label", received an array'],
  ])('metadata.json with %s is refused', async (_what, json, message) => {
    const pkg = gzipSync(await writeTar([['metadata.json', Buffer.from(json)], ['code.tar.gz', gzipSync(await writeTar([PKG_JSON]))]]));
    await expect(readChaincodePackage(pkg)).rejects.toMatchObject({ code: 'CHAINCODE_BAD_PACKAGE', message });
  });
});
