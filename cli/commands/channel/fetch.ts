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

  async run(): Promise<{ file: string; number: number; bytes: number }> {
    const { args, flags } = await this.parse(ChannelFetch);
    const layout = openNetwork(args.dir).forChannel(flags.channel);
    const block = await fetchBlock(layout, parseBlockRef(args.block));
    const file = path.resolve(flags.output ?? `${layout.spec.channel.name}_${block.number}.block`);
    fs.writeFileSync(file, block.bytes);
    this.log(`block ${block.number} → ${file} (${block.bytes.length} bytes)`);
    return { file, number: block.number, bytes: block.bytes.length };
  }
}
