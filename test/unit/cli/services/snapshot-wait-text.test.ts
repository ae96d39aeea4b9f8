import { describe, expect, it } from '@jest/globals';
import { snapshotWaitText, snapshotWaitTimeout } from '../../../../cli/services/snapshot/snapshot-wait-text';

/**
 * `weft snapshot submit --wait` while a peer still lists the request. A request at the last
 * committed block (`--block 0` among them) is served at once, as Fabric's `SubmitSnapshotRequest`
 * does: the peer is writing the snapshot, not waiting for the block. The wait said "the snapshot is
 * written when block 7 commits" of a block committed already, and on timeout "had not reached block 7"
 * with a suggestion to submit transactions, which would not help.
 */
describe('what snapshot submit --wait says while a peer still lists its request', () => {
  const peer = { id: 'peer0.org1.example.com', logFile: '/net/nodes/peer0.org1.example.com/peer.log' };

  it('for a block not committed yet: the height, and that the snapshot is written when the block commits', () => {
    expect(snapshotWaitText(peer.id, 7, 5)).toBe('peer0.org1.example.com: at height 5; the snapshot is written when block 7 commits');
    expect(snapshotWaitText(peer.id, 7, 7)).toBe('peer0.org1.example.com: at height 7; the snapshot is written when block 7 commits');
    const err = snapshotWaitTimeout('/net', 'mychannel', peer, 7, 5, 300_000);
    expect(err).toMatchObject({ code: 'SNAPSHOT_WAIT_TIMEOUT', message: 'peer0.org1.example.com had not reached block 7 of mychannel after 300s (height 5); the request stays pending' });
    expect(err.details.suggestions).toEqual(['blocks are cut when transactions come: submit some, or wait longer with --timeout', 'cancel it with: weft snapshot cancel /net --block 7 --peer peer0.org1.example.com']);
  });

  it('for a block committed already (the last one, served at once): that the peer is writing the snapshot', () => {
    expect(snapshotWaitText(peer.id, 7, 8)).toBe('peer0.org1.example.com: block 7 is committed; writing the snapshot');
    // Later blocks do not change what it is doing.
    expect(snapshotWaitText(peer.id, 7, 12)).toBe(snapshotWaitText(peer.id, 7, 8));
    const err = snapshotWaitTimeout('/net', 'mychannel', peer, 7, 8, 300_000);
    expect(err.message).toBe('peer0.org1.example.com was still writing its snapshot of block 7 of mychannel after 300s (block 7 committed, height 8); the request stays pending until the snapshot is written');
    expect(err.details.suggestions).toEqual([
      'wait longer with --timeout, or see when it is done: weft snapshot list /net --peer peer0.org1.example.com',
      "see its progress in the peer's log: /net/nodes/peer0.org1.example.com/peer.log",
    ]);
  });
});
