import { Args, Flags } from '@oclif/core';
import { ConfigError } from '../../../core/errors';
import { WeftCommand } from '../../base-command';
import { networkDirArg } from '../../common-flags';
import { joinChannel, type JoinChannelResult } from '../../services/network/channel-join';
import { joinFromSnapshot, type SnapshotJoinResult } from '../../services/snapshot/snapshot-join';

export default class ChannelJoin extends WeftCommand {
  static override summary = "Join this directory's peers to a channel: from its genesis block, or from a ledger snapshot (--snapshot).";
  static override description =
    "Fabric's `peer channel join -b`: checks that the block is a genesis block of this network (its orderer org and member orgs, by their CA certificates), " +
    'stores it in channel-artifacts/, lists the channel in network.yaml (so weft network up rejoins), and joins the peers of the member orgs whose keys the directory holds, ' +
    'or only those --peer names, which network.yaml then lists as on the channel (joining another later adds it). ' +
    'An org added to the channel later (weft channel update --add-org) is not in the genesis block: --config passes the channel\'s latest config block, which says who the members are now. ' +
    "With --snapshot instead of a block, Fabric's `peer channel joinbysnapshot`: verifies the snapshot's files and snapshot_hash first, asks each peer (--peer, or those of the orgs here that have not joined) " +
    'to import it, waits until the import is done, and prints the height. The peer reads the directory itself: for a peer on another machine copy it there and pass --peer-path. ' +
    'Such a peer holds no block, history or private data at or below the snapshot.';
  static override examples = [
    '<%= config.bin %> channel join ./net-org2 ./audit.block',
    '<%= config.bin %> channel join ./net-org3 ./audit.block --config ./audit-config.block',
    '<%= config.bin %> channel join ./net ./net/channel-artifacts/busy.block --peer peer1.org1.example.com',
    '<%= config.bin %> channel join ./net --snapshot ./net/nodes/peer0.org1.example.com/data/snapshots/completed/mychannel/120 --peer peer1.org1.example.com',
  ];
  static override args = {
    dir: networkDirArg,
    block: Args.string({ description: "the channel's genesis block (channel-artifacts/<channel>.block where it was created); not with --snapshot" }),
  };
  static override flags = {
    config: Flags.string({ description: "the channel's latest config block (weft channel fetch <dir> config --channel <channel> -o <file> in a member org's directory), for an org added after the channel was created" }),
    snapshot: Flags.string({ description: 'join from this ledger snapshot directory (<snapshot root>/completed/<channel>/<block>) instead of the genesis block', exclusive: ['config'] }),
    peer: Flags.string({
      description: "a peer to join, by id (repeatable): only those join, and network.yaml lists them on the channel so weft network up keeps them there; default the peers of the orgs here that network.yaml puts on the channel (with --snapshot: those that have not joined)",
      multiple: true,
      multipleNonGreedy: true,
    }),
    'peer-path': Flags.string({ description: 'with --snapshot: the snapshot directory as the peer sees it, for a peer on another machine (copy it there first)', dependsOn: ['snapshot'] }),
    // No oclif default: a defaulted flag counts as given, and dependsOn would then refuse every join from a block.
    timeout: Flags.integer({ description: 'with --snapshot: seconds to wait for each peer to import the snapshot (default 600)', min: 1, dependsOn: ['snapshot'] }),
  };

  async run(): Promise<JoinChannelResult | SnapshotJoinResult> {
    const { args, flags } = await this.parse(ChannelJoin);
    if (flags.snapshot !== undefined) {
      if (args.block !== undefined) {
        throw new ConfigError('JOIN_BLOCK_AND_SNAPSHOT', `both a genesis block (${args.block}) and --snapshot were given: a peer joins from one of them`, {
          field: '--snapshot',
          suggestions: ['drop the block to join from the snapshot, or --snapshot to join from the genesis block'],
        });
      }
      const result = await joinFromSnapshot(args.dir, flags.snapshot, { peers: flags.peer, peerPath: flags['peer-path'], timeoutMs: (flags.timeout ?? 600) * 1000 }, (m) => this.progress(m));
      this.log(`joined ${result.channel} from the snapshot at block ${result.snapshotBlock}: ${result.nodes.map((n) => `${n.id} (height ${n.height})`).join(', ')}`);
      return result;
    }
    if (args.block === undefined) {
      throw new ConfigError('JOIN_BLOCK_MISSING', "no genesis block given: pass the channel's genesis block, or --snapshot <dir> to join from a ledger snapshot", {
        field: 'block',
        suggestions: ['weft channel join <dir> channel-artifacts/<channel>.block', 'weft channel join <dir> --snapshot <snapshot dir>'],
      });
    }
    const result = await joinChannel(args.dir, args.block, (m) => this.progress(m), flags.config, flags.peer);
    this.log(`joined ${result.channel}: ${result.nodes.join(', ')}`);
    return result;
  }
}
