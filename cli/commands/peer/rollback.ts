import { Flags } from '@oclif/core';
import type { RebuiltChannel } from '../../../core/peer/peer-ledger-admin';
import { WeftCommand } from '../../base-command';
import { peerConfigFlag } from '../../common-flags';
import { replayProgress, withPeerLedgers } from '../../services/peer/peer-maintenance';

export default class PeerRollback extends WeftCommand {
  static override summary = "Roll a stopped peer's channel back to a block (Fabric's peer node rollback).";
  static override description =
    'Deletes the blocks after --block, with their transactions, and rebuilds state and history from the blocks that stay. ' +
    'Once started again, the peer pulls the deleted blocks from the ordering service and validates them afresh. The peer must be stopped.';
  static override examples = ['<%= config.bin %> peer rollback --config ./net/nodes/peer0.org1.example.com/peer.yaml --channel mychannel --block 3'];
  static override flags = {
    config: peerConfigFlag,
    channel: Flags.string({ description: 'channel to roll back', required: true }),
    block: Flags.integer({ char: 'b', description: 'number of the block to keep as the newest (below the current newest)', required: true, min: 0 }),
  };

  async run(): Promise<RebuiltChannel> {
    const { flags } = await this.parse(PeerRollback);
    const result = withPeerLedgers(flags.config, 'weft peer rollback', (admin) =>
      admin.rollback(flags.channel, flags.block, replayProgress((m) => this.progress(m))),
    );
    this.log(`${result.channelId}: rolled back to block ${flags.block}; height ${result.blocks}`);
    return result;
  }
}
