import { WeftCommand } from '../../base-command';
import { networkDirArg } from '../../common-flags';
import { OrdererAdminClient } from '../../services/client/orderer-admin';
import { openNetwork, peerChannels } from '../../services/network/network-access';
import { channelsOfPeer } from '../../services/network/channel-peers';
import { orgsWithKeysHere, ordererAdminHere } from '../../services/network/org-keys';

export default class ChannelList extends WeftCommand {
  static override summary = 'List the channels each orderer and peer has joined, and where a peer differs from what network.yaml puts it on.';
  static override description =
    "Asks each node whose org's Admin key is here (cscc GetChannels, the channel participation API). A peer's `listed` are the channels network.yaml puts it on " +
    "(a channel's peers, else every peer of its member orgs): weft network up joins it to those it lacks; one it has joined and network.yaml does not list (weft channel join elsewhere, a snapshot) is shown as not listed.";
  static override examples = ['<%= config.bin %> channel list ./net', '<%= config.bin %> channel list ./net --json'];
  static override args = { dir: networkDirArg };

  async run(): Promise<{ nodes: { id: string; kind: string; channels: string[]; listed?: string[] }[] }> {
    const { args } = await this.parse(ChannelList);
    const layout = openNetwork(args.dir);
    // A node lists its channels to its own org's Admin only: those whose Admin keys are here.
    const orderers = ordererAdminHere(layout) ? layout.orderers() : [];
    const peers = orgsWithKeysHere(layout).flatMap((org) => layout.peersOf(org));
    const nodes: { id: string; kind: string; channels: string[]; listed?: string[] }[] = [];
    for (const o of orderers) nodes.push({ id: o.id, kind: 'orderer', channels: (await new OrdererAdminClient(o, layout).list()).map((c) => c.name) });
    for (const p of peers) nodes.push({ id: p.id, kind: 'peer', channels: await peerChannels(layout, p), listed: channelsOfPeer(layout.spec, p.id) });
    for (const n of nodes) {
      const missing = n.listed?.filter((c) => !n.channels.includes(c)) ?? [];
      const unlisted = n.listed === undefined ? [] : n.channels.filter((c) => !n.listed!.includes(c));
      const differs = [...(missing.length > 0 ? [`not joined: ${missing.join(', ')}`] : []), ...(unlisted.length > 0 ? [`not listed in network.yaml: ${unlisted.join(', ')}`] : [])];
      this.log(`${n.kind.padEnd(7)} ${n.id.padEnd(28)} ${n.channels.join(', ') || '(none)'}${differs.length > 0 ? ` (${differs.join('; ')})` : ''}`);
    }
    const elsewhere = layout.nodes().length - nodes.length;
    if (elsewhere > 0) this.log(`(${elsewhere} more ${elsewhere === 1 ? 'node' : 'nodes'} of orgs whose Admin keys this directory does not hold)`);
    return { nodes };
  }
}
