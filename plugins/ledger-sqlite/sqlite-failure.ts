import * as path from 'node:path';
import { LedgerError, WeftError } from '../../core/errors';

/** SQLite result codes that mean the file is not (or no longer) a readable database. */
const DAMAGED = /^SQLITE_(CORRUPT|NOTADB)/;

/**
 * A SQLite failure as a `LedgerError`: a damaged file (SQLITE_CORRUPT*, SQLITE_NOTADB, found when a
 * read first touches a bad page, which may be long after open) is `LEDGER_CORRUPT`; a full
 * filesystem (SQLITE_FULL, which SQLite returns for ENOSPC) `LEDGER_DISK_FULL`; anything else (I/O
 * error) `LEDGER_STORE_FAILED`. With `file` (the database written), the message and `details.path`
 * name its directory, since an operator must know which filesystem to look at. Weft's own errors
 * pass through.
 */
export function sqliteFailure(what: string, e: unknown, details: Record<string, unknown> = {}, file?: string): WeftError {
  if (e instanceof WeftError) return e;
  const code = (e as { code?: unknown }).code;
  const sqliteCode = typeof code === 'string' ? code : undefined;
  const message = (e as Error).message;
  if (sqliteCode !== undefined && DAMAGED.test(sqliteCode)) {
    return new LedgerError('LEDGER_CORRUPT', `${what} failed: the ledger file is damaged (${sqliteCode}: ${message})`, { ...details, sqliteCode }, { cause: e });
  }
  const dir = file === undefined ? undefined : path.dirname(file);
  const where = dir === undefined ? {} : { path: dir };
  if (sqliteCode === 'SQLITE_FULL') {
    // SQLite rolls the transaction back, so what was stored before is intact; the message does not
    // repeat SQLite's own ("database or disk is full"): loggers append the cause's message.
    return new LedgerError(
      'LEDGER_DISK_FULL',
      `${what} failed: no space left on device${dir === undefined ? '' : ` in ${dir}`} (${sqliteCode}); free space on that filesystem`,
      { ...details, sqliteCode, ...where },
      { cause: e },
    );
  }
  // An I/O error of a write (SQLITE_IOERR_*: a failed fsync, a disk gone) names the directory too.
  return new LedgerError('LEDGER_STORE_FAILED', `${what} failed${dir === undefined ? '' : ` in ${dir}`}: ${message}`, { ...details, sqliteCode, ...where }, { cause: e });
}
