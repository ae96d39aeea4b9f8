import type ivm from 'isolated-vm';
import type { RegisteredTarget } from './inspector-server';

/** Past this, the isolate goes even if it never got to run the sessions' teardown (it was stuck). */
const TEARDOWN_WAIT_MS = 1_000;

/**
 * Disposes a debuggable isolate once its DevTools sessions are gone. isolated-vm 6 cannot do it
 * with sessions attached: the isolate's teardown disconnects them while holding the lock their
 * disconnection takes (it never returns), and a session disposed just before is torn down later,
 * by a task queued to the isolate, which a disposal that comes first runs against a V8 isolate
 * already freed (a segfault, seen once in three runs). So: the sessions first, then a task behind
 * their teardown, then the disposal. Transactions still running there end as a disposed
 * sandbox's do; their isolate just lives a moment longer.
 */
export function disposeDetached(isolate: ivm.Isolate, target: RegisteredTarget): void {
  target.disconnectAll();
  let done = false;
  const dispose = (): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    if (!isolate.isDisposed) isolate.dispose();
  };
  const timer = setTimeout(dispose, TEARDOWN_WAIT_MS);
  timer.unref();
  // Interrupts (the sessions' teardown) run before the tasks queued after them: this one runs once they have.
  isolate.compileScript('0').then(dispose, dispose);
}
