import { WeftError } from '../errors';

/** Whether `err` (or an error it wraps) is a ledger write refused for lack of space. */
export function isDiskFull(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof WeftError && e.code === 'LEDGER_DISK_FULL') return true;
  }
  return false;
}

/** First wait after a write found the disk full, and the most any wait grows to. */
export const DISK_FULL_FIRST_DELAY_MS = 1_000;
export const DISK_FULL_MAX_DELAY_MS = 30_000;

/**
 * Runs `write` until it succeeds, waiting 1 s, 2 s, 4 s … at most 30 s between tries while it fails
 * with `LEDGER_DISK_FULL`: a node whose disk filled resumes by itself once space is freed, without
 * a restart and without a busy loop. Any other failure rejects at once, as does `signal` (the node
 * stopping). `onPause` is called once, on the first full-disk failure, and `onResume` once the
 * write succeeds after one, so that a pause logs two lines, not one per try.
 */
export async function retryWhileDiskFull<T>(
  write: () => T | Promise<T>,
  hooks: { onPause?: (err: Error) => void; onResume?: () => void; signal?: AbortSignal; delaysMs?: { first: number; max: number } } = {},
): Promise<T> {
  const { first, max } = hooks.delaysMs ?? { first: DISK_FULL_FIRST_DELAY_MS, max: DISK_FULL_MAX_DELAY_MS };
  let delay = first;
  let paused = false;
  for (;;) {
    try {
      const result = await write();
      if (paused) hooks.onResume?.();
      return result;
    } catch (err) {
      if (!isDiskFull(err)) throw err;
      if (!paused) hooks.onPause?.(err as Error);
      paused = true;
    }
    await sleep(delay, hooks.signal);
    delay = Math.min(delay * 2, max);
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    // A node stopping does not wait out a 30 s pause: its ledger closes and the next try fails.
    timer.unref();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
