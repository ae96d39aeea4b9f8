import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeChaincodePackage } from '../../../../core/chaincode/chaincode-package';
import { PackageStore } from '../../../../core/chaincode/package-store';

/** The file system calls the store makes, in order, each passed on to the real one. */
const calls: string[] = [];
jest.mock('node:fs', () => {
  const real = jest.requireActual<typeof fs>('node:fs');
  return {
    ...real,
    fsyncSync: (fd: number) => {
      calls.push('fsync');
      real.fsyncSync(fd);
    },
    renameSync: (from: fs.PathLike, to: fs.PathLike) => {
      calls.push(`rename ${path.basename(String(from)).slice(0, 11)} -> ${path.basename(String(to)).split('.')[0]}`);
      real.renameSync(from, to);
    },
  };
});

test('a package is on disk before its name is: temp file flushed, renamed into place, directory flushed', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-pkgstore-'));
  try {
    const bytes = await writeChaincodePackage({ path: 'p', type: 'node', label: 'basic_1' }, new Map([['src/package.json', Buffer.from('{}')]]));
    const store = new PackageStore(dir);
    calls.length = 0;
    await store.save(bytes);
    expect(calls).toEqual(['fsync', 'rename .ccpackage. -> basic_1', 'fsync']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
