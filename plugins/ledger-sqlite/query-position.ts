import { LedgerError } from '../../core/errors';

/**
 * Where a row sits in a rich query's result, ordered by the query's `sort` fields then by key: the
 * row's collation key of each sort field (null where the field is absent) and its state key. A
 * query continues after a position with a keyset condition (mango-sql.ts), so a chunk or page costs
 * the rows it returns, not every row before it as an OFFSET would.
 */
export interface QueryPosition {
  readonly sortKeys: readonly (Buffer | null)[];
  readonly key: string;
}

/** As text, it is a bookmark: base64url of `[key, ...sortKeys in base64 or null]`. */
export function encodePosition(position: QueryPosition): string {
  return Buffer.from(JSON.stringify([position.key, ...position.sortKeys.map((k) => (k === null ? null : k.toString('base64')))])).toString('base64url');
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The position a bookmark names, for a query with `sortFields` sort fields. */
export function decodePosition(bookmark: string, sortFields: number): QueryPosition {
  const bad = (why: string): LedgerError =>
    new LedgerError('LEDGER_BAD_BOOKMARK', `bookmark ${JSON.stringify(bookmark.slice(0, 80))} was not produced by this ledger for this query: ${why}`, { bookmark: bookmark.slice(0, 200) });
  if (!BASE64URL.test(bookmark)) throw bad('not base64url');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bookmark, 'base64url').toString('utf8'));
  } catch {
    throw bad('not a position');
  }
  if (!Array.isArray(parsed) || typeof parsed[0] !== 'string') throw bad('not a position');
  if (parsed.length !== sortFields + 1) throw bad(`it holds ${parsed.length - 1} sort keys, the query sorts by ${sortFields} fields`);
  const sortKeys = (parsed.slice(1) as unknown[]).map((k) => {
    if (k === null) return null;
    if (typeof k !== 'string' || k === '' || !BASE64.test(k)) throw bad('a sort key is not base64');
    return Buffer.from(k, 'base64');
  });
  return { key: parsed[0], sortKeys };
}
