import { describe, expect, it } from '@jest/globals';
import type { CommittedBlock } from '../../../../../core/peer/channel/channel';
import { RecentBlocks } from '../../../../../core/peer/gateway/chaincode-event-stream';

const committed = (number: number): CommittedBlock => ({ number }) as CommittedBlock;

describe('RecentBlocks', () => {
  it('keeps only the first blocks committed while the stream is busy', () => {
    const recent = new RecentBlocks(4);
    for (let n = 10; n < 1010; n++) recent.add(committed(n));
    expect(recent.size).toBe(4);
    expect(recent.take(10)?.number).toBe(10);
    expect(recent.take(13)?.number).toBe(13); // 11 and 12 are forgotten on the way
    expect(recent.size).toBe(0);
    expect(recent.take(14)).toBeUndefined(); // dropped: the stream reads it from the ledger
  });

  it('has room again once the stream catches up, and skips blocks it no longer needs', () => {
    const recent = new RecentBlocks(2);
    recent.add(committed(1));
    recent.add(committed(2));
    recent.add(committed(3)); // dropped
    expect(recent.take(3)).toBeUndefined();
    recent.add(committed(4));
    expect(recent.take(4)?.number).toBe(4);
  });
});
