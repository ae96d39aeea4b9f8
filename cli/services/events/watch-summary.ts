import type { WatchResult } from './reconnecting-watch';

/** The last progress line of a watch: how many it saw and why it stopped. */
export function watchSummary(r: WatchResult, what: { one: string; many: string }, flags: { count?: number; timeout?: string }): string {
  const why = r.reason === 'count' ? `--count ${flags.count} reached` : r.reason === 'timeout' ? `--timeout ${flags.timeout} elapsed` : 'interrupted';
  const reconnects = r.reconnects > 0 ? `, ${r.reconnects} reconnect${r.reconnects === 1 ? '' : 's'}` : '';
  return `stopped: ${r.seen} ${r.seen === 1 ? what.one : what.many} (${why}${reconnects})`;
}

/**
 * An AbortSignal for Ctrl-C for the life of `fn`: the first SIGINT stops the watch cleanly, with
 * its checkpoint saved; a second, with no handler left, ends the process as usual.
 */
export async function untilInterrupted<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const interrupt = new AbortController();
  const onSigint = (): void => interrupt.abort();
  process.once('SIGINT', onSigint);
  try {
    return await fn(interrupt.signal);
  } finally {
    process.off('SIGINT', onSigint);
  }
}
