import { Args, Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { networkDirArg } from '../../common-flags';
import { joinChannel, type JoinChannelResult } from '../../services/network/channel-join';

export default class ChannelJoin extends WeftCommand {
  static override summary = "Join this directory's peers to a channel another org created, from its genesis block.";
  static override description =
    "Fabric's `peer channel join -b`: checks that the block is a genesis block of this network (its orderer org and member orgs, by their CA certificates), " +
    'stores it in channel-artifacts/, lists the channel in network.yaml (so weft network up rejoins), and joins the peers of the member orgs whose keys the directory holds. ' +
    'An org added to the channel later (weft channel update --add-org) is not in the genesis block: --config passes the channel\'s latest config block, which says who the members are now.';
  static override examples = [
    '<%= config.bin %> channel join ./net-org2 ./audit.block',
    '<%= config.bin %> channel join ./net-org3 ./audit.block --config ./audit-config.block',
  ];
  static override args = { dir: networkDirArg, block: Args.string({ description: "the channel's genesis block (channel-artifacts/<channel>.block where it was created)", required: true }) };
  static override flags = {
    config: Flags.string({ description: "the channel's latest config block (weft channel fetch <dir> config --channel <channel> -o <file> in a member org's directory), for an org added after the channel was created" }),
  };

  async run(): Promise<JoinChannelResult> {
    const { args, flags } = await this.parse(ChannelJoin);
    const result = await joinChannel(args.dir, args.block, (m) => this.progress(m), flags.config);
    this.log(`joined ${result.channel}: ${result.nodes.join(', ')}`);
    return result;
  }
}
