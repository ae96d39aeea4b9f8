import { Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';

export default class OrdererStart extends WeftCommand {
  static override summary = 'Run an ordering node in the foreground until SIGINT or SIGTERM.';
  static override description =
    'Starts the AtomicBroadcast (Broadcast, Deliver) gRPC service, the channel participation admin API and the operations endpoint from the node config, then keeps running. Prints one JSON line with the bound addresses once listening.';
  static override examples = ['<%= config.bin %> orderer start --config ./net/nodes/orderer.example.com/orderer.yaml'];
  static override flags = {
    config: Flags.string({ char: 'c', description: 'orderer YAML config file', required: true }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(OrdererStart);
    // Loaded on demand: `weft --help` must not pay for gRPC and SQLite.
    const { runOrderer } = await import('../../../core/orderer/main');
    await runOrderer(flags.config);
    await new Promise<never>(() => undefined);
  }
}
