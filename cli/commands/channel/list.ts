import { WeftCommand } from '../../base-command';
import { networkDirArg } from '../../common-flags';
import { OrdererAdminClient } from '../../services/client/orderer-admin';
import { openNetwork, peerChannels } from '../../services/network/network-access';
import { orgsWithKeysHere, ordererAdminHere } from '../../services/network/org-keys';

export default class ChannelList extends WeftCommand {
  static override summary = 'List the channels each orderer and peer has joined.';
  static override examples = ['<%= config.bin %> channel list ./net', '<%= config.bin %> channel list ./net --json'];
  static override args = { dir: networkDirArg };

  async run(): Promise<{ nodes: { id: string; kind: string; channels: string[] }[] }> {
    const { args } = await this.parse(ChannelList);
    const layout = openNetwork(args.dir);
    // A node lists its channels to its own org's Admin only: those whose Admin keys are here.
    const orderers = ordererAdminHere(layout) ? layout.orderers() : [];
    const peers = orgsWithKeysHere(layout).flatMap((org) => layout.peersOf(org));
    const nodes = [];
    for (const o of orderers) nodes.push({ id: o.id, kind: 'orderer', channels: (await new OrdererAdminClient(o, layout).list()).map((c) => c.name) });
    for (const p of peers) nodes.push({ id: p.id, kind: 'peer', channels: await peerChannels(layout, p) });
    for (const n of nodes) this.log(`${n.kind.padEnd(7)} ${n.id.padEnd(28)} ${n.channels.join(', ') || '(none)'}`);
    const elsewhere = layout.nodes().length - nodes.length;
    if (elsewhere > 0) this.log(`(${elsewhere} more ${elsewhere === 1 ? 'node' : 'nodes'} of orgs whose Admin keys this directory does not hold)`);
    return { nodes };
  }
}
