import { status as GrpcStatus } from '@grpc/grpc-js';
import { LedgerError } from '../../../../../core/errors';
import type { CommitFailure } from '../../../../../core/peer/channel/block-committer';
import { Channel } from '../../../../../core/peer/channel/channel';
import type { ChannelResources } from '../../../../../core/peer/channel/channel-resources';
import type { PeerLedger } from '../../../../../core/peer/channel/peer-ledger';
import { type CommitProgress, CommitWaiter } from '../../../../../core/peer/gateway/commit-waiter';

/** A committer as the waiter sees it: its failure, settable, and word of each new one. */
class Progress implements CommitProgress {
  private failed: CommitFailure | undefined;
  private readonly listeners = new Set<(f: CommitFailure) => void>();
  failure(): CommitFailure | undefined {
    return this.failed;
  }
  onFailure(listener: (f: CommitFailure) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  fail(failure: CommitFailure | undefined): void {
    this.failed = failure;
    if (failure !== undefined) for (const l of this.listeners) l(failure);
  }
}

const paused: CommitFailure = { blockNum: 7, paused: true, error: new LedgerError('LEDGER_DISK_FULL', 'state commit failed: no space left on device in /ledger (SQLITE_FULL); free space on that filesystem') };

function setup() {
  const ledger = { getTxLocation: (txId: string) => (txId === 'committed' ? { blockNum: 3, txNum: 0, validationCode: 0 } : undefined) };
  const channel = new Channel('ch1', ledger as unknown as PeerLedger, {} as ChannelResources);
  const progress = new Progress();
  return { channel, progress, waiter: new CommitWaiter(channel, progress) };
}

describe('CommitWaiter while the committer is not committing', () => {
  it('rejects pending waits at once with UNAVAILABLE and the committer error when the committer pauses or stops', async () => {
    const { progress, waiter } = setup();
    const pending = waiter.wait('tx1');
    progress.fail(paused);
    await expect(pending).rejects.toMatchObject({
      code: GrpcStatus.UNAVAILABLE,
      message: 'channel ch1 on this peer is not committing blocks: its committer is paused until disk space is freed at block 7: state commit failed: no space left on device in /ledger (SQLITE_FULL); free space on that filesystem',
    });
    waiter.close();
  });

  it('answers a new wait at once while paused, unless the transaction is already committed, and waits again once it resumes', async () => {
    const { channel, progress, waiter } = setup();
    progress.fail(paused);
    await expect(waiter.wait('tx2')).rejects.toMatchObject({ code: GrpcStatus.UNAVAILABLE });
    await expect(waiter.wait('committed')).resolves.toEqual({ validationCode: 0, blockNumber: 3 });
    progress.fail(undefined);
    const waiting = waiter.wait('tx3');
    channel.publish({ number: 8, block: undefined as never, bytes: new Uint8Array(0), flags: Uint8Array.from([0]), txIds: ['tx3'] });
    await expect(waiting).resolves.toEqual({ validationCode: 0, blockNumber: 8 });
    waiter.close();
  });

  it('says the committer stopped when it did not pause', async () => {
    const { progress, waiter } = setup();
    progress.fail({ blockNum: 2, error: new Error('disk I/O error') });
    await expect(waiter.wait('tx4')).rejects.toMatchObject({ code: GrpcStatus.UNAVAILABLE, message: expect.stringContaining('its committer has stopped at block 2: disk I/O error') as unknown });
    waiter.close();
  });
});
