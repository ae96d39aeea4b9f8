import { SeekInfo, type SeekPosition } from '@hyperledger/fabric-protos/lib/orderer/ab_pb';

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

/** Resolves a `SeekInfo` against the current height, as Fabric's deliver handler; undefined when the range is inverted. */
export function resolveSeek(seek: SeekInfo, height: number): SeekRange | undefined {
  const start = position(seek.getStart(), height, 'start');
  const stop = position(seek.getStop(), height, 'stop');
  if (start === undefined || stop === undefined || stop < start) return undefined;
  return {
    start,
    stop: stop >= Number.MAX_SAFE_INTEGER ? Infinity : stop,
    failIfNotReady: seek.getBehavior() === SeekInfo.SeekBehavior.FAIL_IF_NOT_READY,
    bestEffort: seek.getErrorResponse() === SeekInfo.SeekErrorResponse.BEST_EFFORT,
    headersOnly: seek.getContentType() === SeekInfo.SeekContentType.HEADER_WITH_SIG,
  };
}

function position(p: SeekPosition | undefined, height: number, which: 'start' | 'stop'): number | undefined {
  if (p === undefined) return which === 'start' ? Math.max(0, height - 1) : undefined;
  if (p.hasOldest()) return 0;
  if (p.hasNewest()) return Math.max(0, height - 1);
  if (p.hasSpecified()) return p.getSpecified()?.getNumber() ?? 0;
  if (p.hasNextCommit()) return height;
  return undefined;
}
