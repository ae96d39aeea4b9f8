import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { LedgerError, WeftError } from '../../core/errors';
import { fsyncPath } from '../../core/node/durable-files';
import { toHex } from '../../core/protocol/bytes';
import {
  compareTxIds,
  badSnapshot,
  parseSnapshotRecord,
  PUBLIC_STATE_DATA_FILE,
  PUBLIC_STATE_METADATA_FILE,
  PVT_HASHES_DATA_FILE,
  PVT_HASHES_METADATA_FILE,
  SnapshotFileReader,
  SnapshotFileWriter,
  SNAPSHOT_EXPIRY_NAMESPACE,
  snapshotNamespaceKind,
  snapshotRecordBytes,
  TXIDS_DATA_FILE,
  TXIDS_METADATA_FILE,
} from '../../core/ledger/snapshot-format';
import { readConfigHistoryFiles, SNAPSHOT_CONFIG_HISTORY_KEY, SNAPSHOT_CONFIG_HISTORY_NAMESPACE, storedConfigHistory } from '../../core/ledger/snapshot-config-history';
import type { SnapshotBootstrap } from '../../core/ledger/snapshot';
import { initSchema } from './sqlite-schema';

/** The bootstrap record of a store created from a snapshot, in the block file's `meta` table (hashes in hex). */
export const BOOTSTRAP_META = 'snapshot_bootstrap';
export interface StoredBootstrap {
  readonly lastBlockNumber: number;
  readonly lastBlockHash: string;
  readonly previousBlockHash: string;
  readonly snapshotHash: string;
  /** Absent in records written before commit hashes were kept, and for a snapshot that had none. */
  readonly lastBlockCommitHash?: string;
}

/** The record of `bootstrap` (a snapshot's metadata is one too). */
export function storedBootstrapOf(bootstrap: SnapshotBootstrap): StoredBootstrap {
  const commitHash = bootstrap.lastBlockCommitHash;
  return {
    lastBlockNumber: bootstrap.lastBlockNumber,
    lastBlockHash: toHex(bootstrap.lastBlockHash),
    previousBlockHash: toHex(bootstrap.previousBlockHash),
    snapshotHash: toHex(bootstrap.snapshotHash),
    ...(commitHash === undefined || commitHash.length === 0 ? {} : { lastBlockCommitHash: toHex(commitHash) }),
  };
}

/** {@link storedBootstrapOf} read back. */
export function bootstrapOfStored(b: StoredBootstrap): SnapshotBootstrap {
  const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
  return {
    lastBlockNumber: b.lastBlockNumber,
    lastBlockHash: bytes(b.lastBlockHash),
    previousBlockHash: bytes(b.previousBlockHash),
    snapshotHash: bytes(b.snapshotHash),
    ...(b.lastBlockCommitHash === undefined ? {} : { lastBlockCommitHash: bytes(b.lastBlockCommitHash) }),
  };
}

export function readBootstrap(blocksDb: Database.Database): StoredBootstrap | undefined {
  const raw = blocksDb.prepare('SELECT value FROM meta WHERE name = ?').pluck().get(BOOTSTRAP_META) as string | undefined;
  return raw === undefined ? undefined : (JSON.parse(raw) as StoredBootstrap);
}

/** Height of a block file: past its newest block, or past the snapshot it was created from when it holds none. */
export function blockFileHeight(blocksDb: Database.Database): number {
  const max = blocksDb.prepare('SELECT max(num) FROM blocks').pluck().get() as number | null;
  if (max !== null) return max + 1;
  const b = readBootstrap(blocksDb);
  return b === undefined ? 0 : b.lastBlockNumber + 1;
}

/** What a snapshot txid is indexed as: the snapshot's last block, no position, NOT_VALIDATED (see `TxLocation.fromSnapshot`). */
export const SNAPSHOT_TX_NUM = -1;
export const SNAPSHOT_TX_CODE = 254;

export interface ExportRequest {
  readonly kind: 'export';
  readonly blocksFile: string;
  readonly stateFile: string;
  readonly dir: string;
  readonly height: number;
}

export interface ImportRequest {
  readonly kind: 'import';
  readonly snapshotDir: string;
  readonly files: readonly string[];
  readonly channelId: string;
  readonly blocksFile: string;
  readonly stateFile: string;
  readonly bootstrap: StoredBootstrap;
}

export type ThreadMessage =
  | { readonly captured: true }
  | { readonly progress: number }
  | { readonly done: readonly [string, Uint8Array][] }
  | { readonly error: { code: string; message: string; details: Record<string, unknown> } };

type Post = (m: ThreadMessage) => void;

/** Runs one request in this worker thread, posting what happens to `post`. */
export function runSnapshotRequest(request: ExportRequest | ImportRequest, post: Post): void {
  try {
    if (request.kind === 'export') exportFiles(request, post);
    else importFiles(request, post);
  } catch (e) {
    const err = e instanceof WeftError ? e : new LedgerError('LEDGER_STORE_FAILED', `snapshot ${request.kind} failed: ${(e as Error).message}`, {});
    post({ error: { code: err.code, message: err.message, details: err.details } });
  }
}

function exportFiles(req: ExportRequest, post: Post): void {
  const blocks = new Database(req.blocksFile, { readonly: true, fileMustExist: true });
  const state = new Database(req.stateFile, { readonly: true, fileMustExist: true });
  try {
    // A WAL read transaction keeps the view its first read saw until it ends, whatever commits follow.
    blocks.exec('BEGIN');
    state.exec('BEGIN');
    const stateAt = Number(state.prepare("SELECT value FROM meta WHERE name = 'state_savepoint'").pluck().get());
    const height = blockFileHeight(blocks);
    if (stateAt !== req.height || height !== req.height) {
      throw new LedgerError('LEDGER_SNAPSHOT_MOVED', `the ledger moved on before the snapshot's view was taken: asked at height ${req.height}, found blocks at ${height} and state at ${stateAt} (commit only after \`captured\`)`, {
        height: req.height,
        blocksHeight: height,
        stateSavepoint: stateAt,
      });
    }
    post({ captured: true });
    const hashes: [string, Uint8Array][] = [];
    exportTxIds(blocks, req.dir, hashes);
    exportState(state, req.dir, hashes);
    post({ done: hashes });
  } finally {
    state.close();
    blocks.close();
  }
}

function exportTxIds(db: Database.Database, dir: string, hashes: [string, Uint8Array][]): void {
  // Almost every txid has the same length: one ordered scan per distinct length gives Fabric's order without sorting the table.
  const lengths = db.prepare('SELECT DISTINCT length(CAST(txid AS BLOB)) FROM txids ORDER BY 1').pluck().all() as number[];
  if (lengths.length === 0) return;
  const data = new SnapshotFileWriter(path.join(dir, TXIDS_DATA_FILE));
  let count = 0;
  try {
    const scan = db.prepare('SELECT txid FROM txids WHERE length(CAST(txid AS BLOB)) = ? ORDER BY txid').pluck();
    let previous: string | undefined;
    for (const length of lengths) {
      for (const txid of scan.iterate(length) as Iterable<string>) {
        if (previous !== undefined && compareTxIds(previous, txid) >= 0) throw new Error(`txids out of order: ${previous} before ${txid}`);
        data.string(txid);
        previous = txid;
        count++;
      }
    }
  } catch (e) {
    data.abandon();
    throw e;
  }
  hashes.push([TXIDS_DATA_FILE, data.done()]);
  const meta = new SnapshotFileWriter(path.join(dir, TXIDS_METADATA_FILE));
  meta.uvarint(count);
  hashes.push([TXIDS_METADATA_FILE, meta.done()]);
}

/** Fabric's `SnapshotWriter`: records in the data file, (namespace, count) runs in the metadata file, both created on the first record. */
class StateFileWriter {
  private data: SnapshotFileWriter | undefined;
  private readonly runs: [string, number][] = [];

  constructor(
    private readonly dir: string,
    private readonly dataName: string,
    private readonly metadataName: string,
  ) {}

  add(namespace: string, record: Uint8Array): void {
    this.data ??= new SnapshotFileWriter(path.join(this.dir, this.dataName));
    const last = this.runs[this.runs.length - 1];
    if (last?.[0] === namespace) last[1]++;
    else this.runs.push([namespace, 1]);
    this.data.bytes(record);
  }

  done(hashes: [string, Uint8Array][]): void {
    if (this.data === undefined) return;
    hashes.push([this.dataName, this.data.done()]);
    const meta = new SnapshotFileWriter(path.join(this.dir, this.metadataName));
    meta.uvarint(this.runs.length);
    for (const [ns, n] of this.runs) {
      meta.string(ns);
      meta.uvarint(n);
    }
    hashes.push([this.metadataName, meta.done()]);
  }

  abandon(): void {
    this.data?.abandon();
  }
}

function exportState(db: Database.Database, dir: string, hashes: [string, Uint8Array][]): void {
  const pub = new StateFileWriter(dir, PUBLIC_STATE_DATA_FILE, PUBLIC_STATE_METADATA_FILE);
  const pvt = new StateFileWriter(dir, PVT_HASHES_DATA_FILE, PVT_HASHES_METADATA_FILE);
  try {
    // (ns, key) is the primary key: BINARY order is UTF-8 byte order, Fabric's full-scan order.
    const rows = db.prepare('SELECT ns, key, value, block_num, tx_num, metadata FROM state ORDER BY ns, key').raw().iterate() as Iterable<[string, string, Buffer, number, number, Buffer | null]>;
    for (const [ns, key, value, blockNum, txNum, metadata] of rows) {
      const kind = snapshotNamespaceKind(ns);
      if (kind === 'none') continue;
      // Weft keys hashed state by the hex of the key hash; Fabric's snapshot carries the hash's bytes.
      const keyBytes = kind === 'hashes' ? Buffer.from(key, 'hex') : Buffer.from(key, 'utf8');
      const record = snapshotRecordBytes(keyBytes, value, metadata ?? undefined, { blockNum, txNum });
      (kind === 'hashes' ? pvt : pub).add(ns, record);
    }
  } catch (e) {
    pub.abandon();
    pvt.abandon();
    throw e;
  }
  pub.done(hashes);
  pvt.done(hashes);
}

const BATCH = 5000;

function importFiles(req: ImportRequest, post: Post): void {
  for (const f of [req.blocksFile, req.stateFile]) fs.rmSync(f, { force: true });
  const blocks = new Database(req.blocksFile);
  const state = new Database(req.stateFile);
  try {
    for (const db of [blocks, state]) {
      // A staging file is deleted, not recovered, after a crash: no journal or sync while loading, one fsync at the end.
      db.pragma('journal_mode = OFF');
      db.pragma('synchronous = OFF');
    }
    initSchema(blocks, req.blocksFile, req.channelId, 'blocks');
    initSchema(state, req.stateFile, req.channelId, 'state');
    let loaded = 0;
    const progress = (n: number): void => {
      loaded += n;
      post({ progress: loaded });
    };
    const has = new Set(req.files);
    // Read first: a bad history file fails the import before the long loads.
    const history = readConfigHistoryFiles(req.snapshotDir, has, req.bootstrap.lastBlockNumber);
    if (history.length > 0) {
      state.prepare('INSERT INTO state (ns, key, value, block_num, tx_num) VALUES (?, ?, ?, 0, 0)').run(SNAPSHOT_CONFIG_HISTORY_NAMESPACE, SNAPSHOT_CONFIG_HISTORY_KEY, Buffer.from(storedConfigHistory(history)));
    }
    if (pairPresent(has, PUBLIC_STATE_DATA_FILE, PUBLIC_STATE_METADATA_FILE)) loadState(req.snapshotDir, state, 'public', progress);
    if (pairPresent(has, PVT_HASHES_DATA_FILE, PVT_HASHES_METADATA_FILE)) loadState(req.snapshotDir, state, 'hashes', progress);
    if (pairPresent(has, TXIDS_DATA_FILE, TXIDS_METADATA_FILE)) importTxIds(req, blocks, progress);
    const b = req.bootstrap;
    state.prepare("UPDATE meta SET value = ? WHERE name = 'state_savepoint'").run(b.lastBlockNumber + 1);
    blocks.prepare("UPDATE meta SET value = ? WHERE name = 'history_savepoint'").run(b.lastBlockNumber + 1);
    blocks.prepare('INSERT INTO meta (name, value) VALUES (?, ?)').run(BOOTSTRAP_META, JSON.stringify(b));
  } finally {
    state.close();
    blocks.close();
  }
  for (const f of [req.stateFile, req.blocksFile]) fsyncPath(f);
  post({ done: [] });
}

/** Loads public state or private state hashes, in batches of {@link BATCH} records per transaction. */
function loadState(dir: string, state: Database.Database, kind: 'public' | 'hashes', progress: (n: number) => void): void {
  const [dataName, metaName] = kind === 'public' ? [PUBLIC_STATE_DATA_FILE, PUBLIC_STATE_METADATA_FILE] : [PVT_HASHES_DATA_FILE, PVT_HASHES_METADATA_FILE];
  const runs = readRuns(dir, metaName, kind);
  const put = state.prepare('INSERT INTO state (ns, key, value, block_num, tx_num, metadata) VALUES (?, ?, ?, ?, ?, ?)');
  const mark = state.prepare('INSERT OR IGNORE INTO state (ns, key, value, block_num, tx_num) VALUES (?, ?, ?, 0, 0)');
  if (kind === 'hashes') for (const [ns] of runs) mark.run(SNAPSHOT_EXPIRY_NAMESPACE, ns, Buffer.alloc(0));
  const batch = state.transaction((rows: [string, Uint8Array][]) => {
    for (const [ns, bytes] of rows) {
      let r;
      try {
        r = parseSnapshotRecord(bytes);
      } catch (e) {
        throw badSnapshot(dataName, `record of namespace ${JSON.stringify(ns)} does not decode: ${(e as Error).message}`, e);
      }
      if (kind === 'hashes' && r.key.length !== 32) throw badSnapshot(dataName, `a key hash of namespace ${JSON.stringify(ns)} has ${r.key.length} bytes, expected 32`);
      // Weft keys hashed state by the hex of the key hash (see the export).
      const key = kind === 'hashes' ? Buffer.from(r.key).toString('hex') : Buffer.from(r.key).toString('utf8');
      // Keys are UTF-8 strings in state: bytes that are not would come back changed, and the state with them.
      if (kind === 'public' && !Buffer.from(key, 'utf8').equals(r.key)) throw badSnapshot(dataName, `a key of namespace ${JSON.stringify(ns)} is not UTF-8 (${Buffer.from(r.key).toString('hex').slice(0, 64)})`);
      try {
        put.run(ns, key, Buffer.from(r.value), r.version.blockNum, r.version.txNum, r.metadata.length === 0 ? null : Buffer.from(r.metadata));
      } catch (e) {
        if ((e as { code?: string }).code !== 'SQLITE_CONSTRAINT_PRIMARYKEY') throw e;
        throw badSnapshot(dataName, `key ${JSON.stringify(key.slice(0, 80))} of namespace ${JSON.stringify(ns)} appears twice`, e);
      }
    }
  });
  const data = new SnapshotFileReader(dataName, path.join(dir, dataName));
  try {
    let rows: [string, Uint8Array][] = [];
    for (const [ns, count] of runs) {
      for (let i = 0; i < count; i++) {
        if (!data.hasMore()) throw badSnapshot(dataName, `holds fewer records than ${metaName} counts`);
        rows.push([ns, data.bytes('record')]);
        if (rows.length >= BATCH) {
          batch(rows);
          progress(rows.length);
          rows = [];
        }
      }
    }
    if (data.hasMore()) throw badSnapshot(dataName, `holds more records than ${metaName} counts`);
    batch(rows);
    progress(rows.length);
  } finally {
    data.close();
  }
}

function pairPresent(has: ReadonlySet<string>, data: string, metadata: string): boolean {
  if (has.has(data) !== has.has(metadata)) throw badSnapshot(has.has(data) ? metadata : data, `is missing: the snapshot lists ${has.has(data) ? data : metadata} without it`);
  return has.has(data);
}

function readRuns(dir: string, name: string, kind: 'public' | 'hashes'): [string, number][] {
  const r = new SnapshotFileReader(name, path.join(dir, name));
  try {
    return runsOf(r, name, kind);
  } finally {
    r.close();
  }
}

function runsOf(r: SnapshotFileReader, name: string, kind: 'public' | 'hashes'): [string, number][] {
  const n = r.uvarint('namespace count');
  const runs: [string, number][] = [];
  for (let i = 0; i < n; i++) {
    const ns = r.string('namespace');
    if (snapshotNamespaceKind(ns) !== kind) throw badSnapshot(name, `namespace ${JSON.stringify(ns)} does not belong in ${kind === 'public' ? 'public state' : 'private state hashes'}`);
    runs.push([ns, r.uvarint('record count')]);
  }
  if (r.hasMore()) throw badSnapshot(name, 'has bytes after its last namespace');
  return runs;
}

function importTxIds(req: ImportRequest, blocks: Database.Database, progress: (n: number) => void): void {
  const meta = new SnapshotFileReader(TXIDS_METADATA_FILE, path.join(req.snapshotDir, TXIDS_METADATA_FILE));
  let count: number;
  try {
    count = meta.uvarint('txid count');
    if (meta.hasMore()) throw badSnapshot(TXIDS_METADATA_FILE, 'has bytes after the txid count');
  } finally {
    meta.close();
  }
  const data = new SnapshotFileReader(TXIDS_DATA_FILE, path.join(req.snapshotDir, TXIDS_DATA_FILE));
  try {
    readTxIds(req, blocks, data, count, progress);
  } finally {
    data.close();
  }
}

function readTxIds(req: ImportRequest, blocks: Database.Database, data: SnapshotFileReader, count: number, progress: (n: number) => void): void {
  const put = blocks.prepare('INSERT OR IGNORE INTO txids (txid, block_num, tx_num, code) VALUES (?, ?, ?, ?)');
  const batch = blocks.transaction((ids: string[]) => {
    for (const id of ids) put.run(id, req.bootstrap.lastBlockNumber, SNAPSHOT_TX_NUM, SNAPSHOT_TX_CODE);
  });
  let ids: string[] = [];
  for (let i = 0; i < count; i++) {
    if (!data.hasMore()) throw badSnapshot(TXIDS_DATA_FILE, `holds fewer txids than ${TXIDS_METADATA_FILE} counts (${count})`);
    const id = data.string('txid');
    if (id === '') throw badSnapshot(TXIDS_DATA_FILE, `txid ${i} is empty`);
    ids.push(id);
    if (ids.length >= BATCH) {
      batch(ids);
      progress(ids.length);
      ids = [];
    }
  }
  if (data.hasMore()) throw badSnapshot(TXIDS_DATA_FILE, `holds more txids than ${TXIDS_METADATA_FILE} counts (${count})`);
  batch(ids);
  progress(ids.length);
}
