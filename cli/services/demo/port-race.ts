import { WeftError } from '../../../core/errors';

/**
 * Whether a node failed to start because its port was taken. Ports are only checked free, not
 * held, until the node binds them, and one below or inside the kernel's ephemeral range can be
 * taken meanwhile by any outgoing connection on the machine.
 */
export function isPortTaken(err: unknown): err is WeftError {
  return err instanceof WeftError && err.code === 'NODE_EXITED' && /EADDRINUSE/.test(err.message);
}

/**
 * Runs `attempt` until it does not fail on a taken port, at most `tries` times; `beforeRetry`
 * cleans up after a failed attempt (stops what started, empties the directory) so the next one
 * can take other ports. Any other failure, and the last one, is thrown as it came.
 */
export async function retryOnTakenPort<T>(attempt: () => Promise<T>, beforeRetry: (err: WeftError) => Promise<void>, tries = 3): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (n >= tries || !isPortTaken(err)) throw err;
      await beforeRetry(err);
    }
  }
}
