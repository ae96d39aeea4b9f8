/**
 * How long before the client's gRPC deadline the Gateway answers a call it could not finish. The
 * deadline reaches the peer as a relative `grpc-timeout`, so the peer's copy ends a transit time
 * after the client's, and the answer needs another to travel back: at the deadline itself the
 * client has already given up with a bare DEADLINE_EXCEEDED of its own. A twentieth of the time
 * the call had (100 ms of a 2 s call), at most a second (of the CLI's 30 s evaluate).
 */
export function answerDeadline(callDeadline: number, now: number): number {
  if (!Number.isFinite(callDeadline)) return callDeadline;
  return callDeadline - Math.min(1000, Math.max(0, callDeadline - now) / 20);
}

/**
 * Runs `attempt` until `deadline` (ms since the epoch): its result, or undefined when the
 * deadline came first. The attempt's signal aborts then (a remote call is cancelled, a proposal
 * still queued for this peer's sandbox is dropped), and also when `signal` does (the client left).
 * An attempt that ignores the abort runs on unawaited, so it must not reject.
 */
export async function untilDeadline<T>(deadline: number, signal: AbortSignal | undefined, attempt: (signal: AbortSignal) => Promise<T>): Promise<T | undefined> {
  if (!Number.isFinite(deadline)) return attempt(signal ?? new AbortController().signal);
  const expired = new AbortController();
  // A listener, not AbortSignal.any: this runs for every Evaluate, and any() registers each signal for finalization.
  const left = (): void => expired.abort(signal?.reason);
  if (signal?.aborted === true) left();
  else signal?.addEventListener('abort', left, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<undefined>((resolve) => {
    timer = setTimeout(
      () => {
        expired.abort(new Error("the client's deadline is near"));
        resolve(undefined);
      },
      Math.max(0, deadline - Date.now()),
    );
  });
  try {
    return await Promise.race([attempt(expired.signal), timedOut]);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', left);
  }
}
