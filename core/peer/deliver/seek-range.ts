import { SeekInfo, SeekPosition } from '@hyperledger/fabric-protos/lib/orderer/ab_pb';

/** A resolved `SeekInfo`: blocks [start, stop] and what to do when a block is not there yet. */
export interface SeekRange {
  readonly start: number;
  /** Inclusive; `Infinity` for "until the client cancels" (fabric-gateway asks for 2^53-1). */
  readonly stop: number;
  readonly failIfNotReady: boolean;
  readonly bestEffort: boolean;
  /** `HEADER_WITH_SIG`: blocks go out without their transactions (config blocks whole). */
  readonly headersOnly: boolean;
}

/** A `SeekInfo` the deliver handler refuses, with the `common.Status` it answers and why. */
export interface SeekRefusal {
  /** 400 (BAD_REQUEST) or 404 (NOT_FOUND). */
  readonly status: 400 | 404;
  readonly reason: string;
}

/**
 * Resolves a `SeekInfo` against the current height as Fabric's deliver handler does
 * (`common/deliver/deliver.go` `deliverBlocks`, with the peer's `fileledger.Iterator` for the start):
 * - no start or no stop: BAD_REQUEST;
 * - start Oldest 0, Newest height-1, NextCommit height, Specified n (NOT_FOUND beyond the height),
 *   no type set: NOT_FOUND;
 * - stop Oldest is the start block itself (one block); Newest is height-1, or the start when both
 *   are Newest; Specified n (BAD_REQUEST below the start). Fabric stops on the block whose number
 *   equals the stop, so a Newest stop below the start (start NextCommit) never stops: `Infinity`.
 *   A NextCommit stop, which Fabric leaves unset, is the height (as Weft's orderer reads it); a
 *   stop with no type is BAD_REQUEST.
 *
 * On a channel joined from a snapshot, `firstBlock` (the block after the snapshot's) is the first
 * block held: a start below it is NOT_FOUND (Fabric's block store refuses to iterate from there and
 * the file ledger answers a not-found iterator), and Newest while nothing has been committed since
 * the snapshot is the next block to come (Fabric's `fileledger.Iterator`).
 */
export function resolveSeek(seek: SeekInfo, height: number, firstBlock = 0): SeekRange | SeekRefusal {
  const startPos = seek.getStart();
  const stopPos = seek.getStop();
  if (startPos === undefined || stopPos === undefined) {
    return { status: 400, reason: `seek_info: missing ${startPos === undefined ? 'start' : 'stop'}` };
  }
  const start = startOf(startPos, height, firstBlock);
  if (typeof start !== 'number') return start;
  if (start < firstBlock) {
    return { status: 404, reason: `seek_info.start: block ${start} is not available on this peer: the channel was joined from a snapshot and its first block is ${firstBlock}` };
  }
  let stop: number;
  switch (stopPos.getTypeCase()) {
    case SeekPosition.TypeCase.OLDEST:
      stop = start;
      break;
    case SeekPosition.TypeCase.NEWEST:
      stop = startPos.getTypeCase() === SeekPosition.TypeCase.NEWEST ? start : height - 1;
      if (stop < start) stop = Infinity;
      break;
    case SeekPosition.TypeCase.SPECIFIED:
      stop = stopPos.getSpecified()?.getNumber() ?? 0;
      if (stop < start) return { status: 400, reason: `seek_info: start block ${start} is after stop block ${stop}` };
      break;
    case SeekPosition.TypeCase.NEXT_COMMIT:
      stop = height;
      break;
    default:
      return { status: 400, reason: 'seek_info.stop: no position type set' };
  }
  return {
    start,
    stop: stop >= Number.MAX_SAFE_INTEGER ? Infinity : stop,
    failIfNotReady: seek.getBehavior() === SeekInfo.SeekBehavior.FAIL_IF_NOT_READY,
    bestEffort: seek.getErrorResponse() === SeekInfo.SeekErrorResponse.BEST_EFFORT,
    headersOnly: seek.getContentType() === SeekInfo.SeekContentType.HEADER_WITH_SIG,
  };
}

/** Whether {@link resolveSeek} refused the request. */
export function isRefusal(r: SeekRange | SeekRefusal): r is SeekRefusal {
  return 'status' in r;
}

function startOf(p: SeekPosition, height: number, firstBlock: number): number | SeekRefusal {
  switch (p.getTypeCase()) {
    case SeekPosition.TypeCase.OLDEST:
      return 0;
    case SeekPosition.TypeCase.NEWEST:
      return firstBlock > 0 && height === firstBlock ? height : Math.max(0, height - 1);
    case SeekPosition.TypeCase.NEXT_COMMIT:
      return height;
    case SeekPosition.TypeCase.SPECIFIED: {
      const n = p.getSpecified()?.getNumber() ?? 0;
      return n > height ? { status: 404, reason: `seek_info.start: block ${n} is beyond the height ${height}` } : n;
    }
    default:
      return { status: 404, reason: 'seek_info.start: no position type set' };
  }
}
