import { Args, Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { networkDirArg } from '../../common-flags';
import { openNetwork } from '../../services/network/network-access';
import { parseCapabilitiesFlag } from '../../services/network/channel-capabilities';
import { createChannel, type CreateChannelResult } from '../../services/network/network-channels';

export default class ChannelCreate extends WeftCommand {
  static override summary = 'Create another channel, with every org of the network or those named by --orgs, and join their nodes to it.';
  static override description =
    'Builds the channel\'s genesis block (channel-artifacts/<name>.block), lists the channel in network.yaml (otherChannels), ' +
    "joins every orderer (channel participation API) and the peers of the member orgs whose keys the directory holds (cscc JoinChain), and waits until each holds the block; " +
    'an org whose keys are elsewhere (weft network export) joins its peers on its host with weft channel join and the block. ' +
    'The network must be up. Other commands act on it with --channel <name>; weft network up rejoins nodes that lack it.';
  static override examples = [
    '<%= config.bin %> channel create ./net audit',
    '<%= config.bin %> channel create ./net audit --batch-timeout 500ms --max-message-count 100',
    '<%= config.bin %> channel create ./net org1-only --orgs Org1',
    '<%= config.bin %> channel create ./net busy --orgs Org1 --peer peer1.org1.example.com',
    '<%= config.bin %> channel create ./net legacy --capabilities channel=V2_0,application=V2_0',
    '<%= config.bin %> chaincode deploy ./net ./my-assets --name assets --channel audit',
  ];
  static override args = { dir: networkDirArg, name: Args.string({ description: 'channel name ([a-z][a-z0-9.-]*)', required: true }) };
  static override flags = {
    'batch-timeout': Flags.string({ description: "BatchTimeout, a Go duration such as 2s or 250ms (default: the default channel's)" }),
    'max-message-count': Flags.integer({ description: "BatchSize.MaxMessageCount (default: the default channel's)", min: 1 }),
    'absolute-max-bytes': Flags.integer({ description: 'BatchSize.AbsoluteMaxBytes: the largest transaction the orderer takes (default 10 MiB)', min: 1 }),
    'preferred-max-bytes': Flags.integer({ description: 'BatchSize.PreferredMaxBytes: the block size the orderer aims to stay under (default 2 MiB)', min: 1 }),
    orgs: Flags.string({ description: 'member orgs, comma-separated names or MSP IDs (default: every org)' }),
    peer: Flags.string({
      description: "a peer to join, by id (repeatable; default every peer of the member orgs here): network.yaml lists them as the channel's peers, so weft network up joins only them; each member org here needs one",
      multiple: true,
    }),
    capabilities: Flags.string({
      description:
        "capabilities the channel requires, by Fabric's level and capability names, any subset, e.g. channel=V2_0,application=V2_0 for Fabric 2.x nodes (the levels left out: the default channel's, as network.yaml records them, else channel=V3_0, orderer=V2_0, application=V2_5). Ed25519 keys need channel=V3_0",
    }),
  };

  async run(): Promise<CreateChannelResult> {
    const { args, flags } = await this.parse(ChannelCreate);
    const defaults = openNetwork(args.dir).spec.channel;
    const result = await createChannel(
      args.dir,
      {
        name: args.name,
        batchTimeout: flags['batch-timeout'] ?? defaults.batchTimeout,
        maxMessageCount: flags['max-message-count'] ?? defaults.maxMessageCount,
        ...(flags['absolute-max-bytes'] === undefined ? {} : { absoluteMaxBytes: flags['absolute-max-bytes'] }),
        ...(flags['preferred-max-bytes'] === undefined ? {} : { preferredMaxBytes: flags['preferred-max-bytes'] }),
        ...(flags.orgs === undefined ? {} : { orgs: flags.orgs.split(',').map((o) => o.trim()).filter((o) => o !== '') }),
        ...(flags.capabilities === undefined ? {} : { capabilities: parseCapabilitiesFlag(flags.capabilities) }),
        ...(flags.peer === undefined ? {} : { peers: flags.peer }),
      },
      (m) => this.progress(m),
    );
    this.log(`channel ${result.channel} created; ${result.nodes.length} nodes joined`);
    if (result.waitingFor.length > 0) {
      this.log(`next, on the hosts of ${result.waitingFor.join(', ')}: copy ${result.genesisBlock} there, then weft channel join <dir> <that file>`);
    }
    return result;
  }
}
