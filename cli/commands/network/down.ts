import { Args, Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { networkDown, type DownResult } from '../../services/network/network-control';

export default class NetworkDown extends WeftCommand {
  static override summary = 'Stop every node of a network: gracefully (SIGTERM), then by force (SIGKILL).';
  static override examples = ['<%= config.bin %> network down ./net', '<%= config.bin %> network down ./net --grace 2'];
  static override args = { dir: Args.string({ description: 'network directory', required: true }) };
  static override flags = {
    grace: Flags.integer({ description: 'seconds to wait for a clean stop before SIGKILL', default: 10, min: 0 }),
  };

  async run(): Promise<DownResult> {
    const { args, flags } = await this.parse(NetworkDown);
    const result = await networkDown(args.dir, flags.grace * 1000, (m) => this.progress(m));
    const stopped = result.nodes.filter((n) => n.result !== 'not-running').length;
    this.log(stopped === 0 ? 'no node was running' : `stopped ${stopped} nodes; data is kept (weft network up ${args.dir} restarts them)`);
    return result;
  }
}
