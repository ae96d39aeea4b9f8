import * as fs from 'node:fs';
import * as path from 'node:path';
import { Args, Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { channelFlag, networkDirArg } from '../../common-flags';
import { fetchBlock, parseBlockRef } from '../../services/block/block-source';
import { openNetwork } from '../../services/network/network-access';

export default class ChannelFetch extends WeftCommand {
  static override summary = 'Write a block of the channel to a file, as protobuf bytes (like peer channel fetch).';
  static override examples = ['<%= config.bin %> channel fetch ./net config -o config.block', '<%= config.bin %> channel fetch ./net 3'];
  static override args = { dir: networkDirArg, block: Args.string({ description: 'block number, newest, oldest or config', default: 'newest' }) };
  static override flags = { channel: channelFlag, output: Flags.string({ char: 'o', description: 'file to write (default <channel>_<number>.block)' }) };

  async run(): Promise<{ file: string; number: number; bytes: number; source?: 'orderer'; orderer?: string }> {
    const { args, flags } = await this.parse(ChannelFetch);
    const layout = openNetwork(args.dir).forChannel(flags.channel);
    // Fabric's peer channel fetch reads the orderer's copy anyway: so does this when the peer's ACL refuses its qscc read.
    const block = await fetchBlock(layout, parseBlockRef(args.block), undefined, { anyFromOrderer: true });
    if (block.fromOrderer !== undefined) this.progress(`${block.fromOrderer.refusal}: writing ${block.fromOrderer.orderer}'s copy of the block (no validation flags)`);
    const file = path.resolve(flags.output ?? `${layout.spec.channel.name}_${block.number}.block`);
    fs.writeFileSync(file, block.bytes);
    this.log(`block ${block.number} → ${file} (${block.bytes.length} bytes)`);
    return { file, number: block.number, bytes: block.bytes.length, ...(block.fromOrderer !== undefined && { source: 'orderer' as const, orderer: block.fromOrderer.orderer }) };
  }
}
