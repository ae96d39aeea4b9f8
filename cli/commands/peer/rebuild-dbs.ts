import { Flags } from '@oclif/core';
import type { RebuiltChannel } from '../../../core/peer/peer-ledger-admin';
import { WeftCommand } from '../../base-command';
import { peerConfigFlag } from '../../common-flags';
import { replayProgress, withPeerLedgers } from '../../services/peer/peer-maintenance';

export default class PeerRebuildDbs extends WeftCommand {
  static override summary = "Rebuild a stopped peer's world state and history from its blocks (Fabric's peer node rebuild-dbs).";
  static override description =
    'Drops the state and history databases of every channel (or those given with --channel) and replays all blocks into them. ' +
    'Blocks are the source and stay as they are. The peer must be stopped: the command holds its data directory, so it refuses to run ' +
    'next to a running peer and the peer cannot start until it is done. Interrupted, it leaves a ledger the next start finishes rebuilding.';
  static override examples = [
    '<%= config.bin %> peer rebuild-dbs --config ./net/nodes/peer0.org1.example.com/peer.yaml',
    '<%= config.bin %> peer rebuild-dbs --config ./net/nodes/peer0.org1.example.com/peer.yaml --channel mychannel --json',
  ];
  static override flags = {
    config: peerConfigFlag,
    channel: Flags.string({ description: 'only this channel (repeatable; default every channel)', multiple: true, multipleNonGreedy: true }),
  };

  async run(): Promise<{ channels: RebuiltChannel[] }> {
    const { flags } = await this.parse(PeerRebuildDbs);
    const channels = withPeerLedgers(flags.config, 'weft peer rebuild-dbs', (admin) => admin.rebuild(flags.channel, replayProgress((m) => this.progress(m))));
    for (const c of channels) this.log(`${c.channelId}: state and history rebuilt from ${c.blocks} blocks`);
    if (channels.length === 0) this.log('this peer has no channel ledgers');
    return { channels };
  }
}
