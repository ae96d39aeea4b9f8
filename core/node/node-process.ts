import type { Logger } from './logger';

/** What a node process needs to stop itself cleanly. */
export interface StoppableNode {
  readonly logger: Logger;
  stop(): Promise<void>;
}

/**
 * Stops `node` once on the first SIGINT or SIGTERM and exits the process: 0 after a clean stop, 1
 * when stopping failed. Used by the peer and orderer process entries.
 */
export function stopOnSignals(node: StoppableNode, kind: string): void {
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    node.logger.info({ signal }, `stopping ${kind}`);
    node.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        node.logger.error({ err }, `${kind} did not stop cleanly`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

/**
 * Sends the process's warnings to the node's structured log instead of Node's raw lines on stderr.
 * One is expected and harmless: grpc-js hands a target's IP address to TLS as the server name, which
 * Node flags as DEP0123 when a node dials another by IP. The certificates name their IPs, so
 * verification is unaffected; it is logged at debug.
 */
export function logProcessWarnings(logger: Logger): void {
  // Node prints warnings from a 'warning' listener of its own; this one replaces it.
  process.removeAllListeners('warning');
  process.on('warning', (warning: Error & { code?: string }) => {
    const entry = { code: warning.code, warning: warning.name };
    if (warning.code === 'DEP0123') logger.debug(entry, warning.message);
    else logger.warn(entry, warning.message);
  });
}

/**
 * The `--config <file>` (or `--config=<file>`) argument of a node process. Exits with usage help
 * when it is missing, so a process started wrongly says why instead of failing later.
 */
export function configFileArg(argv: readonly string[], kind: string): string {
  const i = argv.indexOf('--config');
  const file = i !== -1 ? argv[i + 1] : argv.find((a) => a.startsWith('--config='))?.slice('--config='.length);
  if (file === undefined || file.length === 0) {
    process.stderr.write(`usage: main --config <${kind}.yaml>\n`);
    process.exit(2);
  }
  return file;
}
