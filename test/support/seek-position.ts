import { SeekNewest, SeekNextCommit, SeekOldest, SeekPosition, SeekSpecified } from '@hyperledger/fabric-protos/lib/orderer/ab_pb';

export type Position = 'oldest' | 'newest' | 'next' | number | 'max';

/** A `SeekPosition` of each kind; 'max' is the MaxUint64 Fabric clients send for "never stop". */
export function seekPosition(p: Position): SeekPosition {
  const pos = new SeekPosition();
  if (p === 'oldest') pos.setOldest(new SeekOldest());
  else if (p === 'newest') pos.setNewest(new SeekNewest());
  else if (p === 'next') pos.setNextCommit(new SeekNextCommit());
  else {
    const s = new SeekSpecified();
    // jspb writes the number as a uint64.
    s.setNumber(p === 'max' ? Number.MAX_SAFE_INTEGER * 2048 : p);
    pos.setSpecified(s);
  }
  return pos;
}
