/** Where a transaction sits in the chain, with the validation code the committer gave it. */
export interface TxLocation {
  readonly blockNum: number;
  readonly txNum: number;
  /** `TxValidationCode` from the block's TRANSACTIONS_FILTER. */
  readonly validationCode: number;
  /**
   * Set for a txid a ledger created from a snapshot took from it: the transaction is committed in a
   * block this ledger does not hold. Then `blockNum` is the snapshot's last block, `txNum` -1 and
   * `validationCode` NOT_VALIDATED (254): the snapshot does not say which block or whether valid.
   */
  readonly fromSnapshot?: true;
}

/** One indexed transaction of a block being committed. */
export interface TxIndexEntry {
  readonly txId: string;
  readonly txNum: number;
  readonly validationCode: number;
}

/**
 * Append-only block storage of one channel. Blocks are kept as the exact serialized `common.Block`
 * bytes the committer produced (with its TRANSACTIONS_FILTER), so signatures and hashes verify
 * against what is stored. Appends go only through {@link ChannelLedgerStore.commit}. Read by the
 * Deliver service, queries (`qscc`), duplicate-txid checks and recovery; a throw means the store failed.
 */
export interface BlockStore {
  /** Number of blocks stored; the next block number to commit. */
  height(): number;
  /** The stored bytes of block `blockNum`, or undefined beyond the height. */
  getBlockBytes(blockNum: number): Uint8Array | undefined;
  /** The number of the block whose header hash is `hash`, or undefined. */
  getBlockNumberByHash(hash: Uint8Array): number | undefined;
  /**
   * The first transaction committed with this id (valid or not), or undefined. A later duplicate is
   * stored in its block but never replaces the first entry, as in Fabric.
   */
  getTxLocation(txId: string): TxLocation | undefined;
}
export const BlockStore = Symbol('BlockStore');
