import { WeftCommand } from '../../base-command';
import { channelFlag, networkDirArg } from '../../common-flags';
import { blockToJson } from '../../services/block/block-json';
import { fetchBlock } from '../../services/block/block-source';
import { openNetwork, peerChainInfo, readingPeer } from '../../services/network/network-access';

export default class ChannelInfo extends WeftCommand {
  static override summary = "Show the channel's height, current block hash and configuration (orgs, orderers, batch settings).";
  static override examples = ['<%= config.bin %> channel info ./net', '<%= config.bin %> channel info ./net --json', '<%= config.bin %> channel info ./net --channel audit'];
  static override args = { dir: networkDirArg };
  static override flags = { channel: channelFlag };

  async run(): Promise<{ channel: string; height: number; currentBlockHash: string; configBlock: number; config: unknown }> {
    const { args, flags } = await this.parse(ChannelInfo);
    const layout = openNetwork(args.dir).forChannel(flags.channel);
    const channel = layout.spec.channel.name;
    const info = await peerChainInfo(layout, readingPeer(layout), channel);
    const config = await fetchBlock(layout, 'config');
    const decoded = blockToJson(config.bytes).transactions[0]?.config;
    this.log(`channel ${channel}: height ${info.height}, current block hash ${info.currentBlockHash}`);
    this.log(`latest config in block ${config.number}:`);
    this.log(JSON.stringify(decoded, undefined, 2));
    return { channel, ...info, configBlock: config.number, config: decoded };
  }
}
