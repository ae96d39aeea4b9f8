import { Flags } from '@oclif/core';
import type { ChannelStatus } from '../../../core/peer/peer-ledger-admin';
import { WeftCommand } from '../../base-command';
import { peerConfigFlag } from '../../common-flags';
import { channelStatusLine, withPeerLedgers } from '../../services/peer/peer-maintenance';

export default class PeerResume extends WeftCommand {
  static override summary = "Resume a paused channel on a stopped peer (Fabric's peer node resume).";
  static override description =
    'Started again with weft peer start, the peer opens the channel and pulls the blocks it missed while paused from the ordering service. The peer must be stopped.';
  static override examples = ['<%= config.bin %> peer resume --config ./net/nodes/peer0.org1.example.com/peer.yaml --channel mychannel'];
  static override flags = {
    config: peerConfigFlag,
    channel: Flags.string({ description: 'channel to resume', required: true }),
  };

  async run(): Promise<{ channelId: string; changed: boolean } & ChannelStatus> {
    const { flags } = await this.parse(PeerResume);
    const { changed, status } = withPeerLedgers(flags.config, 'weft peer resume', (admin) => ({ changed: admin.resume(flags.channel), status: admin.channelStatus() }));
    this.log(`${changed ? `resumed channel ${flags.channel}` : `channel ${flags.channel} was not paused, nothing changed`}; ${channelStatusLine(status)}`);
    return { channelId: flags.channel, changed, ...status };
  }
}
