import type { Version } from './tx-simulator';
import type { IndexDefinition, RichQuery } from './rich-query';

/** A committed value with the height that wrote it and its key-level metadata, if any. */
export interface VersionedValue {
  readonly value: Uint8Array;
  readonly version: Version;
  /** Encoded key-level metadata ({@link encodeStateMetadata}); undefined when the key has none. */
  readonly metadata?: Uint8Array;
}

export interface VersionedKV extends VersionedValue {
  readonly key: string;
}

/**
 * One change to world state, computed by the ledger core from a block's valid transactions.
 * `value` undefined deletes the key (and its metadata). `metadata` undefined keeps the key's current
 * metadata, an empty array clears it.
 */
export interface StateUpdate {
  readonly namespace: string;
  readonly key: string;
  readonly value: Uint8Array | undefined;
  readonly version: Version;
  readonly metadata?: Uint8Array;
}

/** Options of {@link VersionedStateStore.getRange}. */
export interface RangeOptions {
  /** Most rows to return. */
  readonly limit: number;
  /** Include `endKey` itself (used to re-execute a range the simulator did not exhaust). */
  readonly endInclusive?: boolean;
}

/** Options of {@link VersionedStateStore.executeQuery}. */
export interface RichQueryOptions {
  /** Rows of the result to pass over first (the query's `skip`); applies only without `after`. */
  readonly skip: number;
  /** Most rows to return. */
  readonly limit: number;
  /** Start right after the row this position names (from {@link RichQueryRows.positionOf}; a client's bookmark). */
  readonly after?: string;
}

/** Rows of a rich query's result, and where each sits in it. */
export interface RichQueryRows {
  readonly rows: VersionedKV[];
  /**
   * The opaque position of `rows[i]`: {@link RichQueryOptions.after} with it continues right after
   * that row, without passing over the rows before it again, and without skipping or repeating
   * rows when commits in between added or removed others.
   */
  positionOf(i: number): string;
}

/**
 * Versioned world state of one channel: what Fabric keeps in its state LevelDB/CouchDB. Writes go
 * only through {@link ChannelLedgerStore.commit}; this interface is the read side. Called by the
 * simulator for every chaincode read (keep point reads around 10 µs) and by the MVCC validator.
 * A throw means the store itself failed (I/O, corruption): callers do not retry.
 */
export interface VersionedStateStore {
  /** The committed value of a key, or undefined when absent. */
  get(namespace: string, key: string): VersionedValue | undefined;
  /**
   * Fabric's `metadataHint`: false only when no committed key of `namespace` (a hashed namespace
   * too) has metadata, so that its keys' metadata is known to be none without a {@link get}; true
   * when one may have (it may stay true after that metadata is gone). Called through
   * `committedMetadata` for every key a transaction writes, at endorsement and at validation:
   * keep it an in-memory answer. Optional: without it every such key is read.
   */
  namespaceHasMetadata?(namespace: string): boolean;
  /**
   * Keys in [startKey, endKey) in UTF-8 byte order (endKey '' = unbounded), at most `limit` rows.
   * Returns a materialized page, never an open cursor: chaincode interleaves other reads with
   * iteration, and an open cursor would block the connection.
   */
  getRange(namespace: string, startKey: string, endKey: string, options: RangeOptions): VersionedKV[];
  /**
   * A rich (Mango) query over JSON values: up to `limit` rows of the result ordered by the query's
   * `sort` then by key, from `after` or else past the first `skip`. Documents are Fabric's on
   * CouchDB: `_id` is the key, a value that is not a JSON object has no fields, and the query
   * answers what CouchDB's index would (mango-index-use.ts `selectorToRun`). Throws `LedgerError` `LEDGER_UNSUPPORTED_QUERY` for a valid query this
   * store cannot run, `LEDGER_BAD_BOOKMARK` for an `after` it did not produce for this query's sort.
   */
  executeQuery(namespace: string, query: RichQuery, options: RichQueryOptions): RichQueryRows;
  /**
   * Declares an index (a chaincode's `META-INF/statedb/couchdb/indexes/*.json`), called when the
   * chaincode is installed or defined. Idempotent by (namespace, ddoc, name).
   */
  declareIndex(namespace: string, index: IndexDefinition): void;
  /**
   * {@link declareIndex} without holding the caller's thread while the index is built (a store that
   * builds elsewhere, such as a worker thread). The caller keeps the store's commits out until it
   * settles. Optional: without it the ledger declares in place.
   */
  declareIndexInBackground?(namespace: string, index: IndexDefinition): Promise<void>;
  /** Number of blocks whose updates are applied: the state is that of height `savepoint()`. */
  savepoint(): number;
}
export const VersionedStateStore = Symbol('VersionedStateStore');
