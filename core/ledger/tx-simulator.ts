/**
 * What chaincode execution reads and writes through. The ledger records every call into Fabric's
 * `KVRWSet` (reads with committed versions, range-query info, writes, metadata writes); the
 * chaincode runtime calls these synchronously from sandbox callbacks, so every method is sync.
 *
 * Semantics are Fabric's: reads see committed state only (never this transaction's own writes),
 * an empty value written is a delete, the last write to a key wins, keys may not start with U+0000
 * except composite keys created through the stub.
 */

/** Committed height of a key: the block and the transaction within it that last wrote it. */
export interface Version {
  readonly blockNum: number;
  readonly txNum: number;
}

export interface KV {
  readonly namespace: string;
  readonly key: string;
  readonly value: Uint8Array;
}

/** One result of a history query, in Fabric's `KeyModification` shape. */
export interface KeyModification {
  readonly txId: string;
  readonly value: Uint8Array;
  /** Block timestamp: the transaction's channel-header timestamp. */
  readonly timestamp: { readonly seconds: number; readonly nanos: number };
  readonly isDelete: boolean;
}

/**
 * One page of a paged query: its rows, then Fabric's `QueryResponseMetadata`. A page may be 100,000
 * rows with their values, so the ledger reads a page's rows from the store in chunks as they are
 * taken; the metadata is known only once every row has been read.
 */
export interface QueryPage<T> {
  /**
   * The rows in order, read from the store as they are iterated; iterate once. For a caller that
   * copies rows out and may stop early (the chaincode host, counting their bytes): a page it stops
   * in is never held whole. Read the metadata after.
   */
  rows(): Iterable<T>;
  /**
   * Every row in one array: the whole page held in memory. Throws `LEDGER_PAGE_CONSUMED` once
   * {@link rows} or the metadata was read first, since those do not keep the rows they pass.
   */
  readonly results: readonly T[];
  /** Rows in the page. Reading it before the rows are all read reads and records the rest, keeping none. */
  readonly fetchedRecordsCount: number;
  /** Where the next page starts; '' when the result set is exhausted. Read as {@link fetchedRecordsCount}. */
  readonly bookmark: string;
}

/** Read-only access to committed state: used by queries (evaluate) and by {@link TxSimulator}. */
export interface QueryExecutor {
  /** Committed value, or undefined when the key does not exist. */
  getState(namespace: string, key: string): Uint8Array | undefined;
  getStateMultiple(namespace: string, keys: readonly string[]): (Uint8Array | undefined)[];
  /** Keys in [startKey, endKey) in byte order; endKey '' means unbounded. */
  getStateRange(namespace: string, startKey: string, endKey: string): Iterable<KV>;
  getStateRangeWithPagination(namespace: string, startKey: string, endKey: string, pageSize: number, bookmark: string): QueryPage<KV>;
  /**
   * Rich query: a CouchDB Mango query (JSON text) over JSON values, matched as CouchDB matches.
   * Like Fabric on CouchDB, a `limit` in the query is ignored: every match, up to the ledger's
   * `totalQueryLimit`. Malformed or unsupported queries throw `LEDGER_BAD_QUERY` /
   * `LEDGER_UNSUPPORTED_OPERATOR`.
   */
  executeQuery(namespace: string, query: string): Iterable<KV>;
  executeQueryWithPagination(namespace: string, query: string, pageSize: number, bookmark: string): QueryPage<KV>;
  /** Key-level metadata (e.g. `VALIDATION_PARAMETER`) by name. */
  getStateMetadata(namespace: string, key: string): Record<string, Uint8Array> | undefined;
  /** History of a key, newest first. */
  getHistoryForKey(namespace: string, key: string): Iterable<KeyModification>;
  /**
   * A private data collection's committed value of `key` (this peer's copy), recorded as a hashed
   * read. Undefined when the key has no committed hash. Throws `LEDGER_PVT_DATA_UNAVAILABLE` when
   * the channel committed a hash of the key but this peer does not hold the matching value (it is
   * not a member of the collection, or never received the data).
   */
  getPrivateData(namespace: string, collection: string, key: string): Uint8Array | undefined;
  /** SHA-256 of the committed private value, which every peer of the channel holds; recorded as a hashed read. */
  getPrivateDataHash(namespace: string, collection: string, key: string): Uint8Array | undefined;
  /** Key-level metadata of a private key (kept with its hash, so every peer has it); recorded as a hashed read. */
  getPrivateDataMetadata(namespace: string, collection: string, key: string): Record<string, Uint8Array> | undefined;
  /**
   * This peer's private values in [startKey, endKey). As in Fabric these reads are not recorded,
   * so a simulator refuses writes after one (and refuses one after a write).
   */
  getPrivateDataRange(namespace: string, collection: string, startKey: string, endKey: string): Iterable<KV>;
  /** A rich query over this peer's private values; recorded and restricted as {@link getPrivateDataRange}. */
  executeQueryOnPrivateData(namespace: string, collection: string, query: string): Iterable<KV>;
  /**
   * Weft's paginated private range (Fabric has none, hyperledger/fabric#4197): up to `pageSize`
   * (capped by `totalQueryLimit`) of {@link getPrivateDataRange}'s results from `bookmark`, '' for
   * the start, with {@link getStateRangeWithPagination}'s bookmarks (the next page's first key).
   * Not recorded, restricted as {@link getPrivateDataRange}. Throws `LEDGER_BAD_PAGE_SIZE` /
   * `LEDGER_BAD_BOOKMARK`.
   */
  getPrivateDataRangeWithPagination(namespace: string, collection: string, startKey: string, endKey: string, pageSize: number, bookmark: string): QueryPage<KV>;
  /** {@link executeQueryOnPrivateData} a page at a time, with {@link executeQueryWithPagination}'s bookmarks. */
  executeQueryOnPrivateDataWithPagination(namespace: string, collection: string, query: string, pageSize: number, bookmark: string): QueryPage<KV>;
  /** Releases iterators and read snapshots. Idempotent. */
  done(): void;
}

/** A key a transaction writes (value, delete, purge or metadata); `collection` '' for public state. */
export interface WrittenKey {
  readonly namespace: string;
  readonly collection: string;
  readonly key: string;
}

/**
 * What a simulation touched beyond its read/write set's bytes, from which an endorser builds
 * Fabric's `ChaincodeInterest` (Fabric's `TxSimulationResults.PrivateReads` and `WritesetMetadata`).
 */
export interface SimulationFootprint {
  /** The namespaces of the read/write set, sorted. */
  readonly namespaces: readonly string[];
  /**
   * Every written key, once, with its committed metadata (a private key's is kept with its hash);
   * `collection` is '' for public state.
   */
  readonly writes: readonly (WrittenKey & { readonly metadata: Readonly<Record<string, Uint8Array>> | undefined })[];
  /**
   * Collections whose private values (not only hashes) the transaction read, sorted: by a point
   * read (an absent key too) or a range, partial composite key or rich query, paginated or not.
   * Unlike Fabric's `PrivateReads`, which misses the queries, so that its Gateway may ask a peer
   * outside the collection, which answers from data it does not hold. The queries add nothing to
   * the read/write set, so a namespace may be here and not in {@link namespaces}.
   */
  readonly privateReads: readonly { readonly namespace: string; readonly collection: string }[];
}

/** A {@link QueryExecutor} that also records writes for one transaction. */
export interface TxSimulator extends QueryExecutor {
  setState(namespace: string, key: string, value: Uint8Array): void;
  deleteState(namespace: string, key: string): void;
  setStateMetadata(namespace: string, key: string, metadata: Record<string, Uint8Array>): void;
  /** Records a private write: the value goes to the private rwset, its hash to the public one. An empty value is a delete. */
  setPrivateData(namespace: string, collection: string, key: string, value: Uint8Array): void;
  deletePrivateData(namespace: string, collection: string, key: string): void;
  /** Fabric 2.5's purge: deletes the key and, on every peer, the private data history of it. */
  purgePrivateData(namespace: string, collection: string, key: string): void;
  setPrivateDataMetadata(namespace: string, collection: string, key: string, metadata: Record<string, Uint8Array>): void;
  /**
   * The serialized `rwset.TxReadWriteSet` of everything recorded so far, namespaces sorted, keys
   * sorted within each: two simulations of the same proposal on the same state give identical bytes.
   */
  getTxSimulationResults(): Uint8Array;
  /**
   * The serialized `rwset.TxPvtReadWriteSet` of the private writes (what the endorser keeps in its
   * transient store and never puts in a response), or undefined when there are none. Call after
   * {@link getTxSimulationResults}, whose collection hashes cover exactly these bytes.
   */
  getPrivateSimulationResults(): Uint8Array | undefined;
  /**
   * See {@link SimulationFootprint}. Each part is worked out when first read (`writes` from
   * committed state), so read them before {@link done}; a caller reading `privateReads` alone pays
   * for nothing else.
   */
  getSimulationFootprint(): SimulationFootprint;
}
