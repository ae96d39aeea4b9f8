import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { LedgerError } from '../../core/errors';
import { fsyncPath } from '../../core/node/durable-files';
import type { StoreSnapshotExport } from '../../core/ledger/ledger-store-provider';
import type { ExportRequest, ImportRequest, ThreadMessage } from './snapshot-thread';

const THREAD_MODULE = require.resolve('./snapshot-thread');
/**
 * Run from TypeScript sources (tests, `ts-register` children) the worker must compile the thread
 * module as its parent does; from the build it loads the compiled `.js`.
 */
const TS_REGISTER = path.resolve(__dirname, '../../test/support/ts-register.js');

interface Handlers {
  captured?(): void;
  progress?(loaded: number): void;
}

/**
 * Runs one snapshot request on a worker thread with its own SQLite connections: reading or loading a
 * whole state would otherwise stop every gRPC call and channel of the node for as long.
 */
function runInWorker(request: ExportRequest | ImportRequest, handlers: Handlers): Promise<ReadonlyMap<string, Uint8Array>> {
  const source = `
    const { workerData, parentPort } = require('node:worker_threads');
    if (workerData.module.endsWith('.ts')) require(workerData.tsRegister);
    require(workerData.module).runSnapshotRequest(workerData.request, (m) => parentPort.postMessage(m));`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(source, { eval: true, execArgv: [], workerData: { module: THREAD_MODULE, tsRegister: TS_REGISTER, request } });
    let settled = false;
    const fail = (err: LedgerError): void => {
      if (settled) return;
      settled = true;
      reject(err);
    };
    worker.on('message', (m: ThreadMessage) => {
      if ('captured' in m) handlers.captured?.();
      else if ('progress' in m) handlers.progress?.(m.progress);
      else if ('error' in m) fail(new LedgerError(m.error.code, m.error.message, m.error.details));
      else if (!settled) {
        settled = true;
        resolve(new Map(m.done.map(([name, hash]) => [name, new Uint8Array(hash)])));
      }
    });
    worker.once('error', (err) => fail(new LedgerError('LEDGER_STORE_FAILED', `snapshot ${request.kind} thread failed: ${err.message}`, {}, { cause: err })));
    worker.once('exit', (code) => fail(new LedgerError('LEDGER_STORE_FAILED', `the snapshot ${request.kind} thread exited with code ${code} before it finished`, {})));
  });
}

/** See `ChannelLedgerStore.exportSnapshot`. */
export function exportInWorker(blocksFile: string, stateFile: string, dir: string, height: number): StoreSnapshotExport {
  let onCaptured: () => void = () => undefined;
  let onFailed: (e: unknown) => void = () => undefined;
  const captured = new Promise<void>((resolve, reject) => {
    onCaptured = resolve;
    onFailed = reject;
  });
  const done = runInWorker({ kind: 'export', blocksFile, stateFile, dir, height }, { captured: () => onCaptured() });
  done.catch((e: unknown) => onFailed(e));
  // Awaited by whoever awaits it; a caller that awaits only `done` must not see an unhandled rejection here.
  captured.catch(() => undefined);
  return { captured, done };
}

/**
 * Loads a snapshot into a fresh pair of files in `stagingDir` (emptied first: a crash's leftovers),
 * then renames them into place, the state file first: the block file's presence is the channel's
 * existence, so a crash between the renames leaves a state file alone, which the provider deletes.
 */
export async function importInWorker(
  request: Omit<ImportRequest, 'kind' | 'blocksFile' | 'stateFile'>,
  stagingDir: string,
  target: { blocksFile: string; stateFile: string },
  onProgress?: (loaded: number) => void,
): Promise<void> {
  fs.rmSync(stagingDir, { recursive: true, force: true });
  fs.mkdirSync(stagingDir, { recursive: true });
  const blocksFile = path.join(stagingDir, path.basename(target.blocksFile));
  const stateFile = path.join(stagingDir, path.basename(target.stateFile));
  try {
    await runInWorker({ ...request, kind: 'import', blocksFile, stateFile }, { progress: onProgress });
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(target.stateFile + suffix, { force: true });
    fs.renameSync(stateFile, target.stateFile);
    fsyncPath(path.dirname(target.stateFile));
    fs.renameSync(blocksFile, target.blocksFile);
    fsyncPath(path.dirname(target.blocksFile));
  } finally {
    fs.rmSync(stagingDir, { recursive: true, force: true });
  }
}
