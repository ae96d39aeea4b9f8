import type { RebuiltChannel } from '../../../core/peer/peer-ledger-admin';
import { WeftCommand } from '../../base-command';
import { peerConfigFlag } from '../../common-flags';
import { replayProgress, withPeerLedgers } from '../../services/peer/peer-maintenance';

export default class PeerReset extends WeftCommand {
  static override summary = "Reset every channel of a stopped peer to its genesis block (Fabric's peer node reset).";
  static override description =
    'Rolls every channel back to block 0. Once started again, the peer pulls all blocks from the ordering service and validates ' +
    'them afresh, rebuilding its ledgers from what the orderers hold. The peer must be stopped.';
  static override examples = ['<%= config.bin %> peer reset --config ./net/nodes/peer0.org1.example.com/peer.yaml'];
  static override flags = { config: peerConfigFlag };

  async run(): Promise<{ channels: RebuiltChannel[] }> {
    const { flags } = await this.parse(PeerReset);
    const channels = withPeerLedgers(flags.config, 'weft peer reset', (admin) => admin.reset(replayProgress((m) => this.progress(m))));
    for (const c of channels) this.log(`${c.channelId}: reset to its genesis block`);
    if (channels.length === 0) this.log('this peer has no channel ledgers');
    return { channels };
  }
}
