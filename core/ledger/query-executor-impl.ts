import { LedgerError } from '../errors';
import { historyPages, type HistoryStore } from './history-store';
import { queryPageSource, queryRows, rangePageSource, rangeRows, recordRangeEnd, recordRangeRow, toKV } from './chunked-state-reads';
import { CHUNK, FIRST_CHUNK, LedgerPage, type PageRecorder, type PageSource } from './ledger-page';
import { validateNamespace, validateReadKey } from './ledger-keys';
import { hashedKey, hashedNamespace, isDerivedNamespace, pvtNamespace, validateCollection } from './private-data';
import type { LedgerOptions } from './ledger-options';
import { projectFields } from './project-fields';
import { parseRichQuery, type RichQuery } from './rich-query';
import type { RwSetBuilder, RecordedRange } from './rwset-builder';
import { decodeStateMetadata } from './state-metadata';
import type { KeyModification, KV, QueryExecutor, QueryPage } from './tx-simulator';
import type { VersionedKV, VersionedStateStore, VersionedValue } from './versioned-state-store';

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

function checkBookmark(bookmark: unknown): string {
  if (typeof bookmark !== 'string') throw new LedgerError('LEDGER_BAD_BOOKMARK', 'bookmark must be a string', { bookmark });
  return bookmark;
}

/** A private query's rows as the chaincode's namespace holds them, not the derived one they are stored under. */
function privateKV(namespace: string): (kv: { readonly key: string; readonly value: Uint8Array }) => KV {
  return (kv) => ({ namespace, key: kv.key, value: kv.value });
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
  /** Pages whose rows are not all read yet, while this executor records what it reads. */
  private readonly unsettled = new Set<LedgerPage<KV>>();
  /** Lazy reads handed out stop once the executor is done. */
  private readonly stopped = (): boolean => this.finished;

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
    return this.publicRead(namespace, key)?.value;
  }

  getStateMultiple(namespace: string, keys: readonly string[]): (Uint8Array | undefined)[] {
    if (!Array.isArray(keys)) throw new LedgerError('LEDGER_BAD_KEY', 'keys must be an array of strings', { namespace });
    return keys.map((k) => this.getState(namespace, k));
  }

  getStateRange(namespace: string, startKey: string, endKey: string): Iterable<KV> {
    this.checkRange(namespace, startKey, endKey);
    const record = this.recorder?.addRange(namespace, startKey);
    return rangeRows(this.state, namespace, startKey, endKey, this.options.totalQueryLimit, this.stopped, record);
  }

  getStateRangeWithPagination(namespace: string, startKey: string, endKey: string, pageSize: number, bookmark: string): QueryPage<KV> {
    this.checkRange(namespace, startKey, endKey);
    checkPageSize(pageSize);
    checkBookmark(bookmark);
    this.beforePaginated();
    const from = this.rangePageStart(namespace, startKey, bookmark);
    const size = Math.min(pageSize, this.options.totalQueryLimit);
    // Registered once the page's first chunk is read, as the range was when the page was read at once.
    let record: RecordedRange | undefined = undefined;
    const page = this.newPage(
      size,
      rangePageSource(this.state, namespace, from, endKey),
      {
        record: (r) => {
          if (record !== undefined) recordRangeRow(record, r);
        },
        toResult: (r) => toKV(namespace, r),
        // Fabric's handler stops after `size` results without asking for one more, so a page that
        // ends exactly at the range's end is not "exhausted" there either.
        end: (count) => {
          if (record !== undefined && count < size) recordRangeEnd(record, endKey);
        },
      },
    );
    record = this.recorder?.addRange(namespace, from);
    return page;
  }

  executeQuery(namespace: string, query: string): Iterable<KV> {
    this.checkOpen();
    publicNamespace(namespace);
    const q = parseRichQuery(query);
    // As Fabric's CouchDB state database (applyAdditionalQueryOptions in statecouchdb.go): a
    // non-paginated query's "limit" is replaced ("This will override any limit passed in the
    // query"), so a chaincode that sets one gets every match up to totalQueryLimit, here as there.
    const recorder = this.recorder;
    return queryRows(this.state, namespace, q, q.skip ?? 0, this.options.totalQueryLimit, this.stopped, recorder && ((r) => recorder.addRead(namespace, r.key, r.version)));
  }

  executeQueryWithPagination(namespace: string, query: string, pageSize: number, bookmark: string): QueryPage<KV> {
    this.checkOpen();
    publicNamespace(namespace);
    const q = parseRichQuery(query);
    checkPageSize(pageSize);
    checkBookmark(bookmark);
    this.beforePaginated();
    const size = Math.min(pageSize, this.options.totalQueryLimit);
    return this.newPage(
      size,
      queryPageSource(this.state, namespace, q, bookmark),
      {
        record: (r) => this.recorder?.addRead(namespace, r.key, r.version),
        toResult: (r) => ({ namespace, key: r.key, value: projectFields(r.value, q.fields) }),
        end: () => undefined,
      },
    );
  }

  getStateMetadata(namespace: string, key: string): Record<string, Uint8Array> | undefined {
    return decodeStateMetadata(this.publicRead(namespace, key)?.metadata);
  }

  getHistoryForKey(namespace: string, key: string): Iterable<KeyModification> {
    this.checkOpen();
    publicNamespace(namespace);
    validateReadKey(namespace, key, this.options);
    if (!this.options.historyEnabled) {
      throw new LedgerError('LEDGER_HISTORY_DISABLED', 'history queries need the history index (ledger option historyEnabled)', { namespace, key });
    }
    const entries = historyPages(this.historyStore, namespace, key, { limit: this.options.totalQueryLimit, firstPage: FIRST_CHUNK, page: CHUNK, stopped: this.stopped });
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
    this.checkPrivateRange(namespace, collection, startKey, endKey);
    return mapIterable(rangeRows(this.state, pvtNamespace(namespace, collection), startKey, endKey, this.options.totalQueryLimit, this.stopped, undefined), privateKV(namespace));
  }

  executeQueryOnPrivateData(namespace: string, collection: string, query: string): Iterable<KV> {
    const q = this.checkPrivateQuery(namespace, collection, query);
    return mapIterable(queryRows(this.state, pvtNamespace(namespace, collection), q, q.skip ?? 0, this.options.totalQueryLimit, this.stopped, undefined), privateKV(namespace));
  }

  getPrivateDataRangeWithPagination(namespace: string, collection: string, startKey: string, endKey: string, pageSize: number, bookmark: string): QueryPage<KV> {
    checkPageSize(pageSize);
    checkBookmark(bookmark);
    this.checkPrivateRange(namespace, collection, startKey, endKey);
    const source = rangePageSource(this.state, pvtNamespace(namespace, collection), this.rangePageStart(namespace, startKey, bookmark), endKey);
    return this.privatePage(pageSize, source, privateKV(namespace));
  }

  executeQueryOnPrivateDataWithPagination(namespace: string, collection: string, query: string, pageSize: number, bookmark: string): QueryPage<KV> {
    checkPageSize(pageSize);
    checkBookmark(bookmark);
    const q = this.checkPrivateQuery(namespace, collection, query);
    const source = queryPageSource(this.state, pvtNamespace(namespace, collection), q, bookmark);
    return this.privatePage(pageSize, source, (r) => ({ namespace, key: r.key, value: projectFields(r.value, q.fields) }));
  }

  done(): void {
    this.finished = true;
  }

  /** Reads and records the rest of every page not read to its end, so the read set holds whole pages. */
  protected settlePages(): void {
    for (const page of this.unsettled) page.settle();
  }

  private newPage(size: number, source: PageSource, recorder: PageRecorder<KV>): LedgerPage<KV> {
    if (this.recorder === undefined) return new LedgerPage(size, source, recorder, () => this.checkOpen());
    const page: LedgerPage<KV> = new LedgerPage(
      size,
      source,
      {
        ...recorder,
        end: (count) => {
          recorder.end(count);
          this.unsettled.delete(page);
        },
      },
      () => this.checkOpen(),
    );
    this.unsettled.add(page);
    return page;
  }

  protected beforePaginated(): void {
    this.paginated = true;
  }

  /** Called before a query of private values, whose results no rwset records (the footprint notes the collection). */
  protected beforePvtQuery(): void {}

  protected checkCollection(namespace: string, collection: string): void {
    this.checkOpen();
    publicNamespace(namespace);
    validateCollection(namespace, collection);
  }

  /** A key of the chaincode's own namespace, recorded as the transaction's read. */
  private publicRead(namespace: string, key: string): VersionedValue | undefined {
    this.checkOpen();
    publicNamespace(namespace);
    validateReadKey(namespace, key, this.options);
    const vv = this.state.get(namespace, key);
    this.recorder?.addRead(namespace, key, vv?.version);
    return vv;
  }

  /** The committed hash of a private key (every peer has it), recorded as the transaction's hashed read. */
  private hashedRead(namespace: string, collection: string, key: string): VersionedValue | undefined {
    this.checkCollection(namespace, collection);
    validateReadKey(namespace, key, this.options);
    const vv = this.state.get(hashedNamespace(namespace, collection), hashedKey(key));
    this.recorder?.addHashedRead(namespace, collection, key, vv?.version);
    return vv;
  }

  private checkPrivateRange(namespace: string, collection: string, startKey: string, endKey: string): void {
    this.checkCollection(namespace, collection);
    validateReadKey(namespace, startKey, this.options, 'startKey');
    validateReadKey(namespace, endKey, this.options, 'endKey');
    this.beforePvtQuery();
    this.recorder?.addPrivateRead(namespace, collection);
  }

  private checkPrivateQuery(namespace: string, collection: string, query: string): RichQuery {
    this.checkCollection(namespace, collection);
    const q = parseRichQuery(query);
    this.beforePvtQuery();
    this.recorder?.addPrivateRead(namespace, collection);
    return q;
  }

  /** A page of a private query, which records nothing, as Fabric records no private range or rich query. */
  private privatePage(pageSize: number, source: PageSource, toResult: (row: VersionedKV) => KV): LedgerPage<KV> {
    return new LedgerPage(Math.min(pageSize, this.options.totalQueryLimit), source, { record: () => undefined, toResult, end: () => undefined }, () => this.checkOpen());
  }

  /**
   * Where a range page starts. As Fabric on LevelDB: the bookmark is the first key of the next
   * page, '' once exhausted, and the page starts at it whatever the start key
   * (core/chaincode/handler.go HandleGetStateByRange).
   */
  private rangePageStart(namespace: string, startKey: string, bookmark: string): string {
    if (bookmark === '') return startKey;
    validateReadKey(namespace, bookmark, this.options, 'bookmark');
    return bookmark;
  }

  private checkRange(namespace: string, startKey: string, endKey: string): void {
    this.checkOpen();
    publicNamespace(namespace);
    validateReadKey(namespace, startKey, this.options, 'startKey');
    validateReadKey(namespace, endKey, this.options, 'endKey');
  }
}
