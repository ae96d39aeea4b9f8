import { Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { channelFlag, networkDirArg, orgFlag } from '../../common-flags';
import { openNetwork, peerChainInfo } from '../../services/network/network-access';
import type { CompletedSnapshot } from '../../services/snapshot/snapshot-files';
import { assertSnapshotsReadableHere, snapshotPeers, submitSnapshot, waitForSnapshot, type SubmittedSnapshot } from '../../services/snapshot/snapshot-service';

export default class SnapshotSubmit extends WeftCommand {
  static override summary = "Ask peers to write a snapshot of a channel's ledger at a block (Fabric's peer snapshot submitrequest).";
  static override description =
    'Each peer writes the snapshot when the block commits (--block 0 or none: its last committed block, at once) into <snapshot root>/completed/<channel>/<block> ' +
    '(the root is peer.snapshots.rootDir in its peer.yaml, by default nodes/<peer>/data/snapshots). Without --peer it asks every peer of the member orgs whose Admin key is here, ' +
    'so the orgs can compare snapshot_hash. With --wait it waits until each peer has written it (polling the peer\'s pending requests until the block is gone, ' +
    'then reading the directory, which must be on this machine) and prints its path and snapshot_hash.';
  static override examples = [
    '<%= config.bin %> snapshot submit ./net --block 120 --wait',
    '<%= config.bin %> snapshot submit ./net --peer peer0.org1.example.com --wait --json',
  ];
  static override args = { dir: networkDirArg };
  static override flags = {
    channel: channelFlag,
    org: orgFlag,
    peer: Flags.string({ description: 'only this peer (its id, e.g. peer0.org1.example.com); default every peer of the orgs whose Admin key is here' }),
    block: Flags.integer({ description: 'block to snapshot; 0 (the default) is the last committed block', min: 0, default: 0 }),
    wait: Flags.boolean({ description: 'wait until each peer has written the snapshot; print its path and snapshot_hash', default: false }),
    timeout: Flags.integer({ description: 'with --wait: seconds to wait for the block to commit and the snapshot to be written', min: 1, default: 300 }),
  };

  async run(): Promise<{ channel: string; requests: SubmittedSnapshot[]; snapshots?: CompletedSnapshot[] }> {
    const { args, flags } = await this.parse(SnapshotSubmit);
    const layout = openNetwork(args.dir).forChannel(flags.channel);
    const channel = layout.spec.channel.name;
    const peers = snapshotPeers(layout, flags.peer, flags.org);
    if (flags.wait) await assertSnapshotsReadableHere(peers);
    // For block 0 the peer takes its last block when the request arrives: the candidates are the heights around the call.
    const before = flags.block === 0 && flags.wait ? await Promise.all(peers.map(async (p) => (await peerChainInfo(layout, p, channel)).height)) : [];
    const requests = await submitSnapshot(layout, peers, flags.block, (m) => this.progress(m));
    if (!flags.wait) {
      this.log(`snapshot of ${channel} ${flags.block === 0 ? 'at the last block' : `at block ${flags.block}`} requested on ${peers.map((p) => p.id).join(', ')}`);
      return { channel, requests };
    }
    const snapshots: CompletedSnapshot[] = [];
    for (const [i, peer] of peers.entries()) {
      let blocks = [flags.block];
      if (flags.block === 0) {
        const after = (await peerChainInfo(layout, peer, channel)).height;
        blocks = Array.from({ length: after - before[i]! + 1 }, (_, k) => before[i]! - 1 + k);
      }
      const found = await waitForSnapshot(layout, peer, blocks, flags.timeout * 1000, (m) => this.progress(m));
      this.log(`${peer.id}: ${found.dir} snapshot_hash ${found.snapshotHash}`);
      snapshots.push(found);
    }
    const hashes = new Set(snapshots.map((s) => `${s.block}:${s.snapshotHash}`));
    if (snapshots.length > 1 && hashes.size > 1) this.warning(`the peers' snapshots differ (block:snapshot_hash ${[...hashes].join(', ')}); compare them with weft snapshot verify`);
    return { channel, requests, snapshots };
  }
}
