import { Flags } from '@oclif/core';
import type { ChannelStatus } from '../../../core/peer/peer-ledger-admin';
import { WeftCommand } from '../../base-command';
import { peerConfigFlag } from '../../common-flags';
import { channelStatusLine, withPeerLedgers } from '../../services/peer/peer-maintenance';

export default class PeerPause extends WeftCommand {
  static override summary = "Pause a channel on a stopped peer, keeping its ledger (Fabric's peer node pause).";
  static override description =
    'Started again with weft peer start, the peer does not open the channel: it pulls no blocks for it, endorses nothing on it, ' +
    'and answers for it as for a channel it never joined. The ledger stays on disk; weft peer resume makes the channel active again. The peer must be stopped.';
  static override examples = ['<%= config.bin %> peer pause --config ./net/nodes/peer0.org1.example.com/peer.yaml --channel mychannel'];
  static override flags = {
    config: peerConfigFlag,
    channel: Flags.string({ description: 'channel to pause', required: true }),
  };

  async run(): Promise<{ channelId: string; changed: boolean } & ChannelStatus> {
    const { flags } = await this.parse(PeerPause);
    const { changed, status } = withPeerLedgers(flags.config, 'weft peer pause', (admin) => ({ changed: admin.pause(flags.channel), status: admin.channelStatus() }));
    this.log(`${changed ? `paused channel ${flags.channel}` : `channel ${flags.channel} was already paused, nothing changed`}; ${channelStatusLine(status)}`);
    return { channelId: flags.channel, changed, ...status };
  }
}
