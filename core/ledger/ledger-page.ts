import { LedgerError } from '../errors';
import type { QueryPage } from './tx-simulator';
import type { VersionedKV } from './versioned-state-store';

/**
 * Rows (or history entries) fetched per store call while iterating (an iterator never holds a
 * cursor open): first what the chaincode host's first batch pulls (Fabric's 100 results and the one
 * that shows there are more), then what each later batch pulls. An iterator hands each row out and
 * forgets it, so one a chaincode leaves open between batches holds no rows fetched but not handed
 * out; with chunks of 256, each open iterator held ~155 of them, values included, for as long as it
 * stayed open. A history read fetched a key's whole history at once, up to `totalQueryLimit`.
 */
export const FIRST_CHUNK = 101;
export const CHUNK = 100;

/** A chunk's rows in the order `pop` hands them out: a generator keeps none of them once handed out. */
export function handOut(rows: readonly VersionedKV[]): VersionedKV[] {
  return rows.slice().reverse();
}

/** One store read of a page's rows. */
export interface PageChunk {
  /** Up to the `want` rows asked for. */
  readonly rows: VersionedKV[];
  /** When `rows` holds all `want` rows: where the next read starts (right after the last row). */
  readonly next: string | undefined;
  /** When `rows` holds more than `left` rows: the bookmark of a page that ends after `left` more rows. */
  readonly bookmark: string;
}

/** Where a page's rows come from: a range of keys or a rich query's result, read from a cursor. */
export interface PageSource {
  /**
   * Up to `want` rows from `cursor` (undefined: the page's first row); `left` is how many rows the
   * page still takes (`want` is at most `left + 1`, the one more showing whether a next page exists).
   * Positions are taken here: the store's answer may hold its own copy of the rows, values included.
   */
  read(cursor: string | undefined, want: number, left: number): PageChunk;
}

/** What a page does with each row it hands out, and once it has handed them all out. */
export interface PageRecorder<T> {
  /** Records the row as read (read set, range query info); called for every row of the page, in order. */
  record(row: VersionedKV): void;
  /** The row as the caller receives it. */
  toResult(row: VersionedKV): T;
  /** Called once, when every row of the page is recorded. */
  end(fetchedRecordsCount: number): void;
}

/**
 * One page of a paged query, read from the store in chunks as its rows are taken (Fabric's paged
 * iterators read their results lazily too): a page may be 100,000 rows with their values, and the
 * chaincode host, which counts their bytes as it copies them out, stops a page over the
 * transaction's byte limit after at most one chunk more than it copied. Every row is recorded as it
 * is handed out, so a page read to its end records exactly what a page read at once would; the
 * metadata exists only then, and reading it earlier first reads (and records) the rest.
 *
 * The first chunk is read when the page is made, so a bad bookmark or query fails the call itself.
 */
export class LedgerPage<T> implements QueryPage<T> {
  private buffer: VersionedKV[];
  private served = 0;
  private cursor: string | undefined;
  /** The bookmark, once the last chunk has been read. */
  private last: string | undefined;
  private ended = false;
  /** How the rows were taken: not yet, one by one ({@link rows}, or passed over for the metadata), or as {@link results}. */
  private taken: 'no' | 'streamed' | T[] = 'no';

  constructor(
    private readonly size: number,
    private readonly source: PageSource,
    private readonly recorder: PageRecorder<T>,
    /** Throws when the query executor is done: a page is read no further after that. */
    private readonly checkOpen: () => void,
  ) {
    this.buffer = this.read(undefined, FIRST_CHUNK);
  }

  rows(): Iterable<T> {
    this.checkOpen();
    if (Array.isArray(this.taken)) return this.taken;
    this.taken = 'streamed';
    return { [Symbol.iterator]: () => this.remaining(true) };
  }

  get results(): readonly T[] {
    if (this.taken === 'streamed') {
      throw new LedgerError('LEDGER_PAGE_CONSUMED', 'the rows of this page were already read one by one (rows(), or for its metadata) and are no longer held; read results before bookmark and fetchedRecordsCount', {});
    }
    if (this.taken === 'no') {
      this.checkOpen();
      this.taken = [...this.remaining(true)];
    }
    return this.taken;
  }

  get fetchedRecordsCount(): number {
    this.readToEnd(true);
    return this.served;
  }

  get bookmark(): string {
    this.readToEnd(true);
    return this.last ?? '';
  }

  /**
   * Reads and records the rows no one took, keeping none: what the simulator does before it builds
   * the read set, which then holds the whole page as Fabric's handler, which reads every page whole,
   * would have it. Works after the executor is done.
   */
  settle(): void {
    this.readToEnd(false);
  }

  private readToEnd(checked: boolean): void {
    if (this.ended) return;
    if (checked) this.checkOpen();
    if (this.taken === 'no') this.taken = 'streamed';
    for (let r = this.next(checked); r !== undefined; r = this.next(checked)) this.served++;
  }

  private *remaining(checked: boolean): Generator<T> {
    for (let r = this.next(checked); r !== undefined; r = this.next(checked)) {
      this.served++;
      yield this.recorder.toResult(r);
    }
  }

  /** The next row, recorded; undefined at the page's end. The state lives here, not in a generator, which a caller may close. */
  private next(checked: boolean): VersionedKV | undefined {
    if (this.buffer.length === 0 && this.last === undefined) {
      if (checked) this.checkOpen();
      this.buffer = this.read(this.cursor, CHUNK);
    }
    const row = this.buffer.pop();
    if (row !== undefined) {
      this.recorder.record(row);
      return row;
    }
    if (!this.ended) {
      this.ended = true;
      this.recorder.end(this.served);
    }
    return undefined;
  }

  private read(cursor: string | undefined, chunk: number): VersionedKV[] {
    const left = this.size - this.served;
    const want = Math.min(chunk, left + 1);
    const got = this.source.read(cursor, want, left);
    if (got.rows.length > left) {
      this.last = got.bookmark;
      return handOut(got.rows.slice(0, left));
    }
    if (got.rows.length < want) this.last = '';
    else this.cursor = got.next;
    return handOut(got.rows);
  }
}
