/**
 * The `process` global chaincode's npm dependencies find: the shape browserify and webpack give
 * bundles (`browser: true`, empty `env` and `argv`, `nextTick`), so libraries take their pure
 * JavaScript branches instead of reaching for `fs` or `tty`, and `process.env.NODE_ENV` reads
 * undefined as in a peer's chaincode container. Nothing here tells one peer from another: no pid,
 * clock, memory figures or exit.
 */
import { runSoon } from './microtask';

type Listener = (...args: unknown[]) => unknown;

export function sandboxProcess(warn: (message: string) => void): Record<string, unknown> {
  const process: Record<string, unknown> = {
    title: 'browser',
    browser: true,
    env: {},
    argv: [],
    execArgv: [],
    version: '',
    versions: {},
    release: { name: 'weft-chaincode' },
    // Node runs the tick queue before promise jobs; here both are microtasks, still within the transaction.
    nextTick: (callback: unknown, ...args: unknown[]): void => runSoon(callback, args),
    cwd: () => '/',
    chdir(): never {
      throw new Error('process.chdir is not available in chaincode');
    },
    umask: () => 0,
    binding(name: string): never {
      throw new Error(`process.binding('${name}') is not available in chaincode`);
    },
    emitWarning(warning: unknown, type?: unknown): void {
      const w = warning instanceof Error ? warning : { name: typeof type === 'string' ? type : 'Warning', message: String(warning) };
      warn(`${w.name}: ${w.message}`);
    },
    listeners: (): Listener[] => [],
  };
  // An event emitter with no events: nothing outside the transaction ever fires.
  for (const name of ['on', 'addListener', 'once', 'off', 'removeListener', 'removeAllListeners', 'prependListener', 'prependOnceListener', 'setMaxListeners']) {
    process[name] = () => process;
  }
  process.emit = () => false;
  return process;
}
