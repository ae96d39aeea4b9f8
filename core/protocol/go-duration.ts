import { parseGoDurationNanos } from './go-time-duration';

/**
 * Milliseconds of a Go duration string as Fabric stores `BatchTimeout` ("2s", "500ms", "1m30s"),
 * read as Go's `time.ParseDuration` reads it. Returns undefined when the string is not a valid
 * non-negative Go duration.
 */
export function parseGoDuration(text: string): number | undefined {
  let nanos: bigint;
  try {
    nanos = parseGoDurationNanos(text);
  } catch {
    return undefined;
  }
  return nanos < 0n ? undefined : Number(nanos) / 1e6;
}
