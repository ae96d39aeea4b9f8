import { SeekInfo, SeekNewest, SeekNextCommit, SeekOldest, SeekPosition, SeekSpecified } from '@hyperledger/fabric-protos/lib/orderer/ab_pb';
import { resolveSeek } from '../../../../../core/peer/deliver/seek-range';

function pos(p: 'oldest' | 'newest' | 'next' | number): SeekPosition {
  const out = new SeekPosition();
  if (p === 'oldest') out.setOldest(new SeekOldest());
  else if (p === 'newest') out.setNewest(new SeekNewest());
  else if (p === 'next') out.setNextCommit(new SeekNextCommit());
  else {
    const s = new SeekSpecified();
    s.setNumber(p);
    out.setSpecified(s);
  }
  return out;
}

function seek(start: SeekPosition | undefined, stop: SeekPosition | undefined, failIfNotReady = false): SeekInfo {
  const s = new SeekInfo();
  if (start !== undefined) s.setStart(start);
  if (stop !== undefined) s.setStop(stop);
  if (failIfNotReady) s.setBehavior(SeekInfo.SeekBehavior.FAIL_IF_NOT_READY);
  return s;
}

describe('resolveSeek', () => {
  it('resolves oldest, newest, specified and next-commit against the height', () => {
    expect(resolveSeek(seek(pos('oldest'), pos('newest')), 5)).toEqual({ start: 0, stop: 4, failIfNotReady: false, bestEffort: false, headersOnly: false });
    expect(resolveSeek(seek(pos(2), pos(3), true), 5)).toMatchObject({ start: 2, stop: 3, failIfNotReady: true });
    expect(resolveSeek(seek(pos('next'), pos(Number.MAX_SAFE_INTEGER)), 5)).toMatchObject({ start: 5, stop: Infinity });
  });

  it('reads HEADER_WITH_SIG as headers only', () => {
    const headers = seek(pos('oldest'), pos('newest'));
    headers.setContentType(SeekInfo.SeekContentType.HEADER_WITH_SIG);
    expect(resolveSeek(headers, 5)).toMatchObject({ headersOnly: true });
  });

  it('refuses an inverted range and a missing stop', () => {
    expect(resolveSeek(seek(pos(4), pos(2)), 5)).toBeUndefined();
    expect(resolveSeek(seek(pos(1), undefined), 5)).toBeUndefined();
  });
});
