/**
 * `node main.js --config <peer.yaml>`: runs a peer until SIGINT/SIGTERM. The oclif command
 * `weft peer start --config <file>` wraps {@link startPeer}. Prints one JSON line with the bound
 * ports on stdout once listening (scripts and tests wait for it).
 */
import { loadNodeConfig } from '../node/config';
import { parsePeerConfig } from './peer-config';
import { PeerNode } from './peer-node';

/**
 * The single entry of a peer process: loads and validates the YAML config, starts the node and,
 * unless told otherwise, stops it cleanly on SIGINT/SIGTERM. Resolves with the running node; a bad
 * config rejects with a `ConfigError` naming the field.
 */
export async function startPeer(configFile: string, options: { handleSignals?: boolean } = {}): Promise<PeerNode> {
  const config = parsePeerConfig(loadNodeConfig(configFile));
  // Block validation verifies signatures on libuv's pool: size it like Fabric's validatorPoolSize.
  // Only effective before the pool's first use, which no synchronous startup step triggers.
  process.env.UV_THREADPOOL_SIZE ??= String(Math.max(4, config.peer.validatorPoolSize));
  const node = new PeerNode(config);
  await node.start();
  if (options.handleSignals ?? true) {
    let stopping = false;
    const shutdown = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      node.logger.info({ signal }, 'stopping peer');
      node.stop().then(
        () => process.exit(0),
        (err: unknown) => {
          node.logger.error({ err }, 'peer did not stop cleanly');
          process.exit(1);
        },
      );
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  }
  return node;
}

export { PeerNode } from './peer-node';
export { parsePeerConfig, PeerSection, type PeerConfig } from './peer-config';

function configArg(argv: readonly string[]): string | undefined {
  const i = argv.indexOf('--config');
  if (i !== -1) return argv[i + 1];
  return argv.find((a) => a.startsWith('--config='))?.slice('--config='.length);
}

if (require.main === module) {
  const file = configArg(process.argv.slice(2));
  if (file === undefined) {
    process.stderr.write('usage: main --config <peer.yaml>\n');
    process.exit(2);
  }
  startPeer(file).then(
    (node) => process.stdout.write(`${JSON.stringify({ event: 'peer-started', port: node.port, operations: node.operationsAddress() })}\n`),
    (err: unknown) => {
      process.stderr.write(`peer failed to start: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
