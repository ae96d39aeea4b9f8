import { Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { peerConfigFlag } from '../../common-flags';
import { planLeaving } from '../../services/network/peer-left-channel';
import { withPeerLedgers } from '../../services/peer/peer-maintenance';

export default class PeerUnjoin extends WeftCommand {
  static override summary = "Remove a stopped peer from a channel, deleting the channel's ledger (Fabric's peer node unjoin).";
  static override description =
    "Deletes the channel's blocks, state and history from this peer. Installed chaincode packages stay. The peer must be stopped; " +
    'started again with weft peer start, it no longer serves or pulls the channel. For a peer of a network directory (its config in <dir>/nodes/<peer>/), ' +
    "network.yaml then no longer lists it on the channel (the channel's peers), so weft network up leaves it off; weft channel join <dir> <block> --peer <id> joins it again, from the genesis block. " +
    "An org's last peer on the channel stays listed, and up joins it again.";
  static override examples = ['<%= config.bin %> peer unjoin --config ./net/nodes/peer0.org1.example.com/peer.yaml --channel mychannel'];
  static override flags = {
    config: peerConfigFlag,
    channel: Flags.string({ description: 'channel to leave', required: true }),
  };

  async run(): Promise<{ channelId: string; channels: string[]; networkFileUpdated: boolean }> {
    const { flags } = await this.parse(PeerUnjoin);
    const leaving = planLeaving(flags.config, flags.channel);
    const channels = withPeerLedgers(flags.config, 'weft peer unjoin', (admin) => {
      admin.unjoin(flags.channel);
      return admin.channels();
    });
    leaving?.record?.();
    this.log(`left channel ${flags.channel}; channels still joined: ${channels.length === 0 ? 'none' : channels.join(', ')}`);
    if (leaving !== undefined) this.log(leaving.note);
    return { channelId: flags.channel, channels, networkFileUpdated: leaving?.record !== undefined };
  }
}
