import type ivm from 'isolated-vm';
import type { WebSocketConnection } from './websocket-connection';

/** How long a command may go unanswered before the isolate is woken again. */
const NUDGE_AFTER_MS = 100;
/** Ids of our own wake-up messages: far above any a DevTools client counts up to. */
const NUDGE_ID_BASE = 2_000_000_000;

/**
 * Relays the Chrome DevTools Protocol between a client's WebSocket and an isolate's inspector
 * session, until either end closes.
 *
 * isolated-vm 6 can lose a command sent just as the isolate pauses: V8 announces
 * `Debugger.paused` before isolated-vm's pause loop starts waiting, and a command arriving in
 * between goes to an interrupt the paused isolate never takes, so the client's next step (the
 * `evaluateOnCallFrame` DevTools sends at once to show the scope) hangs for good (one run in two
 * under load). Every message sent to a waiting pause loop makes it run all queued commands, so
 * while a command is unanswered the relay sends a message of its own (an unknown method, which
 * V8 answers with an error and nothing else) every {@link NUDGE_AFTER_MS}, and drops its answer.
 */
export function relaySession(session: ivm.InspectorSession, ws: WebSocketConnection, onClose: () => void): void {
  const unanswered = new Set<number>();
  let nudges = 0;
  const nudge = setInterval(() => {
    if (unanswered.size === 0) return;
    try {
      session.dispatchProtocolMessage(JSON.stringify({ id: NUDGE_ID_BASE + (nudges++ % 1_000_000), method: 'Weft.wake' }));
    } catch {
      ws.close();
    }
  }, NUDGE_AFTER_MS);
  nudge.unref();

  session.onResponse = (id, message) => {
    if (id >= NUDGE_ID_BASE) return;
    unanswered.delete(id);
    ws.send(message);
  };
  session.onNotification = (message) => ws.send(message);
  ws.onMessage = (message) => {
    const id = commandId(message);
    if (id !== undefined) unanswered.add(id);
    try {
      session.dispatchProtocolMessage(message);
    } catch {
      // The isolate went (a reset after a timeout or memory limit): the client reconnects.
      ws.close();
    }
  };
  ws.onClose = () => {
    clearInterval(nudge);
    onClose();
    try {
      // Detaching resumes a transaction paused at a breakpoint, as closing DevTools does in Node.
      session.dispose();
    } catch {
      // Already gone with its isolate.
    }
  };
}

function commandId(message: string): number | undefined {
  try {
    const id = (JSON.parse(message) as { id?: unknown }).id;
    return typeof id === 'number' && id < NUDGE_ID_BASE ? id : undefined;
  } catch {
    return undefined;
  }
}
