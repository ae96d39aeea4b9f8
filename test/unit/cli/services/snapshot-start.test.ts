import { describe, expect, it } from '@jest/globals';
import { snapshotStart } from '../../../../cli/services/block/block-source';

/**
 * After `weft network prune ./net --block 299 --node peer0.org1.example.com`, `weft network status`
 * said the peer was "joined from a snapshot at block 299": it had been pruned, and joined from the
 * genesis block. qscc tells the two apart for no one, so the words name both.
 */
describe('a peer whose ledger starts after a snapshot', () => {
  it('reads as joined from the snapshot or pruned to it', () => {
    expect(snapshotStart(299)).toBe('ledger from the snapshot at block 299, joined from it or pruned to it');
  });
});
