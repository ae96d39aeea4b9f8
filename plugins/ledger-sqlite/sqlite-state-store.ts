import type Database from 'better-sqlite3';
import { CouchRegex } from '../../core/ledger/couch-regex';
import { selectorToRun } from '../../core/ledger/mango-index-use';
import type { IndexDefinition, RichQuery } from '../../core/ledger/rich-query';
import type {
  RangeOptions,
  RichQueryOptions,
  RichQueryRows,
  StateUpdate,
  VersionedKV,
  VersionedStateStore,
  VersionedValue,
} from '../../core/ledger/versioned-state-store';
import { couchCollationKeyOfJson } from './couch-collation';
import { chooseIndex, compileRichQuery, type CompiledQuery } from './mango-query';
import { isBudgetError } from './mango-sql';
import { decodePosition, encodePosition } from './query-position';
import { toBuffer } from './sqlite-bytes';
import { SqliteDeclaredIndexes } from './sqlite-declared-indexes';
import { sqliteFailure } from './sqlite-failure';

/** A state row; a rich query's rows go on with the collation keys of the query's sort fields. */
type Row = [key: string, value: Buffer, blockNum: number, txNum: number, metadata: Buffer | null, ...sortKeys: (Buffer | null)[]];

const COLUMNS = 'key, value, block_num, tx_num, metadata';
const QUERY_CACHE = 256;
/**
 * The cached statements' SQL, at most: a query may take up to `MAX_QUERY_SQL_BYTES`, and 256 of
 * those would hold hundreds of MB. Most are under 2 KB; one that seeks an index on a path with
 * integer segments spells that path out, tens of KB.
 */
const QUERY_CACHE_BYTES = 4 * 1024 * 1024;
/** Larger values are read from SQLite every time, so the cache's memory stays ≤ entries × 4 KiB. */
const CACHED_VALUE_MAX_BYTES = 4096;

function toKV(r: Row): VersionedKV {
  return r[4] === null
    ? { key: r[0], value: r[1], version: { blockNum: r[2], txNum: r[3] } }
    : { key: r[0], value: r[1], version: { blockNum: r[2], txNum: r[3] }, metadata: r[4] };
}

/**
 * World state in the `state` table; rich queries through JSON1 with compiled, cached statements.
 *
 * Point reads of committed state go through a small cache (`cacheEntries`, 0 = off): every
 * proposal and every validated transaction reads its chaincode definition, and the key-level
 * policy of each key it writes, again and again, at ~7 µs a SQLite read. Only what a read outside
 * any transaction returned is cached, and `apply` drops the keys it writes before they change, so a
 * write that rolls back leaves nothing stale behind. Cached values are shared: callers never mutate
 * what `get` returns.
 */
export class SqliteStateStore implements VersionedStateStore {
  private readonly getStmt: Database.Statement;
  private readonly rangeStmt: Database.Statement;
  private readonly rangeInclStmt: Database.Statement;
  private readonly rangeOpenStmt: Database.Statement;
  private readonly putKeepMeta: Database.Statement;
  private readonly putWithMeta: Database.Statement;
  private readonly delStmt: Database.Statement;
  private readonly savepointStmt: Database.Statement;
  private readonly metadataInNamespace: Database.Statement;
  /** Per namespace asked about: whether a key may have metadata (see {@link namespaceHasMetadata}). */
  private readonly metadataNamespaces = new Map<string, boolean>();
  private readonly queries = new Map<string, Database.Statement>();
  /** The length of the SQL of {@link queries}. */
  private cachedBytes = 0;
  private readonly declaredIndexes: SqliteDeclaredIndexes;
  /** `ns \u0000 key` → committed value, `null` for an absent key; oldest entries leave first. */
  private readonly cache = new Map<string, VersionedValue | null>();

  constructor(
    private readonly db: Database.Database,
    private readonly cacheEntries = 0,
  ) {
    // Before any statement that writes `state`: its declared indexes call these functions.
    db.function('weft_regexp', { deterministic: true }, regexpMatch);
    db.function('weft_couch_key', { deterministic: true, safeIntegers: true }, couchCollationKeyOfJson);
    this.getStmt = db.prepare(`SELECT ${COLUMNS} FROM state WHERE ns = ? AND key = ?`).raw();
    this.rangeStmt = db.prepare(`SELECT ${COLUMNS} FROM state WHERE ns = ? AND key >= ? AND key < ? ORDER BY key LIMIT ?`).raw();
    this.rangeInclStmt = db.prepare(`SELECT ${COLUMNS} FROM state WHERE ns = ? AND key >= ? AND key <= ? ORDER BY key LIMIT ?`).raw();
    this.rangeOpenStmt = db.prepare(`SELECT ${COLUMNS} FROM state WHERE ns = ? AND key >= ? ORDER BY key LIMIT ?`).raw();
    this.putKeepMeta = db.prepare(
      'INSERT INTO state (ns, key, value, block_num, tx_num) VALUES (?, ?, ?, ?, ?) ' +
        'ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value, block_num = excluded.block_num, tx_num = excluded.tx_num',
    );
    this.putWithMeta = db.prepare('INSERT OR REPLACE INTO state (ns, key, value, block_num, tx_num, metadata) VALUES (?, ?, ?, ?, ?, ?)');
    this.delStmt = db.prepare('DELETE FROM state WHERE ns = ? AND key = ?');
    this.savepointStmt = db.prepare("SELECT value FROM meta WHERE name = 'state_savepoint'").pluck();
    // INDEXED BY: a file without the index fails here rather than scan a namespace per question.
    this.metadataInNamespace = db.prepare('SELECT 1 FROM state INDEXED BY state_metadata_ns WHERE ns = ? AND metadata IS NOT NULL LIMIT 1').pluck();
    // A compiled statement may seek an index by name (INDEXED BY): none outlives a change of them.
    this.declaredIndexes = new SqliteDeclaredIndexes(db, () => {
      this.queries.clear();
      this.cachedBytes = 0;
    });
  }

  private prepareQuery(sql: string): Database.Statement {
    let stmt = this.queries.get(sql);
    if (stmt === undefined) {
      stmt = this.db.prepare(sql).raw();
      if (sql.length > QUERY_CACHE_BYTES / 4) return stmt;
      while (this.queries.size >= QUERY_CACHE || this.cachedBytes + sql.length > QUERY_CACHE_BYTES) {
        const oldest = this.queries.keys().next().value as string;
        this.queries.delete(oldest);
        this.cachedBytes -= oldest.length;
      }
      this.queries.set(sql, stmt);
      this.cachedBytes += sql.length;
    }
    return stmt;
  }

  get(namespace: string, key: string): VersionedValue | undefined {
    if (this.cacheEntries === 0) return this.read(namespace, key);
    const cacheKey = namespace + '\u0000' + key;
    const hit = this.cache.get(cacheKey);
    if (hit !== undefined) return hit ?? undefined;
    const vv = this.read(namespace, key);
    if (!this.db.inTransaction && (vv === undefined || vv.value.length <= CACHED_VALUE_MAX_BYTES)) {
      if (this.cache.size >= this.cacheEntries) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(cacheKey, vv ?? null);
    }
    return vv;
  }

  private read(namespace: string, key: string): VersionedValue | undefined {
    let r: Row | undefined;
    try {
      r = this.getStmt.get(namespace, key) as Row | undefined;
    } catch (e) {
      throw sqliteFailure('state read', e, { namespace, key });
    }
    return r === undefined ? undefined : toKV(r);
  }

  /**
   * Asks the partial index `state_metadata_ns` once per namespace (one descent), then answers from
   * memory: {@link apply} marks a namespace as it writes metadata into it. A namespace whose
   * metadata is all gone stays marked until the store is opened again, as Fabric's hint stays set.
   */
  namespaceHasMetadata(namespace: string): boolean {
    let has = this.metadataNamespaces.get(namespace);
    if (has !== undefined) return has;
    try {
      has = this.metadataInNamespace.get(namespace) !== undefined;
    } catch (e) {
      throw sqliteFailure('state metadata lookup', e, { namespace });
    }
    // Inside a transaction the answer may count writes that roll back.
    if (!this.db.inTransaction) this.metadataNamespaces.set(namespace, has);
    return has;
  }

  /** Forgets every cached read: for writes to the `state` table that bypass {@link apply}. */
  clearCache(): void {
    this.cache.clear();
    this.metadataNamespaces.clear();
  }

  getRange(namespace: string, startKey: string, endKey: string, options: RangeOptions): VersionedKV[] {
    let rows: Row[];
    try {
      rows = (
        endKey === ''
          ? this.rangeOpenStmt.all(namespace, startKey, options.limit)
          : (options.endInclusive === true ? this.rangeInclStmt : this.rangeStmt).all(namespace, startKey, endKey, options.limit)
      ) as Row[];
    } catch (e) {
      throw sqliteFailure('state range read', e, { namespace, startKey, endKey });
    }
    return rows.map(toKV);
  }

  executeQuery(namespace: string, query: RichQuery, options: RichQueryOptions): RichQueryRows {
    const sortFields = query.sort?.length ?? 0;
    const after = options.after === undefined ? undefined : decodePosition(options.after, sortFields);
    const declared = this.declaredIndexes.of(namespace);
    const run: RichQuery = { ...query, selector: selectorToRun(query, declared.map((d) => d.definition)) };
    let index = chooseIndex(run, declared);
    let compiled: CompiledQuery;
    try {
      compiled = compileRichQuery(namespace, run, index, after);
    } catch (e) {
      // An index's fields are spelled out in full (up to 2^8 alternatives a path), which may not fit
      // where the compact form does; the index only makes the query faster.
      if (index === undefined || !isBudgetError(e)) throw e;
      index = undefined;
      compiled = compileRichQuery(namespace, run, undefined, after);
    }
    let stmt: Database.Statement;
    try {
      stmt = this.prepareQuery(compiled.sql);
    } catch (e) {
      // INDEXED BY fails to prepare when the planner cannot use that index after all; run unindexed.
      if (index === undefined) throw e;
      compiled = compileRichQuery(namespace, run, undefined, after);
      stmt = this.prepareQuery(compiled.sql);
    }
    let rows: Row[];
    try {
      rows = stmt.all(...compiled.params, options.limit, after === undefined ? options.skip : 0) as Row[];
    } catch (e) {
      throw sqliteFailure('rich query', e, { namespace });
    }
    return {
      rows: rows.map(toKV),
      positionOf: (i) => encodePosition({ key: rows[i][0], sortKeys: rows[i].slice(5) as (Buffer | null)[] }),
    };
  }

  declareIndex(namespace: string, index: IndexDefinition): void {
    this.declaredIndexes.declare(namespace, index);
  }

  /**
   * {@link declareIndex} with SQLite's build on a connection of its own in a worker thread (see
   * `buildInWorker`): the caller must keep this store's commits out until it settles. Queries use
   * the index once it is built.
   */
  declareIndexInBackground(namespace: string, index: IndexDefinition): Promise<void> {
    return this.declaredIndexes.declareInBackground(namespace, index);
  }

  savepoint(): number {
    try {
      return Number(this.savepointStmt.get());
    } catch (e) {
      throw sqliteFailure('state savepoint read', e);
    }
  }

  /**
   * Applies updates; the caller holds the transaction. A write that keeps the key's metadata is an
   * upsert, which for a key that exists costs SQLite two descents of the B-tree (the conflict check,
   * then the DO UPDATE's write from the root again) and computes `j` twice, for the row it would
   * insert and for the row it writes. A key whose committed row is cached has known metadata, and
   * is written by INSERT OR REPLACE instead: one descent, `j` once, ~45% fewer SQLite instructions.
   * On a peer nearly every written key is cached: the block validator reads each one's key-level
   * policy just before the commit. The cache is exact (see {@link get}), so the row keeps the
   * metadata it has.
   */
  apply(updates: readonly StateUpdate[]): void {
    for (const u of updates) {
      let committed: VersionedValue | null | undefined;
      if (this.cache.size > 0) {
        const cacheKey = u.namespace + '\u0000' + u.key;
        committed = this.cache.get(cacheKey);
        this.cache.delete(cacheKey);
      }
      // Before the write: a later update of the same key in this batch may keep this metadata.
      if (u.metadata !== undefined && u.metadata.length > 0) this.metadataNamespaces.set(u.namespace, true);
      if (u.value === undefined) {
        this.delStmt.run(u.namespace, u.key);
      } else if (u.metadata === undefined && (committed === undefined || committed === null) && this.metadataNamespaces.get(u.namespace) !== false) {
        // Unknown, or known absent: an upsert inserts a new key in one descent anyway. In a
        // namespace known to hold no metadata, the metadata to keep is known: none.
        this.putKeepMeta.run(u.namespace, u.key, toBuffer(u.value), u.version.blockNum, u.version.txNum);
      } else {
        // The update's own metadata (empty clears it), else the cached row's, kept as stored.
        const metadata = u.metadata === undefined ? committed?.metadata : u.metadata.length === 0 ? undefined : u.metadata;
        this.putWithMeta.run(u.namespace, u.key, toBuffer(u.value), u.version.blockNum, u.version.txNum, metadata === undefined ? null : toBuffer(metadata));
      }
    }
  }
}


const regexCache = new Map<string, CouchRegex | undefined>();

/** Deterministic REGEXP for `$regex`, with CouchDB's semantics (core/ledger/couch-regex.ts). */
function regexpMatch(pattern: unknown, value: unknown): number {
  if (typeof pattern !== 'string' || typeof value !== 'string') return 0;
  if (!regexCache.has(pattern)) {
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(pattern, compileOrUndefined(pattern));
  }
  return regexCache.get(pattern)?.test(value) === true ? 1 : 0;
}

/** The query parser already refused bad patterns; one that slips through matches nothing, as in CouchDB. */
function compileOrUndefined(pattern: string): CouchRegex | undefined {
  try {
    return CouchRegex.compile(pattern);
  } catch {
    return undefined;
  }
}
