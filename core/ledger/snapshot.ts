/**
 * Ledger snapshots in Fabric's format (`core/ledger/kvledger/snapshot.go`, `docs/source/peer_ledger_snapshot.md`):
 * a directory of data files (txids, public state, private state hashes, collection config history),
 * `_snapshot_signable_metadata.json` naming each file's SHA-256, and `_snapshot_additional_metadata.json`
 * whose `snapshot_hash` (SHA-256 of the signable file's bytes) is equal on every peer that exports the
 * same channel at the same height.
 */

/** What a snapshot's two metadata files say. */
export interface SnapshotMetadata {
  readonly channelName: string;
  /** The last block the snapshot covers (the exporting ledger's height minus one). */
  readonly lastBlockNumber: number;
  /** Header hash of that block. */
  readonly lastBlockHash: Uint8Array;
  /** Its `previous_hash` (empty for block 0). */
  readonly previousBlockHash: Uint8Array;
  /** Each data file's name and the SHA-256 of its bytes (`snapshot_files_raw_hashes`). */
  readonly fileHashes: ReadonlyMap<string, Uint8Array>;
  /** `state_db_type`. */
  readonly stateDbType: string;
  /** SHA-256 of `_snapshot_signable_metadata.json` as written. */
  readonly snapshotHash: Uint8Array;
  /** `last_block_commit_hash` (see `commit-hash.ts`); absent when the exporting ledger kept none. */
  readonly lastBlockCommitHash?: Uint8Array;
}

/** A data file the caller adds to a snapshot (the peer's collection config history), hashed into the metadata like the ledger's own. */
export interface ExtraSnapshotFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** A snapshot being written by {@link Ledger.exportSnapshot}. */
export interface SnapshotExport {
  /**
   * Resolves once the snapshot's view of the ledger is fixed at the height the export was asked at:
   * from then the ledger's single writer may commit later blocks while the files are written.
   */
  readonly captured: Promise<void>;
  /**
   * Resolves with the metadata once every file is written, synced and the directory renamed into
   * place; rejects with a `LedgerError`, leaving nothing at the target directory.
   */
  readonly done: Promise<SnapshotMetadata>;
}

/** Where the chain of a ledger created from a snapshot starts: it holds no block, history or private data at or below `lastBlockNumber`. */
export interface SnapshotBootstrap {
  readonly lastBlockNumber: number;
  readonly lastBlockHash: Uint8Array;
  readonly previousBlockHash: Uint8Array;
  readonly snapshotHash: Uint8Array;
  /** The snapshot's `last_block_commit_hash`, from which the ledger's chain of commit hashes goes on; absent when it had none. */
  readonly lastBlockCommitHash?: Uint8Array;
}

/** Fabric keeps the newest channel config in state under this namespace and key (`core/peer/configtx_processor.go`); a snapshot carries it there. */
export const CHANNEL_CONFIG_NAMESPACE = '';
export const CHANNEL_CONFIG_KEY = 'CHANNEL_CONFIG_ENV_BYTES';
