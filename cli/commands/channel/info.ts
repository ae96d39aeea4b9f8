import { Flags } from '@oclif/core';
import { WeftError } from '../../../core/errors';
import { WeftCommand } from '../../base-command';
import { channelFlag, networkDirArg } from '../../common-flags';
import { blockToJson } from '../../services/block/block-json';
import { blockPeer, chainInfo, fetchBlock, heldBlocks, snapshotStart } from '../../services/block/block-source';
import { openNetwork } from '../../services/network/network-access';

export default class ChannelInfo extends WeftCommand {
  static override summary = "Show the channel's height, current block hash and configuration (orgs, orderers, batch settings).";
  static override description =
    'For a peer whose ledger starts at a snapshot (it joined the channel from one, or was pruned to one: weft network prune, weft peer prune) it also shows the snapshot\'s last block: the peer holds only the blocks after it, ' +
    'so the latest config block is shown only when it was committed after the snapshot. ' +
    "When the channel's ACL makes the peer refuse the CLI's qscc reads, the height, current block hash and config come from an orderer's Deliver (its newest block), and the output says it is the orderer's view.";
  static override examples = [
    '<%= config.bin %> channel info ./net',
    '<%= config.bin %> channel info ./net --json',
    '<%= config.bin %> channel info ./net --channel audit',
    '<%= config.bin %> channel info ./net --peer peer1.org1.example.com',
  ];
  static override args = { dir: networkDirArg };
  static override flags = { channel: channelFlag, peer: Flags.string({ description: 'peer to ask (its id; default the first peer of the first org whose keys are here)' }) };

  async run(): Promise<{ channel: string; height: number; currentBlockHash: string; snapshotBlock?: number; configBlock?: number; config?: unknown; source?: 'orderer'; orderer?: string; refused?: string }> {
    const { args, flags } = await this.parse(ChannelInfo);
    const layout = openNetwork(args.dir).forChannel(flags.channel);
    const channel = layout.spec.channel.name;
    const peer = blockPeer(layout, flags.peer);
    const { fromOrderer, ...chain } = await chainInfo(layout, peer);
    // The orderer cuts blocks before peers commit them: its height may run ahead of any peer's.
    const info = fromOrderer === undefined ? chain : { ...chain, source: 'orderer' as const, orderer: fromOrderer.orderer, refused: fromOrderer.refusal };
    const view = fromOrderer === undefined ? '' : ` (${fromOrderer.orderer}'s view: ${fromOrderer.refusal})`;
    this.log(`channel ${channel}: height ${info.height}, current block hash ${info.currentBlockHash}${view}`);
    if (info.snapshotBlock !== undefined) this.log(`${peer.id}: ${snapshotStart(info.snapshotBlock)}: it holds ${heldBlocks(info.snapshotBlock + 1, info.height)}`);
    let config: { number: number; bytes: Uint8Array };
    try {
      config = await fetchBlock(layout, 'config', peer);
    } catch (err) {
      // The config the peer runs with is in its state; the block that carried it is below the snapshot.
      if (err instanceof WeftError && err.code === 'BLOCK_BELOW_SNAPSHOT') {
        this.log(`latest config in block ${String(err.details.block)}, below the snapshot: ask a peer that holds it with --peer`);
        return { channel, ...info };
      }
      throw err;
    }
    const decoded = blockToJson(config.bytes).transactions[0]?.config;
    this.log(`latest config in block ${config.number}:`);
    this.log(JSON.stringify(decoded, undefined, 2));
    return { channel, ...info, configBlock: config.number, config: decoded };
  }
}
