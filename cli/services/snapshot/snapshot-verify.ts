import * as path from 'node:path';
import { WeftError } from '../../../core/errors';
import { sha256Hex, signableMetadataJson, verifySnapshotFiles } from '../../../core/ledger/snapshot-metadata';
import type { SnapshotMetadata } from '../../../core/ledger/snapshot';
import { describeSnapshot } from './snapshot-files';

export interface VerifiedSnapshot {
  readonly dir: string;
  readonly channel: string;
  readonly block: number;
  readonly snapshotHash: string;
  readonly lastBlockHash: string;
  /** `state_db_type`: `CouchDB` (a Weft peer, a Fabric peer on CouchDB) or `SimpleKeyValueDB` (a Fabric peer on LevelDB). */
  readonly stateDbType: string;
}

/**
 * What identifies the ledger a snapshot holds: the signable metadata with `state_db_type` left out
 * (set to one fixed value). Fabric writes `CouchDB` or `SimpleKeyValueDB` there by the kind of state
 * database the exporting peer runs (`core/ledger/kvledger/snapshot.go`, generateSnapshotMetadataFiles),
 * and both kinds export the same records, so the same ledger at the same block has two
 * `snapshot_hash` values: Weft's (CouchDB) and a LevelDB Fabric peer's. Everything else in the file
 * (channel, block, its hash and previous hash, every data file's SHA-256) is equal exactly when the
 * ledgers are.
 */
function ledgerIdentity(meta: SnapshotMetadata): string {
  return sha256Hex(Buffer.from(signableMetadataJson({ ...meta, stateDbType: '' }), 'utf8'));
}

/**
 * `weft snapshot verify`: re-hashes every data file of each snapshot against its signable metadata
 * and checks `snapshot_hash` (the core ledger's own check, the one the peer runs before it imports),
 * then that all of them are the same ledger: one channel, one block, the same block hash and data
 * files. Fabric's advice before joining from a snapshot is to compare `snapshot_hash` with other
 * orgs' peers; those differ also when only `state_db_type` does (a Weft snapshot against a LevelDB
 * Fabric peer's), which `stateDbTypesDiffer` reports instead of a disagreement.
 */
export async function verifySnapshots(dirs: readonly string[]): Promise<{ snapshots: VerifiedSnapshot[]; agree: boolean; stateDbTypesDiffer: boolean }> {
  const snapshots: VerifiedSnapshot[] = [];
  const identities: string[] = [];
  for (const dir of dirs) {
    const abs = path.resolve(dir);
    const meta = await verifySnapshotFiles(abs);
    snapshots.push({ ...describeSnapshot(abs, meta), stateDbType: meta.stateDbType });
    identities.push(ledgerIdentity(meta));
  }
  const first = snapshots[0]!;
  if (identities.some((id) => id !== identities[0])) {
    const list = snapshots.map((s) => `${s.dir}: channel ${s.channel}, block ${s.block}, snapshot_hash ${s.snapshotHash}`).join('; ');
    throw new WeftError('SNAPSHOTS_DISAGREE', `the snapshots are not the same ledger: ${list}`, {
      snapshots,
      suggestions: [
        'snapshots agree only when taken at the same block: ask every org for the same one (weft snapshot submit <dir> --block <n>)',
        'at the same block, different data files mean different ledgers: do not join from it until the orgs find out why',
      ],
    });
  }
  return { snapshots, agree: true, stateDbTypesDiffer: snapshots.some((s) => s.stateDbType !== first.stateDbType) };
}
