import { Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { peerConfigFlag } from '../../common-flags';
import { withPeerLedgers } from '../../services/peer/peer-maintenance';

export default class PeerUnjoin extends WeftCommand {
  static override summary = "Remove a stopped peer from a channel, deleting the channel's ledger (Fabric's peer node unjoin).";
  static override description =
    "Deletes the channel's blocks, state and history from this peer. Installed chaincode packages stay. The peer must be stopped; " +
    'started again with weft peer start, it no longer serves or pulls the channel. weft network up joins it again while network.yaml lists the channel, ' +
    'from the genesis block, as any later join does.';
  static override examples = ['<%= config.bin %> peer unjoin --config ./net/nodes/peer0.org1.example.com/peer.yaml --channel mychannel'];
  static override flags = {
    config: peerConfigFlag,
    channel: Flags.string({ description: 'channel to leave', required: true }),
  };

  async run(): Promise<{ channelId: string; channels: string[] }> {
    const { flags } = await this.parse(PeerUnjoin);
    const channels = withPeerLedgers(flags.config, 'weft peer unjoin', (admin) => {
      admin.unjoin(flags.channel);
      return admin.channels();
    });
    this.log(`left channel ${flags.channel}; channels still joined: ${channels.length === 0 ? 'none' : channels.join(', ')}`);
    return { channelId: flags.channel, channels };
  }
}
