import { Args, Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { channelFlag, networkDirArg } from '../../common-flags';
import { blockToJson, ORDERER_COPY_VALIDATION, type BlockJson } from '../../services/block/block-json';
import { blockPeer, fetchBlock, parseBlockRef } from '../../services/block/block-source';
import { openNetwork } from '../../services/network/network-access';

export default class BlockShow extends WeftCommand {
  static override summary = 'Decode a block as readable JSON: header, transactions, read/write sets, validation codes, events.';
  static override description =
    "Read from a peer (qscc), whose copy carries the validation codes it wrote. When the channel's ACL makes the peer refuse the CLI's qscc reads, the block is read from an orderer's Deliver instead: " +
    'the output says so (source, orderer) and shows the validation codes as unknown, since an orderer\'s block has no peer flags.';
  static override examples = ['<%= config.bin %> block show ./net newest', '<%= config.bin %> block show ./net 0', '<%= config.bin %> block show ./net config', '<%= config.bin %> block show ./net oldest --peer peer1.org1.example.com'];
  static override args = { dir: networkDirArg, block: Args.string({ description: 'block number, newest, oldest or config', required: true }) };
  static override flags = { channel: channelFlag, peer: Flags.string({ description: 'peer to read from (its id; default the first peer of the first org whose keys are here)' }) };

  async run(): Promise<BlockJson & { source?: 'orderer'; orderer?: string; refused?: string }> {
    const { args, flags } = await this.parse(BlockShow);
    const layout = openNetwork(args.dir).forChannel(flags.channel);
    const { bytes, fromOrderer } = await fetchBlock(layout, parseBlockRef(args.block), blockPeer(layout, flags.peer), { anyFromOrderer: true });
    const json =
      fromOrderer === undefined
        ? blockToJson(bytes)
        : { source: 'orderer' as const, orderer: fromOrderer.orderer, refused: fromOrderer.refusal, ...blockToJson(bytes, { validationUnknown: ORDERER_COPY_VALIDATION }) };
    if (fromOrderer !== undefined) this.progress(`${fromOrderer.refusal}: showing ${fromOrderer.orderer}'s copy of the block, whose validation codes no peer wrote`);
    // The decoded block is the output in both modes; --json prints it compact-free via oclif.
    if (!this.jsonEnabled()) this.log(JSON.stringify(json, undefined, 2));
    return json;
  }
}
