import { LedgerError } from '../errors';
import { historyPages, type HistoryStore } from './history-store';
import { nextKey, validateNamespace, validateReadKey } from './ledger-keys';
import { hashedKey, hashedNamespace, isDerivedNamespace, pvtNamespace, validateCollection } from './private-data';
import type { LedgerOptions } from './ledger-options';
import { JSON_WITH_SOURCE } from './mango-selector';
import { arrayIndex, DOC_ID_FIELD, isElementIndex, parseRichQuery, type FieldPath, type RichQuery } from './rich-query';
import type { RwSetBuilder, RecordedRange } from './rwset-builder';
import { decodeStateMetadata } from './state-metadata';
import type { KeyModification, KV, QueryExecutor, QueryPage } from './tx-simulator';
import type { VersionedKV, VersionedStateStore, VersionedValue } from './versioned-state-store';

/**
 * Rows (or history entries) fetched per store call while iterating (an iterator never holds a
 * cursor open): first what the chaincode host's first batch pulls (Fabric's 100 results and the one
 * that shows there are more), then what each later batch pulls. An iterator hands each row out and
 * forgets it, so one a chaincode leaves open between batches holds no rows fetched but not handed
 * out; with chunks of 256, each open iterator held ~155 of them, values included, for as long as it
 * stayed open. A history read fetched a key's whole history at once, up to `totalQueryLimit`.
 */
const FIRST_CHUNK = 101;
const CHUNK = 100;

/** A chunk's rows in the order `pop` hands them out: a generator keeps none of them once handed out. */
function handOut(rows: readonly VersionedKV[]): VersionedKV[] {
  return rows.slice().reverse();
}

function toKV(namespace: string, kv: VersionedKV): KV {
  return { namespace, key: kv.key, value: kv.value };
}

/** Numbers keep the text they were written with, so an integer beyond 2^53 comes back exact, as from CouchDB. */
function keepNumberText(_key: string, value: unknown, context?: { readonly source?: string }): unknown {
  return typeof value === 'number' && context?.source !== undefined ? JSON_WITH_SOURCE.rawJSON(context.source) : value;
}

/** CouchDB's mango_doc:get_field: properties of objects, integer segments into arrays (`tags.0`). */
function pickField(value: unknown, path: FieldPath): { found: boolean; value?: unknown } {
  let cur = value;
  for (const seg of path) {
    if (Array.isArray(cur)) {
      const i = arrayIndex(seg);
      if (!isElementIndex(i) || i >= cur.length) return { found: false };
      cur = cur[i] as unknown;
    } else if (typeof cur === 'object' && cur !== null && !JSON_WITH_SOURCE.isRawJSON(cur) && Object.hasOwn(cur, seg)) {
      cur = (cur as Record<string, unknown>)[seg];
    } else return { found: false };
  }
  return { found: true, value: cur };
}

/** Sets an own property, even one named `__proto__`. */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The value as a CouchDB document's fields: a JSON object, or for any other value none. */
function documentFields(value: Uint8Array): unknown {
  try {
    const doc = JSON_WITH_SOURCE.parse(Buffer.from(value).toString('utf8'), keepNumberText);
    return typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? doc : {};
  } catch {
    return {};
  }
}

/**
 * CouchDB `fields`: a value holding only the named (possibly nested) fields. A value that is not a
 * JSON object has none, so it projects to `{}`, and `_id` is left out, as Fabric does.
 */
export function projectFields(value: Uint8Array, fields: readonly FieldPath[] | undefined): Uint8Array {
  if (fields === undefined || fields.length === 0) return value;
  const doc = documentFields(value);
  const out: Record<string, unknown> = {};
  for (const path of fields) {
    if (path[0] === DOC_ID_FIELD) continue;
    const got = pickField(doc, path);
    if (!got.found) continue;
    // As CouchDB's set_field on the projection: missing levels become objects ({"tags": {"0": "x"}}).
    let target = out;
    for (const seg of path.slice(0, -1)) {
      if (!Object.hasOwn(target, seg) || typeof target[seg] !== 'object' || target[seg] === null) define(target, seg, {});
      target = target[seg] as Record<string, unknown>;
    }
    define(target, path[path.length - 1], got.value);
  }
  return Buffer.from(JSON.stringify(out), 'utf8');
}

/** A chaincode's own namespace: never one of the derived private/hashed namespaces, which only the private data methods reach. */
export function publicNamespace(namespace: unknown): string {
  const ns = validateNamespace(namespace);
  if (isDerivedNamespace(ns)) {
    throw new LedgerError('LEDGER_BAD_NAMESPACE', `namespace ${JSON.stringify(ns)} holds '$$', which only private data collections' derived namespaces use`, { namespace: ns });
  }
  return ns;
}

function mapIterable<T, U>(source: Iterable<T>, fn: (t: T) => U): Iterable<U> {
  return {
    *[Symbol.iterator]() {
      for (const t of source) yield fn(t);
    },
  };
}

function checkPageSize(pageSize: unknown): number {
  if (typeof pageSize !== 'number' || !Number.isSafeInteger(pageSize) || pageSize <= 0) {
    throw new LedgerError('LEDGER_BAD_PAGE_SIZE', `pageSize must be a positive integer, received ${JSON.stringify(pageSize)}`, { pageSize });
  }
  return pageSize;
}

/**
 * Read-only access to one channel's committed state. With a {@link RwSetBuilder} it records what it
 * reads (the simulator's read side), as Fabric's query helper does: point reads and rich-query
 * results as reads, range queries as `RangeQueryInfo` for phantom checks, history not at all.
 */
export class QueryExecutorImpl implements QueryExecutor {
  protected finished = false;
  /** Set once a paginated query ran: Fabric then forbids writes in the same transaction. */
  protected paginated = false;

  constructor(
    protected readonly state: VersionedStateStore,
    protected readonly historyStore: HistoryStore,
    protected readonly options: LedgerOptions,
    protected readonly recorder?: RwSetBuilder,
  ) {}

  protected checkOpen(): void {
    if (this.finished) throw new LedgerError('LEDGER_TX_DONE', 'this query executor or simulator is done; start a new one', {});
  }

  getState(namespace: string, key: string): Uint8Array | undefined {
    this.checkOpen();
    publicNamespace(namespace);
    validateReadKey(namespace, key, this.options);
    const vv = this.state.get(namespace, key);
    this.recorder?.addRead(namespace, key, vv?.version);
    return vv?.value;
  }

  getStateMultiple(namespace: string, keys: readonly string[]): (Uint8Array | undefined)[] {
    if (!Array.isArray(keys)) throw new LedgerError('LEDGER_BAD_KEY', 'keys must be an array of strings', { namespace });
    return keys.map((k) => this.getState(namespace, k));
  }

  getStateRange(namespace: string, startKey: string, endKey: string): Iterable<KV> {
    this.checkRange(namespace, startKey, endKey);
    const record = this.recorder?.addRange(namespace, startKey);
    return this.rangeIterable(namespace, startKey, endKey, this.options.totalQueryLimit, record);
  }

  getStateRangeWithPagination(namespace: string, startKey: string, endKey: string, pageSize: number, bookmark: string): QueryPage<KV> {
    this.checkRange(namespace, startKey, endKey);
    checkPageSize(pageSize);
    if (typeof bookmark !== 'string') throw new LedgerError('LEDGER_BAD_BOOKMARK', 'bookmark must be a string', { bookmark });
    this.beforePaginated();
    // As Fabric on LevelDB: the bookmark is the first key of the next page, '' once exhausted, and
    // the page starts at it whatever the start key (core/chaincode/handler.go HandleGetStateByRange).
    const from = bookmark !== '' ? bookmark : startKey;
    if (bookmark !== '') validateReadKey(namespace, bookmark, this.options, 'bookmark');
    const size = Math.min(pageSize, this.options.totalQueryLimit);
    const rows = this.state.getRange(namespace, from, endKey, { limit: size + 1 });
    const page = rows.slice(0, size);
    const record = this.recorder?.addRange(namespace, from);
    if (record !== undefined) {
      // Fabric's handler stops after `size` results without asking for one more, so a page that
      // ends exactly at the range's end is not "exhausted" there either.
      for (const r of page) {
        record.reads.push({ key: r.key, version: r.version });
        record.endKey = r.key;
      }
      if (page.length < size) {
        record.exhausted = true;
        record.endKey = endKey;
      }
    }
    return { results: page.map((r) => toKV(namespace, r)), fetchedRecordsCount: page.length, bookmark: rows.length > size ? rows[size].key : '' };
  }

  executeQuery(namespace: string, query: string): Iterable<KV> {
    this.checkOpen();
    publicNamespace(namespace);
    const q = parseRichQuery(query);
    // As Fabric's CouchDB state database (applyAdditionalQueryOptions in statecouchdb.go): a
    // non-paginated query's "limit" is replaced ("This will override any limit passed in the
    // query"), so a chaincode that sets one gets every match up to totalQueryLimit, here as there.
    return this.queryIterable(namespace, q, q.skip ?? 0, this.options.totalQueryLimit);
  }

  executeQueryWithPagination(namespace: string, query: string, pageSize: number, bookmark: string): QueryPage<KV> {
    this.checkOpen();
    publicNamespace(namespace);
    const q = parseRichQuery(query);
    checkPageSize(pageSize);
    if (typeof bookmark !== 'string') throw new LedgerError('LEDGER_BAD_BOOKMARK', 'bookmark must be a string', { bookmark });
    this.beforePaginated();
    // The bookmark is the position of the page's last row, so the next page starts right after it
    // without passing over the rows before it again (CouchDB's bookmarks work the same way).
    const mark = bookmark !== '' ? bookmark : (q.bookmark ?? '');
    const size = Math.min(pageSize, this.options.totalQueryLimit);
    const result = this.state.executeQuery(namespace, q, { skip: q.skip ?? 0, limit: size + 1, ...(mark !== '' ? { after: mark } : {}) });
    const page = result.rows.slice(0, size);
    for (const r of page) this.recorder?.addRead(namespace, r.key, r.version);
    return {
      results: page.map((r) => ({ namespace, key: r.key, value: projectFields(r.value, q.fields) })),
      fetchedRecordsCount: page.length,
      bookmark: result.rows.length > size ? result.positionOf(size - 1) : '',
    };
  }

  getStateMetadata(namespace: string, key: string): Record<string, Uint8Array> | undefined {
    this.checkOpen();
    publicNamespace(namespace);
    validateReadKey(namespace, key, this.options);
    const vv = this.state.get(namespace, key);
    this.recorder?.addRead(namespace, key, vv?.version);
    return decodeStateMetadata(vv?.metadata);
  }

  getHistoryForKey(namespace: string, key: string): Iterable<KeyModification> {
    this.checkOpen();
    publicNamespace(namespace);
    validateReadKey(namespace, key, this.options);
    if (!this.options.historyEnabled) {
      throw new LedgerError('LEDGER_HISTORY_DISABLED', 'history queries need the history index (ledger option historyEnabled)', { namespace, key });
    }
    const entries = historyPages(this.historyStore, namespace, key, { limit: this.options.totalQueryLimit, firstPage: FIRST_CHUNK, page: CHUNK, stopped: () => this.finished });
    return mapIterable(entries, (h) => ({ txId: h.txId, value: h.value ?? new Uint8Array(0), timestamp: h.timestamp, isDelete: h.value === undefined }));
  }

  getPrivateData(namespace: string, collection: string, key: string): Uint8Array | undefined {
    const hashed = this.hashedRead(namespace, collection, key);
    if (hashed === undefined) {
      // Fabric counts a read of an absent key as a private read too: the transaction depends on it.
      this.recorder?.addPrivateRead(namespace, collection);
      return undefined;
    }
    const pvt = this.state.get(pvtNamespace(namespace, collection), key);
    if (pvt === undefined || pvt.version.blockNum !== hashed.version.blockNum || pvt.version.txNum !== hashed.version.txNum) {
      // Fabric's words: the channel committed the key, but this peer does not hold the value it committed.
      const v = (x: { blockNum: number; txNum: number } | undefined): string => (x === undefined ? 'nil' : `{BlockNum: ${x.blockNum}, TxNum: ${x.txNum}}`);
      throw new LedgerError(
        'LEDGER_PVT_DATA_UNAVAILABLE',
        `private data matching public hash version is not available. Public hash version = ${v(hashed.version)}, Private data version = ${v(pvt?.version)}`,
        { namespace, collection, key },
      );
    }
    this.recorder?.addPrivateRead(namespace, collection);
    return pvt.value;
  }

  getPrivateDataHash(namespace: string, collection: string, key: string): Uint8Array | undefined {
    return this.hashedRead(namespace, collection, key)?.value;
  }

  getPrivateDataMetadata(namespace: string, collection: string, key: string): Record<string, Uint8Array> | undefined {
    return decodeStateMetadata(this.hashedRead(namespace, collection, key)?.metadata);
  }

  getPrivateDataRange(namespace: string, collection: string, startKey: string, endKey: string): Iterable<KV> {
    this.checkCollection(namespace, collection);
    validateReadKey(namespace, startKey, this.options, 'startKey');
    validateReadKey(namespace, endKey, this.options, 'endKey');
    this.beforePvtQuery();
    const pvtNs = pvtNamespace(namespace, collection);
    const rows = this.rangeIterable(pvtNs, startKey, endKey, this.options.totalQueryLimit, undefined);
    return mapIterable(rows, (kv) => ({ namespace, key: kv.key, value: kv.value }));
  }

  executeQueryOnPrivateData(namespace: string, collection: string, query: string): Iterable<KV> {
    this.checkCollection(namespace, collection);
    const q = parseRichQuery(query);
    this.beforePvtQuery();
    const rows = this.queryIterable(pvtNamespace(namespace, collection), q, q.skip ?? 0, this.options.totalQueryLimit, false);
    return mapIterable(rows, (kv) => ({ namespace, key: kv.key, value: kv.value }));
  }

  done(): void {
    this.finished = true;
  }

  protected beforePaginated(): void {
    this.paginated = true;
  }

  /** Called before a query of private values, whose results no rwset records. */
  protected beforePvtQuery(): void {}

  protected checkCollection(namespace: string, collection: string): void {
    this.checkOpen();
    publicNamespace(namespace);
    validateCollection(namespace, collection);
  }

  /** The committed hash of a private key (every peer has it), recorded as the transaction's hashed read. */
  private hashedRead(namespace: string, collection: string, key: string): VersionedValue | undefined {
    this.checkCollection(namespace, collection);
    validateReadKey(namespace, key, this.options);
    const vv = this.state.get(hashedNamespace(namespace, collection), hashedKey(key));
    this.recorder?.addHashedRead(namespace, collection, key, vv?.version);
    return vv;
  }

  private checkRange(namespace: string, startKey: string, endKey: string): void {
    this.checkOpen();
    publicNamespace(namespace);
    validateReadKey(namespace, startKey, this.options, 'startKey');
    validateReadKey(namespace, endKey, this.options, 'endKey');
  }

  /** Lazily pages through the range; each key handed out is recorded before the caller sees it. */
  private rangeIterable(namespace: string, startKey: string, endKey: string, max: number, record: RecordedRange | undefined): Iterable<KV> {
    return { [Symbol.iterator]: () => this.rangeGenerator(namespace, startKey, endKey, max, record) };
  }

  private *rangeGenerator(namespace: string, startKey: string, endKey: string, max: number, record: RecordedRange | undefined): Generator<KV> {
    let from = startKey;
    let served = 0;
    for (let chunk = FIRST_CHUNK; ; chunk = CHUNK) {
      const want = Math.min(chunk, max - served);
      if (this.finished || want <= 0) return;
      const rows = handOut(this.state.getRange(namespace, from, endKey, { limit: want }));
      const fetched = rows.length;
      const lastKey = fetched > 0 ? rows[0].key : '';
      for (let r = rows.pop(); r !== undefined; r = rows.pop()) {
        if (this.finished) return;
        if (record !== undefined) {
          record.reads.push({ key: r.key, version: r.version });
          record.endKey = r.key;
        }
        served++;
        yield toKV(namespace, r);
      }
      if (fetched < want) {
        if (record !== undefined) {
          record.exhausted = true;
          record.endKey = endKey;
        }
        return;
      }
      from = nextKey(lastKey);
    }
  }

  private queryIterable(namespace: string, q: RichQuery, skip: number, limit: number, record = true): Iterable<KV> {
    return { [Symbol.iterator]: () => this.queryGenerator(namespace, q, skip, limit, record) };
  }

  /** Chunks that each continue from the last row's position: a long result costs one pass, not one per chunk. */
  private *queryGenerator(namespace: string, q: RichQuery, skip: number, limit: number, record: boolean): Generator<KV> {
    let after: string | undefined;
    let served = 0;
    for (let chunk = FIRST_CHUNK; ; chunk = CHUNK) {
      const want = Math.min(chunk, limit - served);
      if (this.finished || want <= 0) return;
      const fetchedRows = this.queryChunk(namespace, q, skip, want, after);
      const rows = fetchedRows.rows;
      const fetched = rows.length;
      after = fetchedRows.after;
      for (let r = rows.pop(); r !== undefined; r = rows.pop()) {
        if (this.finished) return;
        if (record) this.recorder?.addRead(namespace, r.key, r.version);
        served++;
        yield { namespace, key: r.key, value: projectFields(r.value, q.fields) };
      }
      if (fetched < want) return;
    }
  }

  /**
   * One chunk of a rich query's rows to hand out, and the position after its last row when it is
   * full. The position is taken here, not when the next chunk is due: `positionOf` may hold the
   * store's own copy of the rows, values included.
   */
  private queryChunk(namespace: string, q: RichQuery, skip: number, want: number, after: string | undefined): { rows: VersionedKV[]; after: string | undefined } {
    const result = this.state.executeQuery(namespace, q, { skip, limit: want, ...(after !== undefined ? { after } : {}) });
    return { rows: handOut(result.rows), after: result.rows.length === want ? result.positionOf(want - 1) : undefined };
  }
}
