import { Flags } from '@oclif/core';
import type { PrunedChannel } from '../../../core/peer/peer-ledger-admin';
import { WeftCommand } from '../../base-command';
import { peerConfigFlag } from '../../common-flags';
import { prunePeerChannel } from '../../services/peer/peer-prune';

export default class PeerPrune extends WeftCommand {
  static override summary = "Delete a stopped peer's blocks up to a snapshot of its channel, in place.";
  static override description =
    "Keeps the world state, private data, history and transaction ids, and deletes every block at or below the snapshot's last block: " +
    'afterwards the peer serves the channel as one that joined from that snapshot (blocks below it answer not found, rebuild-dbs, rollback and reset are refused). ' +
    "The snapshot must be of this peer's chain (its last block hash is checked) and its files must match their hashes. " +
    'Then the freed space is given back to the file system (--no-vacuum skips that). The peer must be stopped.';
  static override examples = [
    '<%= config.bin %> peer prune --config ./net/nodes/peer0.org1.example.com/peer.yaml --channel mychannel --block 1000',
    '<%= config.bin %> peer prune --config ./net/nodes/peer0.org1.example.com/peer.yaml --channel mychannel --snapshot ./snapshots/completed/mychannel/1000',
  ];
  static override flags = {
    config: peerConfigFlag,
    channel: Flags.string({ description: 'channel to prune', required: true }),
    snapshot: Flags.string({ description: 'a snapshot directory of the channel (e.g. another peer of the same chain wrote it)', exactlyOne: ['snapshot', 'block'] }),
    block: Flags.integer({ char: 'b', description: "the last block of one of this peer's own completed snapshots (<snapshot root>/completed/<channel>/<block>)", min: 0, exactlyOne: ['snapshot', 'block'] }),
    vacuum: Flags.boolean({ description: 'give the freed space back to the file system (--no-vacuum: keep the file its size, for a quick prune)', default: true, allowNo: true }),
  };

  async run(): Promise<PrunedChannel> {
    const { flags } = await this.parse(PeerPrune);
    const snapshot = flags.snapshot !== undefined ? { dir: flags.snapshot } : { block: flags.block as number };
    const result = await prunePeerChannel(flags.config, { channel: flags.channel, snapshot, vacuum: flags.vacuum }, (m) => this.progress(m));
    const mib = (n: number): string => (n / 1048576).toFixed(1);
    this.log(
      result.changed
        ? `${result.channel}: pruned through block ${result.prunedThrough}: ${result.blocksRemoved} blocks removed; ledger files ${mib(result.bytesBefore)} MiB -> ${mib(result.bytesAfter)} MiB`
        : `${result.channel}: holds no block at or below ${result.prunedThrough} already, nothing changed`,
    );
    return result;
  }
}
