import { Args, Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { verifySnapshots, type VerifiedSnapshot } from '../../services/snapshot/snapshot-verify';

export default class SnapshotVerify extends WeftCommand {
  static override summary = "Check a snapshot's files against its metadata, and that other snapshots (other peers', other orgs') are the same.";
  static override description =
    "Re-hashes every data file against _snapshot_signable_metadata.json and checks snapshot_hash, as the peer does before joining from it. " +
    "With --against, the snapshots must be of the same channel and block with the same snapshot_hash: Fabric's advice is to compare it with other orgs' before joining a peer from a snapshot. " +
    "A Fabric peer on LevelDB writes state_db_type SimpleKeyValueDB where Weft (and a Fabric peer on CouchDB) writes CouchDB, so its snapshot_hash differs for the same ledger: such snapshots agree when everything else does (block hash, every data file), and the command says so.";
  static override examples = [
    '<%= config.bin %> snapshot verify ./net/nodes/peer0.org1.example.com/data/snapshots/completed/mychannel/120',
    '<%= config.bin %> snapshot verify ./org1-snap --against ./org2-snap --against ./org3-snap',
  ];
  static override args = { snapshot: Args.string({ description: 'snapshot directory (<snapshot root>/completed/<channel>/<block>)', required: true }) };
  static override flags = {
    against: Flags.string({ description: 'another snapshot of the same block to compare with (repeat for more)', multiple: true, multipleNonGreedy: true }),
  };

  async run(): Promise<{ snapshots: VerifiedSnapshot[]; agree: boolean; stateDbTypesDiffer: boolean }> {
    const { args, flags } = await this.parse(SnapshotVerify);
    const result = await verifySnapshots([args.snapshot, ...(flags.against ?? [])]);
    for (const s of result.snapshots) this.log(`${s.dir}: channel ${s.channel}, block ${s.block}, snapshot_hash ${s.snapshotHash}: files match`);
    if (result.snapshots.length > 1) this.log(`all ${result.snapshots.length} snapshots agree`);
    if (result.stateDbTypesDiffer) {
      const types = result.snapshots.map((s) => `${s.dir}: ${s.stateDbType}`).join('; ');
      this.log(`their snapshot_hash values differ only by state_db_type (${types}): the same block and data files, as a Fabric peer on LevelDB and one on CouchDB (or Weft) write them`);
    }
    return result;
  }
}
