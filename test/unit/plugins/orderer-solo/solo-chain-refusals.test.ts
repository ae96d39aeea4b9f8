import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Block } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { LedgerError } from '../../../../core/errors';
import { NodeLogging } from '../../../../core/node/logger';
import { MemoryConsenterSupport, testEnvelope } from '../../../../core/orderer/conformance';
import { SoloChain, SoloWal } from '../../../../plugins/orderer-solo';

/** A channel whose block store reports a full disk while `diskFull` is set, storing nothing. */
class DiskFullSupport extends MemoryConsenterSupport {
  diskFull = false;
  override writeBlock(block: Block, consenterMetadata?: Uint8Array): Promise<void> {
    if (this.diskFull) return Promise.reject(new LedgerError('LEDGER_DISK_FULL', 'block append failed: no space left on device in /ledger (SQLITE_FULL); free space on that filesystem', { path: '/ledger' }));
    return super.writeBlock(block, consenterMetadata);
  }
}

describe('SoloChain refusals', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-solo-refusals-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function open(support: MemoryConsenterSupport) {
    const { wal } = SoloWal.open(path.join(dir, 'solo'), false);
    const logger = new NodeLogging('silent').logger('orderer.consensus.solo');
    const chain = new SoloChain(support, wal, [], 0, { maxQueued: 100, walTruncateBytes: 1 << 20, diskFullDelaysMs: { first: 20, max: 40 } }, logger);
    chain.start();
    return { wal, chain };
  }

  it('never orders an envelope whose WAL write failed, nor replays it after a restart', async () => {
    const support = new MemoryConsenterSupport({ consenterDir: dir, batchSize: { maxMessageCount: 2 } });
    const { wal, chain } = open(support);
    await chain.order(testEnvelope('a'), 0);
    // The WAL's file descriptor swapped for /dev/full: its next write fails with a real ENOSPC.
    const fields = wal as unknown as { fd: number };
    const walFd = fields.fd;
    fields.fd = fs.openSync('/dev/full', 'w');
    await expect(chain.order(testEnvelope('refused'), 0)).rejects.toMatchObject({ code: 'ORDERER_WAL_WRITE', details: { errno: 'ENOSPC' } });
    fs.closeSync(fields.fd);
    fields.fd = walFd;
    await chain.order(testEnvelope('c'), 0);
    await support.waitForHeight(2);
    expect(support.tagsOf(1)).toEqual(['a', 'c']);
    await chain.halt();
    const reopened = SoloWal.open(path.join(dir, 'solo'), false);
    await reopened.wal.close();
    expect(reopened.records.map((r) => Buffer.from(r.envelope).equals(Buffer.from(testEnvelope('refused').serializeBinary())))).toEqual([false, false]);
  });

  it('retries a block write that found the disk full, refusing new envelopes meanwhile, and resumes once space is freed', async () => {
    const support = new DiskFullSupport({ consenterDir: dir, batchSize: { maxMessageCount: 2 } });
    const { chain } = open(support);
    support.diskFull = true;
    // Both are in the WAL: acknowledged, and ordered once the block can be written.
    await Promise.all([chain.order(testEnvelope('a'), 0), chain.order(testEnvelope('b'), 0)]);
    await new Promise((r) => setTimeout(r, 50));
    expect(chain.errored().aborted).toBe(false);
    expect(chain.pausedBy()).toMatchObject({ code: 'LEDGER_DISK_FULL' });
    const refusal = { code: 'ORDERER_BUSY', message: expect.stringContaining('is paused: block append failed: no space left on device in /ledger') as unknown };
    await expect(chain.waitReady()).rejects.toMatchObject(refusal);
    await expect(chain.order(testEnvelope('while-full'), 0)).rejects.toMatchObject(refusal);
    support.diskFull = false;
    await support.waitForHeight(2);
    expect(support.tagsOf(1)).toEqual(['a', 'b']);
    // The pause ends when the write's promise settles, a few ticks after the block is stored.
    while (chain.pausedBy() !== undefined) await new Promise((r) => setImmediate(r));
    await chain.waitReady();
    await Promise.all([chain.order(testEnvelope('c'), 0), chain.order(testEnvelope('d'), 0)]);
    await support.waitForHeight(3);
    expect(support.tagsOf(2)).toEqual(['c', 'd']);
    await chain.halt();
  });
});
