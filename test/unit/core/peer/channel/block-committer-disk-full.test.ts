import type { Block } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { LedgerError } from '../../../../../core/errors';
import { setTransactionsFilter, type ParsedBlock } from '../../../../../core/protocol/block';
import { BlockCommitter, type CommitFailure } from '../../../../../core/peer/channel/block-committer';
import { Channel, type CommittedBlock } from '../../../../../core/peer/channel/channel';
import type { ChannelResources } from '../../../../../core/peer/channel/channel-resources';
import type { CommitResult, PeerLedger } from '../../../../../core/peer/channel/peer-ledger';
import type { BlockValidation, BlockValidator } from '../../../../../core/peer/validation/block-validator';
import { BlockBytesLedger, blockChain, recordingLogger } from '../../../../support/committer-fixture';

const diskFull = () => new LedgerError('LEDGER_DISK_FULL', 'state commit failed: no space left on device in /ledger (SQLITE_FULL); free space on that filesystem', { path: '/ledger' });

/**
 * A ledger of stored block bytes whose next commits fail as `failNext` says: 'full' stores
 * nothing, 'stored' stores the block and then fails (its state did not follow), 'broken' is an
 * I/O error other than a full disk.
 */
class ScriptedLedger extends BlockBytesLedger {
  failNext: ('full' | 'stored' | 'broken')[] = [];
  tries = 0;
  commit(block: Block, flags: Uint8Array): CommitResult {
    this.tries++;
    const n = block.getHeader()!.getNumber();
    if (n !== this.blocks.length) throw new LedgerError('LEDGER_BLOCK_OUT_OF_ORDER', `expected block ${this.blocks.length}, received block ${n}`);
    const failure = this.failNext.shift();
    if (failure === 'full') throw diskFull();
    if (failure === 'broken') throw new LedgerError('LEDGER_STORE_FAILED', 'block commit failed in /ledger: disk I/O error');
    setTransactionsFilter(block, flags);
    const blockBytes = block.serializeBinary();
    this.blocks.push(blockBytes);
    if (failure === 'stored') throw diskFull();
    return { blockNum: n, flags, blockBytes, seconds: { processing: 0, storageCommit: 0 } };
  }
}

/** Every transaction valid: the committer's validation is not what these tests are about. */
const validator = {
  validate: (block: ParsedBlock): Promise<BlockValidation> => {
    const n = block.block.getData()!.getDataList().length;
    return Promise.resolve({ flags: new Uint8Array(n), configIndex: undefined, reasons: new Map(), txIds: [], kinds: [], pvtWrites: [] });
  },
} as unknown as BlockValidator;

function setup() {
  const ledger = new ScriptedLedger();
  const { logger, logs } = recordingLogger();
  const channel = new Channel('ch1', ledger as unknown as PeerLedger, {} as ChannelResources);
  const published: CommittedBlock[] = [];
  channel.onBlock((b) => published.push(b));
  const committer = new BlockCommitter(channel, validator, () => ({}) as ChannelResources, logger, 'Org1MSP', undefined, undefined, { first: 10, max: 40 });
  const next = blockChain();
  return { ledger, logs, committer, published, next };
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 5));
}

describe('BlockCommitter on a full disk', () => {
  it('retries the same block with backoff, reports the pause meanwhile, logs it once, and commits once space is freed', async () => {
    const { ledger, logs, committer, published, next } = setup();
    await committer.commit(next());
    const failures: CommitFailure[] = [];
    committer.onFailure((f) => failures.push(f));
    ledger.failNext = ['full', 'full', 'full'];
    const block1 = next();
    const committing = committer.commit(block1);
    await until(() => ledger.tries >= 3);
    expect(committer.failure()).toMatchObject({ blockNum: 1, paused: true, error: { code: 'LEDGER_DISK_FULL' } });
    expect(failures).toHaveLength(1);
    await committing;
    expect(ledger.tries).toBe(5);
    expect(committer.failure()).toBeUndefined();
    expect(published.map((b) => b.number)).toEqual([0, 1]);
    expect(logs.filter((l) => l.level === 'error')).toHaveLength(1);
    // Each block's own "committed block n" line aside, one info entry says the channel commits again.
    expect(logs.filter((l) => l.level === 'info' && !l.msg.startsWith('committed block ')).map((l) => l.msg)).toEqual([expect.stringContaining('block committed after the disk was full')]);
    await committer.commit(next());
    expect(ledger.height()).toBe(3);
  });

  it('takes a block the ledger stored before its state write found the disk full as committed, with its stored flags', async () => {
    const { ledger, committer, published, next } = setup();
    await committer.commit(next());
    ledger.failNext = ['stored'];
    await committer.commit(next());
    expect(ledger.tries).toBe(2);
    expect(published.map((b) => [b.number, [...b.flags]])).toEqual([
      [0, [0]],
      [1, [0]],
    ]);
    expect(committer.failure()).toBeUndefined();
  });

  it('stops the channel on any other storage failure, as before', async () => {
    const { ledger, committer, next } = setup();
    const failures: CommitFailure[] = [];
    committer.onFailure((f) => failures.push(f));
    ledger.failNext = ['broken'];
    await expect(committer.commit(next())).rejects.toMatchObject({ code: 'LEDGER_STORE_FAILED' });
    expect(committer.failure()).toMatchObject({ blockNum: 0, error: { code: 'LEDGER_STORE_FAILED' } });
    expect(committer.failure()?.paused).toBeUndefined();
    expect(failures).toHaveLength(1);
    await expect(committer.commit(next())).rejects.toMatchObject({ code: 'LEDGER_STORE_FAILED' });
    expect(ledger.tries).toBe(1);
  });
});
