import { Worker } from 'node:worker_threads';
import { LedgerError } from '../../core/errors';
import { couchCollation } from './couch-collation';
import { icuAddonLocation } from './icu-root-collator';

/** How long the worker's connection waits for the state file's write lock (held only by a commit, which the caller keeps out). */
const BUSY_TIMEOUT_MS = 10_000;

/**
 * One statement of a declared index's build, or plain SQL text. Text from the index file (its
 * ddoc, name, definition) travels in `params`, bound, never in `sql`: SQLite reads SQL text only
 * up to a NUL.
 */
export type IndexStatement = string | { readonly sql: string; readonly params?: readonly string[] };

interface BuildRequest {
  readonly file: string;
  readonly statements: readonly IndexStatement[];
  readonly icu: { readonly file: string; readonly suffix: string };
  readonly sqlite: string;
  readonly busyTimeoutMs: number;
}

/**
 * Runs `statements` (a declared index's `CREATE INDEX` and its bookkeeping) in one transaction on
 * a connection of its own in a worker thread. SQLite computes every row's collation keys while it
 * builds an index, seconds for a chaincode with hundreds of thousands of documents; on the node's
 * own thread that would stop every gRPC call and every channel for as long. The caller keeps the
 * state file's other writer (its commits) out until the promise settles; readers go on, as WAL
 * lets them. Rejects with `LEDGER_STORE_FAILED` naming SQLite's message when a statement fails
 * (nothing is then changed).
 */
export function buildInWorker(file: string, statements: readonly IndexStatement[]): Promise<void> {
  const request: BuildRequest = { file, statements, icu: icuAddonLocation(), sqlite: require.resolve('better-sqlite3'), busyTimeoutMs: BUSY_TIMEOUT_MS };
  // The worker evaluates source, so it imports nothing: the collation comes as its own source.
  const source = `const couchCollation = ${couchCollation.toString()};\n(${indexBuildThread.toString()})(couchCollation);`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(source, { eval: true, execArgv: [], workerData: request });
    let settled = false;
    const fail = (message: string): void => {
      if (settled) return;
      settled = true;
      reject(new LedgerError('LEDGER_STORE_FAILED', `building a declared index failed: ${message}`, { file }));
    };
    worker.once('message', (m: { error?: string }) => {
      if (m.error !== undefined) return fail(m.error);
      settled = true;
      resolve();
    });
    worker.once('error', (err) => fail(err.message));
    worker.once('exit', (code) => fail(`the index worker exited with code ${code} before it answered`));
  });
}

/* eslint-disable @typescript-eslint/no-require-imports -- evaluated as source in the worker, where nothing is imported */
function indexBuildThread(collationOf: (icuKey: (text: string) => Buffer) => { couchCollationKeyOfJson(type: unknown, value: unknown): Buffer | null }): void {
  const threads = require('node:worker_threads') as typeof import('node:worker_threads');
  const request = threads.workerData as BuildRequest;
  const port = threads.parentPort as import('node:worker_threads').MessagePort;
  try {
    const addon = { exports: {} as { open(suffix: string): string; sortKey(text: string): Buffer } };
    process.dlopen(addon, request.icu.file);
    addon.exports.open(request.icu.suffix);
    const collation = collationOf((text) => addon.exports.sortKey(text));
    const Database = require(request.sqlite) as typeof import('better-sqlite3');
    const db = new Database(request.file, { timeout: request.busyTimeoutMs });
    try {
      db.function('weft_couch_key', { deterministic: true, safeIntegers: true }, collation.couchCollationKeyOfJson);
      db.transaction(() => {
        for (const s of request.statements) {
          if (typeof s === 'string') db.exec(s);
          else db.prepare(s.sql).run(...(s.params ?? []));
        }
      })();
    } finally {
      db.close();
    }
    port.postMessage({});
  } catch (e) {
    port.postMessage({ error: (e as Error).message });
  }
}
/* eslint-enable @typescript-eslint/no-require-imports */
