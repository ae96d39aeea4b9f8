import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkpointers } from '@hyperledger/fabric-gateway';
import { checkpointHeaderPath, planCheckpoint } from '../../../../../cli/services/events/events-checkpoint';

/** The syncs and renames the checkpoint makes, in order, each passed on to the real call; fsyncs name the file they flushed. */
const calls: string[] = [];
const opened = new Map<number, string>();
const name = (p: fs.PathLike): string => {
  const base = path.basename(String(p));
  return base.endsWith('.tmp') ? `${base.split('.')[0]}(temp)` : base.startsWith('weft-durable-') ? 'folder' : base;
};
jest.mock('node:fs', () => {
  const real = jest.requireActual<typeof fs>('node:fs');
  return {
    ...real,
    openSync: (p: fs.PathLike, flags: fs.OpenMode = 'r', mode?: fs.Mode) => {
      const fd = real.openSync(p, flags, mode);
      opened.set(fd, name(p));
      return fd;
    },
    fsyncSync: (fd: number) => {
      calls.push(`fsync ${opened.get(fd) ?? '?'}`);
      real.fsyncSync(fd);
    },
    renameSync: (from: fs.PathLike, to: fs.PathLike) => {
      calls.push(`rename ${name(from)} -> ${name(to)}`);
      real.renameSync(from, to);
    },
  };
});

describe('an events checkpoint is durable once saved', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-durable-'));
    calls.length = 0;
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('flushes each position before renaming it into place, then the folder: a crash leaves the old position or the new, whole', async () => {
    const file = path.join(dir, 'cp');
    const checkpointer = await planCheckpoint(file, { stream: 'chaincode', channel: 'mychannel', chaincode: 'kv' }).open();
    expect(calls).toEqual(['fsync cp(temp)', 'rename cp(temp) -> cp.header.json', 'fsync folder']);
    calls.length = 0;
    await checkpointer.checkpointTransaction(4n, 'tx-a');
    await checkpointer.checkpointChaincodeEvent({ blockNumber: 5n, transactionId: 'tx-b', chaincodeName: 'kv', eventName: 'e', payload: new Uint8Array() });
    const save = ['fsync cp(temp)', 'rename cp(temp) -> cp', 'fsync folder'];
    expect(calls).toEqual([...save, ...save]);
    expect(fs.readdirSync(dir).sort()).toEqual(['cp', path.basename(checkpointHeaderPath(file))]);
    // Still fabric-gateway's format: its own file checkpointer resumes from it.
    const client = await checkpointers.file(file);
    expect([client.getBlockNumber(), client.getTransactionId()]).toEqual([5n, 'tx-b']);
  });
});
