import { SeekInfo, SeekPosition } from '@hyperledger/fabric-protos/lib/orderer/ab_pb';
import { seekPosition } from '../../../../support/seek-position';
import { resolveSeek } from '../../../../../core/peer/deliver/seek-range';

function seek(start: SeekPosition | undefined, stop: SeekPosition | undefined, failIfNotReady = false): SeekInfo {
  const s = new SeekInfo();
  if (start !== undefined) s.setStart(start);
  if (stop !== undefined) s.setStop(stop);
  if (failIfNotReady) s.setBehavior(SeekInfo.SeekBehavior.FAIL_IF_NOT_READY);
  return s;
}

describe('resolveSeek', () => {
  it('resolves oldest, newest, specified and next-commit against the height', () => {
    expect(resolveSeek(seek(seekPosition('oldest'), seekPosition('newest')), 5)).toEqual({ start: 0, stop: 4, failIfNotReady: false, bestEffort: false, headersOnly: false });
    expect(resolveSeek(seek(seekPosition(2), seekPosition(3), true), 5)).toMatchObject({ start: 2, stop: 3, failIfNotReady: true });
    expect(resolveSeek(seek(seekPosition('next'), seekPosition(Number.MAX_SAFE_INTEGER)), 5)).toMatchObject({ start: 5, stop: Infinity });
  });

  it('reads HEADER_WITH_SIG as headers only', () => {
    const headers = seek(seekPosition('oldest'), seekPosition('newest'));
    headers.setContentType(SeekInfo.SeekContentType.HEADER_WITH_SIG);
    expect(resolveSeek(headers, 5)).toMatchObject({ headersOnly: true });
  });

  it('refuses an inverted range and a missing stop', () => {
    expect(resolveSeek(seek(seekPosition(4), seekPosition(2)), 5)).toMatchObject({ status: 400 });
    expect(resolveSeek(seek(seekPosition(1), undefined), 5)).toMatchObject({ status: 400 });
  });

  // Fabric common/deliver/deliver.go: `if seekInfo.Start == nil || seekInfo.Stop == nil` → BAD_REQUEST.
  it('refuses a missing start (BAD_REQUEST), not reading it as Newest', () => {
    expect(resolveSeek(seek(undefined, seekPosition('newest')), 5)).toEqual({ status: 400, reason: 'seek_info: missing start' });
  });

  // The peer's fileledger.Iterator: a Specified start beyond the height, or no type, is NOT_FOUND.
  it('answers NOT_FOUND for a start beyond the height or with no position type', () => {
    expect(resolveSeek(seek(seekPosition(6), seekPosition(9)), 5)).toMatchObject({ status: 404 });
    expect(resolveSeek(seek(seekPosition(5), seekPosition(9)), 5)).toMatchObject({ start: 5, stop: 9 });
    expect(resolveSeek(seek(new SeekPosition(), seekPosition(9)), 5)).toMatchObject({ status: 404 });
  });

  // deliver.go: `case *ab.SeekPosition_Oldest: stopNum = number` (the start block itself).
  it('reads a stop of Oldest as the start block: exactly one block', () => {
    expect(resolveSeek(seek(seekPosition(3), seekPosition('oldest')), 5)).toMatchObject({ start: 3, stop: 3 });
    expect(resolveSeek(seek(seekPosition('newest'), seekPosition('oldest')), 5)).toMatchObject({ start: 4, stop: 4 });
    expect(resolveSeek(seek(seekPosition('next'), seekPosition('oldest')), 5)).toMatchObject({ start: 5, stop: 5 });
  });

  // deliver.go stops on `stopNum == block.Header.Number`: a Newest stop below the start never matches.
  it('reads a Newest stop below the start as no stop, and Newest to Newest as one block', () => {
    expect(resolveSeek(seek(seekPosition('next'), seekPosition('newest')), 5)).toMatchObject({ start: 5, stop: Infinity });
    expect(resolveSeek(seek(seekPosition('newest'), seekPosition('newest')), 5)).toMatchObject({ start: 4, stop: 4 });
    expect(resolveSeek(seek(seekPosition(1), new SeekPosition()), 5)).toMatchObject({ status: 400 });
  });
});

describe('a channel joined from a snapshot at block 9 (first block held: 10)', () => {
  it('answers NOT_FOUND for a start below its first block, as Fabric’s file ledger does', () => {
    expect(resolveSeek(seek(seekPosition('oldest'), seekPosition('newest')), 12, 10)).toMatchObject({ status: 404, reason: expect.stringContaining('joined from a snapshot') as string });
    expect(resolveSeek(seek(seekPosition(9), seekPosition(11)), 12, 10)).toMatchObject({ status: 404 });
    expect(resolveSeek(seek(seekPosition(10), seekPosition(11)), 12, 10)).toMatchObject({ start: 10, stop: 11 });
  });

  it('takes Newest, while nothing has been committed since the snapshot, as the next block to come', () => {
    expect(resolveSeek(seek(seekPosition('newest'), seekPosition('newest')), 10, 10)).toMatchObject({ start: 10, stop: 10 });
    expect(resolveSeek(seek(seekPosition('newest'), seekPosition('newest')), 11, 10)).toMatchObject({ start: 10, stop: 10 });
  });
});
