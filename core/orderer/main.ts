/**
 * `node main.js --config <orderer.yaml>`: runs an orderer until SIGINT/SIGTERM; SIGHUP reloads its certificates. The oclif command
 * `weft orderer start --config <file>` wraps {@link runOrderer}. Prints one JSON line with the bound
 * ports on stdout once listening (scripts and tests wait for it).
 */
import { configFileArg, logProcessWarnings, reloadOnSighup, stopOnSignals } from '../node/node-process';
import { loadOrdererConfig } from './orderer-config';
import { OrdererNode } from './orderer-node';

export async function runOrderer(configFile: string): Promise<OrdererNode> {
  const node = new OrdererNode(loadOrdererConfig(configFile));
  logProcessWarnings(node.logger);
  const endpoints = await node.start();
  process.stdout.write(`${JSON.stringify({ event: 'orderer-started', ...endpoints })}\n`);
  stopOnSignals(node, 'orderer');
  reloadOnSighup(node);
  return node;
}

if (require.main === module) {
  runOrderer(configFileArg(process.argv.slice(2), 'orderer')).catch((err: unknown) => {
    process.stderr.write(`orderer failed to start: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
