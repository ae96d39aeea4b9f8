/**
 * `node main.js --config <orderer.yaml>`: runs an orderer until SIGINT/SIGTERM. The oclif command
 * `weft orderer start --config <file>` wraps {@link runOrderer}. Prints one JSON line with the bound
 * ports on stdout once listening (scripts and tests wait for it).
 */
import { loadOrdererConfig } from './orderer-config';
import { OrdererNode } from './orderer-node';

export async function runOrderer(configFile: string): Promise<OrdererNode> {
  const node = new OrdererNode(loadOrdererConfig(configFile));
  const endpoints = await node.start();
  process.stdout.write(`${JSON.stringify({ event: 'orderer-started', ...endpoints })}\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    node.logger.info({ signal }, 'stopping orderer');
    node.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        node.logger.error({ err }, 'orderer did not stop cleanly');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  return node;
}

function configArg(argv: readonly string[]): string | undefined {
  const i = argv.indexOf('--config');
  if (i !== -1) return argv[i + 1];
  return argv.find((a) => a.startsWith('--config='))?.slice('--config='.length);
}

if (require.main === module) {
  const file = configArg(process.argv.slice(2));
  if (file === undefined) {
    process.stderr.write('usage: main --config <orderer.yaml>\n');
    process.exit(2);
  }
  runOrderer(file).catch((err: unknown) => {
    process.stderr.write(`orderer failed to start: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
