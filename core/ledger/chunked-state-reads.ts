import { CHUNK, FIRST_CHUNK, handOut, type PageSource } from './ledger-page';
import { nextKey } from './ledger-keys';
import { projectFields } from './project-fields';
import type { RichQuery } from './rich-query';
import type { RecordedRange } from './rwset-builder';
import type { KV } from './tx-simulator';
import type { VersionedKV, VersionedStateStore } from './versioned-state-store';

/*
 * How a query executor reads committed state: a chunk of rows per store call, never a cursor held
 * open, so an iterator or page a chaincode keeps between calls holds at most one chunk. The lazy
 * iterables stop at the chunk boundary once `stopped` says their executor is done.
 */

export function toKV(namespace: string, kv: VersionedKV): KV {
  return { namespace, key: kv.key, value: kv.value };
}

/** Records a range row as read, before the caller sees it: the range's info ends at it so far. */
export function recordRangeRow(record: RecordedRange, row: VersionedKV): void {
  record.reads.push({ key: row.key, version: row.version });
  record.endKey = row.key;
}

/** Records that the range was read to its end (Fabric's `ItrExhausted`, the range's own end key). */
export function recordRangeEnd(record: RecordedRange, endKey: string): void {
  record.exhausted = true;
  record.endKey = endKey;
}

/** The keys from `startKey` to `endKey` (exclusive), at most `max`, each recorded into `record` before it is handed out. */
export function rangeRows(state: VersionedStateStore, namespace: string, startKey: string, endKey: string, max: number, stopped: () => boolean, record: RecordedRange | undefined): Iterable<KV> {
  return { [Symbol.iterator]: () => rangeGenerator(state, namespace, startKey, endKey, max, stopped, record) };
}

function* rangeGenerator(state: VersionedStateStore, namespace: string, startKey: string, endKey: string, max: number, stopped: () => boolean, record: RecordedRange | undefined): Generator<KV> {
  let from = startKey;
  let served = 0;
  for (let chunk = FIRST_CHUNK; ; chunk = CHUNK) {
    const want = Math.min(chunk, max - served);
    if (stopped() || want <= 0) return;
    const rows = handOut(state.getRange(namespace, from, endKey, { limit: want }));
    const fetched = rows.length;
    const lastKey = fetched > 0 ? rows[0].key : '';
    for (let r = rows.pop(); r !== undefined; r = rows.pop()) {
      if (stopped()) return;
      if (record !== undefined) recordRangeRow(record, r);
      served++;
      yield toKV(namespace, r);
    }
    if (fetched < want) {
      if (record !== undefined) recordRangeEnd(record, endKey);
      return;
    }
    from = nextKey(lastKey);
  }
}

/** A rich query's rows after `skip`, at most `limit`, projected to its fields; `read` sees each before it is handed out. */
export function queryRows(state: VersionedStateStore, namespace: string, q: RichQuery, skip: number, limit: number, stopped: () => boolean, read: ((row: VersionedKV) => void) | undefined): Iterable<KV> {
  return { [Symbol.iterator]: () => queryGenerator(state, namespace, q, skip, limit, stopped, read) };
}

/** Chunks that each continue from the last row's position: a long result costs one pass, not one per chunk. */
function* queryGenerator(state: VersionedStateStore, namespace: string, q: RichQuery, skip: number, limit: number, stopped: () => boolean, read: ((row: VersionedKV) => void) | undefined): Generator<KV> {
  let after: string | undefined;
  let served = 0;
  for (let chunk = FIRST_CHUNK; ; chunk = CHUNK) {
    const want = Math.min(chunk, limit - served);
    if (stopped() || want <= 0) return;
    const fetchedRows = queryChunk(state, namespace, q, skip, want, after);
    const rows = fetchedRows.rows;
    const fetched = rows.length;
    after = fetchedRows.after;
    for (let r = rows.pop(); r !== undefined; r = rows.pop()) {
      if (stopped()) return;
      read?.(r);
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
function queryChunk(state: VersionedStateStore, namespace: string, q: RichQuery, skip: number, want: number, after: string | undefined): { rows: VersionedKV[]; after: string | undefined } {
  const result = state.executeQuery(namespace, q, { skip, limit: want, ...(after !== undefined ? { after } : {}) });
  return { rows: handOut(result.rows), after: result.rows.length === want ? result.positionOf(want - 1) : undefined };
}

/** A range page's rows, from `from` (the start key, or the bookmark) to `endKey`. */
export function rangePageSource(state: VersionedStateStore, namespace: string, from: string, endKey: string): PageSource {
  return {
    read: (cursor, want, left) => {
      const rows = state.getRange(namespace, cursor ?? from, endKey, { limit: want });
      return { rows, next: rows.length > 0 ? nextKey(rows[rows.length - 1].key) : undefined, bookmark: rows.length > left ? rows[left].key : '' };
    },
  };
}

/**
 * A rich query's pages. The bookmark is the position of the page's last row, so the next page
 * starts right after it without passing over the rows before it again (CouchDB's bookmarks work
 * the same way); without one, the query's own `bookmark` field.
 */
export function queryPageSource(state: VersionedStateStore, namespace: string, q: RichQuery, bookmark: string): PageSource {
  const mark = bookmark !== '' ? bookmark : (q.bookmark ?? '');
  return {
    read: (cursor, want, left) => {
      const after = cursor ?? (mark !== '' ? mark : undefined);
      const result = state.executeQuery(namespace, q, { skip: q.skip ?? 0, limit: want, ...(after !== undefined ? { after } : {}) });
      const n = result.rows.length;
      // With no row left to take, the page's last row ended the previous chunk: the cursor is its position.
      const next = n > left ? (left === 0 ? (after ?? '') : result.positionOf(left - 1)) : '';
      return { rows: result.rows, next: n === want && n > 0 ? result.positionOf(n - 1) : undefined, bookmark: next };
    },
  };
}
