import { Flags } from '@oclif/core';
import { runOrderer } from '../../../core/orderer/main';
import { WeftCommand } from '../../base-command';

export default class OrdererStart extends WeftCommand {
  static override summary = 'Run an orderer in the foreground from its YAML config (Ctrl-C stops it cleanly).';
  static override description = '`weft network up` starts every node of a network in the background; this runs one node by hand.';
  static override examples = ['<%= config.bin %> orderer start --config ./net/nodes/orderer.example.com/orderer.yaml'];
  static override flags = { config: Flags.string({ char: 'c', description: 'orderer config file', required: true }) };

  async run(): Promise<void> {
    const { flags } = await this.parse(OrdererStart);
    await runOrderer(flags.config);
    await new Promise<never>(() => {});
  }
}
