import { Args } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { networkUp, type UpResult } from '../../services/network/network-control';

export default class NetworkUp extends WeftCommand {
  static override summary = 'Start every node of a network in the background and join them to the channel.';
  static override description =
    'Starts each orderer and peer as a background process (logs in <dir>/logs, pid files in <dir>/run), joins the orderers through the channel participation API and the peers through cscc JoinChain, waits until all are healthy, and prints the endpoints. Stop with `weft network down <dir>`.';
  static override examples = ['<%= config.bin %> network up ./net', '<%= config.bin %> network up ./net --json'];
  static override args = { dir: Args.string({ description: 'network directory (made by weft network init)', required: true }) };

  async run(): Promise<UpResult> {
    const { args } = await this.parse(NetworkUp);
    const result = await networkUp(args.dir, (m) => this.progress(m));
    this.log(`network up, ${result.channels.length === 1 ? 'channel' : 'channels'} ${result.channels.join(', ')}`);
    for (const o of result.orderers) {
      this.log(`  orderer ${o.id.padEnd(28)} ${o.address}  (admin ${o.adminAddress}${o.operationsAddress ? `, operations ${o.operationsAddress}` : ''})`);
    }
    for (const p of result.peers) this.log(`  peer    ${p.id.padEnd(28)} ${p.address}  (${p.mspId}, operations ${p.operationsAddress})`);
    this.log(`details for client apps: weft network status ${args.dir} --json`);
    return result;
  }
}
