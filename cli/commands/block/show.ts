import { Args, Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { channelFlag, networkDirArg } from '../../common-flags';
import { blockToJson, type BlockJson } from '../../services/block/block-json';
import { blockPeer, fetchBlock, parseBlockRef } from '../../services/block/block-source';
import { openNetwork } from '../../services/network/network-access';

export default class BlockShow extends WeftCommand {
  static override summary = 'Decode a block as readable JSON: header, transactions, read/write sets, validation codes, events.';
  static override examples = ['<%= config.bin %> block show ./net newest', '<%= config.bin %> block show ./net 0', '<%= config.bin %> block show ./net config', '<%= config.bin %> block show ./net oldest --peer peer1.org1.example.com'];
  static override args = { dir: networkDirArg, block: Args.string({ description: 'block number, newest, oldest or config', required: true }) };
  static override flags = { channel: channelFlag, peer: Flags.string({ description: 'peer to read from (its id; default the first peer of the first org whose keys are here)' }) };

  async run(): Promise<BlockJson> {
    const { args, flags } = await this.parse(BlockShow);
    const layout = openNetwork(args.dir).forChannel(flags.channel);
    const { bytes } = await fetchBlock(layout, parseBlockRef(args.block), blockPeer(layout, flags.peer));
    const json = blockToJson(bytes);
    // The decoded block is the output in both modes; --json prints it compact-free via oclif.
    if (!this.jsonEnabled()) this.log(JSON.stringify(json, undefined, 2));
    return json;
  }
}
