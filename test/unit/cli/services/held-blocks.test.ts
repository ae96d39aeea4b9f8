import { describe, expect, it } from '@jest/globals';
import { heldBlocks } from '../../../../cli/services/block/block-source';

/**
 * `weft channel info --peer <p>` right after `weft network add-peer --snapshot` printed "it holds
 * blocks 9…8", and `block show` "has 9 blocks (9…8)": a peer joined from a snapshot at its newest
 * block holds none yet.
 */
describe('the blocks a peer holds, in words', () => {
  it('is a range when the peer holds blocks', () => {
    expect(heldBlocks(0, 5)).toBe('blocks 0…4');
    expect(heldBlocks(9, 19)).toBe('blocks 9…18');
    expect(heldBlocks(9, 10)).toBe('blocks 9…9');
  });

  it('says none yet, and which comes first, for a peer joined from a snapshot at its newest block', () => {
    expect(heldBlocks(9, 9)).toBe('no block yet (its first will be block 9)');
  });
});
