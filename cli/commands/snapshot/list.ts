import { Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { channelFlag, networkDirArg, orgFlag } from '../../common-flags';
import { openNetwork } from '../../services/network/network-access';
import { listSnapshots, snapshotPeers, type PeerSnapshots } from '../../services/snapshot/snapshot-service';

export default class SnapshotList extends WeftCommand {
  static override summary = "List each peer's pending snapshot requests (Fabric's peer snapshot listpending) and the completed snapshots in its snapshot root.";
  static override description =
    'Completed snapshots are read from the snapshot root of the peers that run on this machine from this directory, with their snapshot_hash: ' +
    'equal hashes at the same block mean the same ledger, whichever org wrote it.';
  static override examples = ['<%= config.bin %> snapshot list ./net', '<%= config.bin %> snapshot list ./net --peer peer0.org1.example.com --json'];
  static override args = { dir: networkDirArg };
  static override flags = {
    channel: channelFlag,
    org: orgFlag,
    peer: Flags.string({ description: 'only this peer (its id); default every peer of the orgs whose Admin key is here' }),
  };

  async run(): Promise<{ channel: string; peers: PeerSnapshots[] }> {
    const { args, flags } = await this.parse(SnapshotList);
    const layout = openNetwork(args.dir).forChannel(flags.channel);
    const channel = layout.spec.channel.name;
    const peers = await listSnapshots(layout, snapshotPeers(layout, flags.peer, flags.org));
    for (const p of peers) {
      this.log(`${p.peer} (${channel}): pending ${p.pending.length === 0 ? 'none' : p.pending.join(', ')}`);
      if (p.completed === undefined) this.log('  completed: not on this machine');
      else if (p.completed.length === 0) this.log('  completed: none');
      for (const s of p.completed ?? []) this.log(`  block ${s.block}: ${s.dir} snapshot_hash ${s.snapshotHash}`);
    }
    return { channel, peers };
  }
}
