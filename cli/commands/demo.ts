import { Flags } from '@oclif/core';
import { WeftCommand } from '../base-command';
import { runDemo, type DemoResult } from '../services/demo/demo';

export default class Demo extends WeftCommand {
  static override summary = 'A whole Weft network in one command: init, up, deploy asset-transfer and private-assets, transact through the Gateway, down.';
  static override description =
    'Creates a 2-org network in a temporary directory (BatchTimeout 250 ms), starts it, deploys chaincode-examples/asset-transfer, creates, reads, transfers and lists assets through the Fabric Gateway while printing each step, its result and the chaincode events received, ' +
    "then deploys chaincode-examples/private-assets and moves a private asset from Org1 to Org2 (values as transient data, Org2's peer reading what Org1's endorsed), " +
    'then stops the network and deletes the directory (unless --keep). Ports: free ones below the kernel\'s ephemeral range, or from WEFT_PORT_RANGE=low-high.';
  static override examples = ['<%= config.bin %> demo', '<%= config.bin %> demo --keep --json'];
  static override flags = { keep: Flags.boolean({ description: 'keep the network directory afterwards (it is stopped either way)', default: false }) };

  async run(): Promise<DemoResult> {
    const { flags } = await this.parse(Demo);
    const result = await runDemo({ keep: flags.keep }, (line) => this.progress(line));
    this.log(`demo finished in ${(result.totalMs / 1000).toFixed(1)} s: ${result.steps.length} steps, ${result.events.length} chaincode events${result.kept ? `; network kept in ${result.dir}` : ''}`);
    return result;
  }
}
