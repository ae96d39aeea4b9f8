/**
 * Runs `callback(...args)` as a microtask: after the current work, still within the transaction.
 * `queueMicrotask`, `process.nextTick` and `setImmediate` all come down to this; `skip` lets
 * `clearImmediate` cancel one that has not run.
 */
export function runSoon(callback: unknown, args: unknown[] = [], skip: () => boolean = () => false): void {
  if (typeof callback !== 'function') throw new TypeError('The "callback" argument must be of type function');
  void Promise.resolve().then(() => {
    if (!skip()) (callback as (...a: unknown[]) => void)(...args);
  });
}
