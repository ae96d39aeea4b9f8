import { Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { channelFlag, networkDirArg, orgFlag } from '../../common-flags';
import { openNetwork } from '../../services/network/network-access';
import { cancelSnapshot, snapshotPeers, type SubmittedSnapshot } from '../../services/snapshot/snapshot-service';

export default class SnapshotCancel extends WeftCommand {
  static override summary = "Cancel a pending snapshot request (Fabric's peer snapshot cancelrequest).";
  static override description = 'Without --peer it cancels on every peer of the member orgs whose Admin key is here; a peer without that request refuses, and the command stops there.';
  static override examples = ['<%= config.bin %> snapshot cancel ./net --block 120', '<%= config.bin %> snapshot cancel ./net --block 120 --peer peer0.org2.example.com'];
  static override args = { dir: networkDirArg };
  static override flags = {
    channel: channelFlag,
    org: orgFlag,
    peer: Flags.string({ description: 'only this peer (its id); default every peer of the orgs whose Admin key is here' }),
    block: Flags.integer({ description: 'block of the pending request (see weft snapshot list)', min: 1, required: true }),
  };

  async run(): Promise<{ channel: string; cancelled: SubmittedSnapshot[] }> {
    const { args, flags } = await this.parse(SnapshotCancel);
    const layout = openNetwork(args.dir).forChannel(flags.channel);
    const peers = snapshotPeers(layout, flags.peer, flags.org);
    const cancelled = await cancelSnapshot(layout, peers, flags.block, (m) => this.progress(m));
    this.log(`snapshot request for block ${flags.block} of ${layout.spec.channel.name} cancelled on ${peers.map((p) => p.id).join(', ')}`);
    return { channel: layout.spec.channel.name, cancelled };
  }
}
