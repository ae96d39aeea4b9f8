import { Args, Flags } from '@oclif/core';
import { WeftError } from '../../../core/errors';
import type { PrunedChannel } from '../../../core/peer/peer-ledger-admin';
import { WeftCommand } from '../../base-command';
import { channelPeer, openNetwork } from '../../services/network/network-access';
import { type OnlinePruned, prunedSummary, prunePeerChannel, pruneRunningPeer } from '../../services/peer/peer-prune';

export default class PeerPrune extends WeftCommand {
  static override summary = "Delete a peer's blocks up to a snapshot of its channel, in place: a running peer while it serves, or a stopped one.";
  static override description =
    "Keeps the world state, private data, history and transaction ids, and deletes every block at or below the snapshot's last block: " +
    'afterwards the peer serves the channel as one that joined from that snapshot (blocks below it answer not found, rebuild-dbs, rollback and reset are refused). ' +
    "The snapshot must be of this peer's chain (its last block hash is checked) and its files must match their hashes. " +
    'With <network dir> --peer <id>, the running peer prunes through its own completed snapshot at --block while it goes on committing and serving, ' +
    "asked by a request signed as its org's Admin (weft.peer.Prune); the freed space is reused by later blocks (no vacuum on a serving ledger). " +
    'With --config <peer.yaml>, the peer must be stopped; then the freed space is given back to the file system (--no-vacuum skips that).';
  static override examples = [
    '<%= config.bin %> peer prune ./net --peer peer0.org1.example.com --channel mychannel --block 1000',
    '<%= config.bin %> peer prune --config ./net/nodes/peer0.org1.example.com/peer.yaml --channel mychannel --block 1000',
    '<%= config.bin %> peer prune --config ./net/nodes/peer0.org1.example.com/peer.yaml --channel mychannel --snapshot ./snapshots/completed/mychannel/1000',
  ];
  static override args = { dir: Args.string({ description: 'network directory (made by weft network init), with --peer: prune that running peer' }) };
  static override flags = {
    config: Flags.string({ char: 'c', description: 'config file of a stopped peer, to prune in place', exactlyOne: ['config', 'peer'] }),
    peer: Flags.string({ description: 'a running peer of <network dir> (its id), to prune while it serves', exactlyOne: ['config', 'peer'], exclusive: ['snapshot'] }),
    channel: Flags.string({ description: 'channel to prune', required: true }),
    snapshot: Flags.string({ description: 'a snapshot directory of the channel (e.g. another peer of the same chain wrote it)', exactlyOne: ['snapshot', 'block'] }),
    block: Flags.integer({ char: 'b', description: "the last block of one of this peer's own completed snapshots (<snapshot root>/completed/<channel>/<block>)", min: 0, exactlyOne: ['snapshot', 'block'] }),
    vacuum: Flags.boolean({ description: 'with --config: give the freed space back to the file system (--no-vacuum: keep the file its size, for a quick prune); a running peer never vacuums', default: true, allowNo: true }),
  };

  async run(): Promise<PrunedChannel | OnlinePruned> {
    const { args, flags } = await this.parse(PeerPrune);
    const result = flags.peer !== undefined ? await this.pruneOnline(args.dir, flags.peer, flags.channel, flags.block) : await this.pruneOffline(flags);
    this.log(`${result.channel}: ${prunedSummary(result)}`);
    return result;
  }

  private async pruneOnline(dir: string | undefined, peerId: string, channel: string, block: number | undefined): Promise<OnlinePruned> {
    if (dir === undefined || block === undefined) {
      throw new WeftError('BAD_ARGUMENTS', `--peer ${peerId} prunes a running peer of a network directory through its own snapshot at a block: give both <network dir> and --block`, {
        suggestions: [`weft peer prune ./net --peer ${peerId} --channel ${channel} --block <n>`],
      });
    }
    const layout = openNetwork(dir).forChannel(channel);
    const peer = channelPeer(layout, peerId);
    this.progress(`${peer.id}: pruning ${channel} through its snapshot at block ${block} while it serves`);
    const result = await pruneRunningPeer(layout, peer, channel, block);
    if (result.changed) this.progress(`${peer.id}: the longest step held the channel's commits ${result.longestHoldMs.toFixed(1)} ms; the freed pages are reused by later blocks`);
    return result;
  }

  private pruneOffline(flags: { config?: string; channel: string; snapshot?: string; block?: number; vacuum: boolean }): Promise<PrunedChannel> {
    const snapshot = flags.snapshot !== undefined ? { dir: flags.snapshot } : { block: flags.block as number };
    return prunePeerChannel(flags.config as string, { channel: flags.channel, snapshot, vacuum: flags.vacuum }, (m) => this.progress(m));
  }
}
