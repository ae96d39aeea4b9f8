import { Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { channelFlag, networkDirArg } from '../../common-flags';
import { untilInterrupted } from '../../services/events/watch-summary';
import { PRUNE_MAX_AHEAD, networkPrune, type NetworkPruneResult } from '../../services/network/network-prune';

export default class NetworkPrune extends WeftCommand {
  static override summary = "Prune a channel's peers to an agreed snapshot, one peer at a time, while they serve.";
  static override description =
    'weft snapshot submit, snapshot verify, and weft peer prune <dir> --peer <id> for each peer in turn, in one command: no peer stops. ' +
    'Before any peer is pruned: each peer (--node, repeatable; default every peer of the channel this directory runs) must run; ' +
    "each takes its snapshot at --block unless it has one (a peer writes one only at its last block or a later one, so a block already passed needs a snapshot taken then). " +
    'A block the channel has not reached yet (at most --max-ahead blocks ahead) is waited for: each peer is asked for its snapshot at it (Fabric\'s peer snapshot submitrequest --blockNumber) and writes it as the block commits; ' +
    'on --timeout or Ctrl-C the requests this run made are cancelled (PRUNE_WAIT_TIMEOUT, PRUNE_INTERRUPTED: cancelled and still-pending peers named). ' +
    "The snapshots must be one ledger (every file re-hashed, one snapshot_hash). Then each peer in turn prunes itself to its own snapshot while it commits and serves " +
    "(one at a time, so the deletes' I/O loads one host at once; freed space is reused by later blocks). " +
    "A peer that cannot prune while running (an older Weft), or every peer with --vacuum, is stopped, pruned in place (weft peer prune --config), started and waited for until its height is the others'. " +
    'Peers that hold no block at or below --block already are skipped. ' +
    'By default it refuses to prune every peer of the channel (PRUNE_WOULD_DROP_EVERY_BLOCK): none would then answer for the blocks at or below --block (qscc GetBlockByNumber, block show). ' +
    'Name the peers to prune with --node, keeping one whole, or pass --all: the orderer keeps every block, so new peers still join from the genesis block. ' +
    'A failure stops the run naming the peer and step (NETWORK_PRUNE_FAILED); a peer whose prune failed is started again on its old ledger; Ctrl-C while pruning begins no further peer.';
  static override examples = [
    '<%= config.bin %> network prune ./net --block 1000 --node peer0.org1.example.com --node peer0.org2.example.com',
    '<%= config.bin %> network prune ./net --channel mychannel --block 1000 --all --json',
    '<%= config.bin %> network prune ./net --block 5200 --node peer0.org1.example.com --timeout 1800',
  ];
  static override args = { dir: networkDirArg };
  static override flags = {
    channel: channelFlag,
    block: Flags.integer({ char: 'b', description: 'the snapshot block: every block at or below it is deleted from the peers', required: true, min: 0 }),
    node: Flags.string({ description: 'prune this peer (repeatable); default every peer of the channel this directory runs', multiple: true, multipleNonGreedy: true }),
    all: Flags.boolean({ description: 'prune every peer of the channel, leaving none that serves the old blocks (the orderer keeps them)', default: false }),
    vacuum: Flags.boolean({ description: 'stop each peer in turn, prune it in place and give the freed space back to the file system (default: prune while serving, the space reused by later blocks)', default: false }),
    timeout: Flags.integer({ description: 'seconds to wait for the snapshots (for the channel to reach --block included), and for each restarted peer to catch up', default: 600, min: 1 }),
    'max-ahead': Flags.integer({ description: 'how many blocks beyond a peer\'s last block --block may be and be waited for; 0 refuses a block not reached yet', default: PRUNE_MAX_AHEAD, min: 0 }),
    grace: Flags.integer({ description: 'seconds a peer stopped for its prune may take to stop before SIGKILL', default: 10, min: 0 }),
  };

  async run(): Promise<NetworkPruneResult> {
    const { args, flags } = await this.parse(NetworkPrune);
    const result = await untilInterrupted((signal) =>
      networkPrune(
        args.dir,
        { channel: flags.channel, block: flags.block, nodes: flags.node, all: flags.all, vacuum: flags.vacuum, timeoutMs: flags.timeout * 1000, graceMs: flags.grace * 1000, maxAhead: flags['max-ahead'], signal },
        (m) => this.progress(m),
      ),
    );
    for (const p of result.peers) {
      this.log(p.changed ? `${p.peer}: ${p.blocksRemoved} blocks removed${p.mode === 'stopped' ? ' (stopped for it)' : ' while serving'}, height ${p.heightAfter}` : `${p.peer}: held no block at or below ${result.block} already, nothing changed`);
    }
    return result;
  }
}
