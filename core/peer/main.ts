/**
 * `node main.js --config <peer.yaml>`: runs a peer until SIGINT/SIGTERM; SIGHUP reloads its certificates. The oclif command
 * `weft peer start --config <file>` wraps {@link startPeer}. Prints one JSON line with the bound
 * ports on stdout once listening (scripts and tests wait for it).
 */
import { configFileArg, logProcessWarnings, reloadOnSighup, stopOnSignals } from '../node/node-process';
import { loadPeerConfig } from './peer-config';
import { PeerNode } from './peer-node';

/**
 * The single entry of a peer process: loads and validates the YAML config, starts the node and,
 * unless told otherwise, stops it cleanly on SIGINT/SIGTERM and reloads its certificates on SIGHUP. Resolves with the running node; a bad
 * config rejects with a `ConfigError` naming the field.
 */
export async function startPeer(configFile: string, options: { handleSignals?: boolean } = {}): Promise<PeerNode> {
  const config = loadPeerConfig(configFile);
  // Block validation verifies signatures on libuv's pool: size it like Fabric's validatorPoolSize.
  // Only effective before the pool's first use, which no synchronous startup step triggers.
  process.env.UV_THREADPOOL_SIZE ??= String(Math.max(4, config.peer.validatorPoolSize));
  const node = new PeerNode(config);
  logProcessWarnings(node.logger);
  await node.start();
  if (options.handleSignals ?? true) {
    stopOnSignals(node, 'peer');
    reloadOnSighup(node);
  }
  return node;
}

export { PeerNode } from './peer-node';
export { parsePeerConfig, PeerSection, type PeerConfig } from './peer-config';

if (require.main === module) {
  startPeer(configFileArg(process.argv.slice(2), 'peer')).then(
    (node) => process.stdout.write(`${JSON.stringify({ event: 'peer-started', port: node.port, operations: node.operationsAddress() })}\n`),
    (err: unknown) => {
      process.stderr.write(`peer failed to start: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
