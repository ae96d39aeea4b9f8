import { Args, Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { networkDown, type DownResult } from '../../services/network/network-control';
import { shellWord } from '../../../core/node/shell-word';

export default class NetworkDown extends WeftCommand {
  static override summary = "Stop the network's nodes running on this machine: gracefully (SIGTERM), then by force (SIGKILL).";
  static override examples = [
    '<%= config.bin %> network down ./net',
    '<%= config.bin %> network down ./net --grace 2',
    '<%= config.bin %> network down ./net --node peer0.org1.example.com',
  ];
  static override args = { dir: Args.string({ description: 'network directory', required: true }) };
  static override flags = {
    grace: Flags.integer({ description: 'seconds to wait for a clean stop before SIGKILL', default: 10, min: 0 }),
    node: Flags.string({ description: 'stop only this node (repeatable)', multiple: true, multipleNonGreedy: true }),
  };

  async run(): Promise<DownResult> {
    const { args, flags } = await this.parse(NetworkDown);
    const result = await networkDown(args.dir, flags.grace * 1000, (m) => this.progress(m), flags.node);
    const stopped = result.nodes.filter((n) => n.result !== 'not-running').length;
    this.log(stopped === 0 ? 'no node was running' : `stopped ${stopped} nodes; data is kept (weft network up ${shellWord(args.dir)} restarts them)`);
    return result;
  }
}
