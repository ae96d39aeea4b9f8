import { LedgerError, WeftError } from '../../core/errors';

/** SQLite result codes that mean the file is not (or no longer) a readable database. */
const DAMAGED = /^SQLITE_(CORRUPT|NOTADB)/;

/**
 * A SQLite failure as a `LedgerError`: a damaged file (SQLITE_CORRUPT*, SQLITE_NOTADB, found when a
 * read first touches a bad page, which may be long after open) is `LEDGER_CORRUPT`; anything else
 * (disk full, I/O error) `LEDGER_STORE_FAILED`. Weft's own errors pass through.
 */
export function sqliteFailure(what: string, e: unknown, details: Record<string, unknown> = {}): WeftError {
  if (e instanceof WeftError) return e;
  const code = (e as { code?: unknown }).code;
  const sqliteCode = typeof code === 'string' ? code : undefined;
  const message = (e as Error).message;
  if (sqliteCode !== undefined && DAMAGED.test(sqliteCode)) {
    return new LedgerError('LEDGER_CORRUPT', `${what} failed: the ledger file is damaged (${sqliteCode}: ${message})`, { ...details, sqliteCode }, { cause: e });
  }
  return new LedgerError('LEDGER_STORE_FAILED', `${what} failed: ${message}`, { ...details, sqliteCode }, { cause: e });
}
