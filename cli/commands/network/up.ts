import { Args, Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { networkUp, type UpResult } from '../../services/network/network-control';
import { shellWord } from '../../../core/node/shell-word';

export default class NetworkUp extends WeftCommand {
  static override summary = "Start a network's nodes in the background and join them to its channels.";
  static override description =
    "Starts each orderer and peer whose host (network.yaml) is this machine, and whose keys the directory holds, as a background process (logs in <dir>/logs, pid files in <dir>/run), joins the orderers through the channel participation API and the peers through cscc JoinChain, waits until all are healthy, and prints the endpoints. On a network spread over several hosts (`weft network init --host`), give each host a copy (`weft network export --org` for one with its orgs' keys only) and run `up` there. Stop with `weft network down <dir>`.";
  static override examples = [
    '<%= config.bin %> network up ./net',
    '<%= config.bin %> network up ./net --json',
    '<%= config.bin %> network up ./net --node orderer.example.com --node peer0.org1.example.com',
    '<%= config.bin %> network up ./net --node peer1.org1.example.com --no-join',
  ];
  static override args = { dir: Args.string({ description: 'network directory (made by weft network init)', required: true }) };
  static override flags = {
    node: Flags.string({ description: 'start this node (repeatable) rather than every node whose host is this machine', multiple: true, multipleNonGreedy: true }),
    join: Flags.boolean({
      description: 'join the started nodes to the channels they have not joined (--no-join: only start them, e.g. a new peer to join from a snapshot with weft channel join --snapshot)',
      default: true,
      allowNo: true,
    }),
  };

  async run(): Promise<UpResult> {
    const { args, flags } = await this.parse(NetworkUp);
    const result = await networkUp(args.dir, (m) => this.progress(m), flags.node, flags.join);
    const some = result.nodes.length < result.orderers.length + result.peers.length;
    this.log(`network up${some ? ` here (${result.nodes.join(', ')})` : ''}, ${result.channels.length === 1 ? 'channel' : 'channels'} ${result.channels.join(', ')}`);
    for (const o of result.orderers) {
      this.log(`  orderer ${o.id.padEnd(28)} ${o.address}  (admin ${o.adminAddress}${o.operationsAddress ? `, operations ${o.operationsAddress}` : ''})`);
    }
    for (const p of result.peers) this.log(`  peer    ${p.id.padEnd(28)} ${p.address}  (${p.mspId}, operations ${p.operationsAddress})`);
    this.log(`details for client apps: weft network status ${shellWord(args.dir)} --json`);
    return result;
  }
}
