import type { Block } from '@hyperledger/fabric-protos/lib/common/common_pb';
import type { Ledger } from './ledger';

/**
 * The node's channel ledgers (Fabric's ledger manager / `kvledger.Provider`). Called at node start
 * (open every listed channel), on channel join (create from the genesis block) and by every
 * subsystem that needs a channel's ledger. Throws `LedgerError`.
 */
export interface LedgerManager {
  /**
   * Creates a channel's ledger, committing `genesisBlock` when given. Throws
   * `LEDGER_CHANNEL_EXISTS` when the channel already has a ledger.
   */
  create(channelId: string, genesisBlock?: Block): Ledger;
  /**
   * Creates a channel's ledger from a snapshot directory (Fabric's `CreateFromSnapshot`): checks every
   * file against the metadata's hashes, loads state, private state hashes, txids and the collection
   * config history (see {@link Ledger.importedConfigHistory}), and records
   * where the chain starts, so the next block to commit is `lastBlockNumber + 1` and must chain to
   * `lastBlockHash`. Returns the channel id and the ledger. Throws `LEDGER_BAD_SNAPSHOT` (which file,
   * what is wrong) and `LEDGER_CHANNEL_EXISTS`; a failure or a crash part way leaves no ledger for
   * the channel. `onProgress` hears how many records (state entries, private state hashes, txids) are loaded.
   */
  createFromSnapshot(snapshotDir: string, onProgress?: (loaded: number) => void): Promise<Ledger>;
  /**
   * The channel's ledger, opened (with startup recovery) on first use. Throws
   * `LEDGER_UNKNOWN_CHANNEL` when the channel has no ledger.
   */
  open(channelId: string): Ledger;
  exists(channelId: string): boolean;
  /** Channel ids with a ledger, sorted. */
  list(): string[];
  /** Closes every open ledger. */
  close(): void;
}
export const LedgerManager = Symbol('LedgerManager');
