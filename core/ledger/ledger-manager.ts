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
