import type Database from 'better-sqlite3';
import { LedgerError } from '../../core/errors';
import { pvtWrittenKeyHashes } from '../../core/ledger/pvt-purge';

/** `PRAGMA application_id` of a Weft ledger file ('WEFT'), so a foreign SQLite file is refused. */
export const APPLICATION_ID = 0x57454654;
/**
 * 2: blocks and history in `<channel>.sqlite`, state in `<channel>_state.sqlite`.
 * 3: the block file keeps each block's private data (`pvt_data`).
 * 4: `pvt_keys` indexes that data by key hash, for purges.
 * Files of versions 2 and 3 are upgraded at open.
 */
export const SCHEMA_VERSION = 4;

/** Which of a channel's two databases a file is, recorded in its `meta` table. */
export type LedgerFileKind = 'blocks' | 'state';

/**
 * The private data this peer committed with each block, one collection of one transaction per row:
 * it is in no block, so recovery and rebuild replay it from here, as Fabric's from its pvtdata store,
 * and a collection's rows go when its `blockToLive` runs out (`expiring_block`, 0: never). A row
 * whose every write was purged stays with an empty `rwset` (no schema change: older files simply
 * hold none), so a replay knows the peer held it.
 */
const PVT_DATA_DDL = `
CREATE TABLE pvt_data (
  block_num INTEGER NOT NULL,
  tx_num INTEGER NOT NULL,
  ns TEXT NOT NULL,
  coll TEXT NOT NULL,
  rwset BLOB NOT NULL,
  expiring_block INTEGER NOT NULL,
  PRIMARY KEY (block_num, tx_num, ns, coll)
) WITHOUT ROWID;
CREATE INDEX pvt_data_expiry ON pvt_data (expiring_block) WHERE expiring_block > 0;
`;

/** Which stored private data rows write which key (by its hex SHA-256): a purge's lookup. */
const PVT_KEYS_DDL = `
CREATE TABLE pvt_keys (
  ns TEXT NOT NULL,
  coll TEXT NOT NULL,
  key_hash TEXT NOT NULL,
  block_num INTEGER NOT NULL,
  tx_num INTEGER NOT NULL,
  PRIMARY KEY (ns, coll, key_hash, block_num, tx_num)
) WITHOUT ROWID;
CREATE INDEX pvt_keys_by_row ON pvt_keys (block_num, tx_num, ns, coll);
`;

/**
 * The block file: blocks, the txid index and history, which a block adds to in block order or at
 * random places (txids, history keys) and never rewrites. History is split in two: a narrow
 * (ns, key, block, tx) index, where each block's writes land at random places (small rows touch few
 * pages), and the values in block order (appends). Storing the value in the keyed table doubled the
 * pages a commit dirtied.
 */
const BLOCKS_DDL = `
CREATE TABLE meta (name TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE blocks (num INTEGER PRIMARY KEY, hash BLOB NOT NULL, bytes BLOB NOT NULL);
CREATE INDEX blocks_by_hash ON blocks (hash);
CREATE TABLE txids (txid TEXT PRIMARY KEY, block_num INTEGER NOT NULL, tx_num INTEGER NOT NULL, code INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE history (
  ns TEXT NOT NULL,
  key TEXT NOT NULL,
  block_num INTEGER NOT NULL,
  tx_num INTEGER NOT NULL,
  PRIMARY KEY (ns, key, block_num, tx_num)
) WITHOUT ROWID;
CREATE TABLE history_values (
  block_num INTEGER NOT NULL,
  tx_num INTEGER NOT NULL,
  ns TEXT NOT NULL,
  key TEXT NOT NULL,
  txid TEXT NOT NULL,
  value BLOB,
  ts_seconds INTEGER NOT NULL,
  ts_nanos INTEGER NOT NULL,
  PRIMARY KEY (block_num, tx_num, ns, key)
) WITHOUT ROWID;
${PVT_DATA_DDL}
${PVT_KEYS_DDL}
`;

/**
 * The namespaces (hashed ones too) whose keys have metadata, in one descent: Fabric's
 * `metadataHint` (`SqliteStateStore.namespaceHasMetadata`). Partial, so a key without metadata
 * costs a write nothing. Created in files of earlier builds at open; an earlier build opening a
 * file that has it keeps it up to date, as SQLite maintains every index of a table it writes.
 */
const STATE_METADATA_NS_DDL = `CREATE INDEX IF NOT EXISTS state_metadata_ns ON state (ns) WHERE metadata IS NOT NULL;`;

/**
 * The state file: world state and declared indexes. Keys are TEXT compared with BINARY collation,
 * i.e. UTF-8 byte order, Fabric's key order. `j` exposes values that are JSON objects to rich
 * queries and expression indexes; VIRTUAL, so it takes no space, but SQLite computes every
 * generated column, stored or not, of each row an INSERT or UPDATE writes (an upsert of an existing
 * key: twice), so every write of a value pays its `json_valid` (see `SqliteStateStore.apply`).
 */
const STATE_DDL = `
CREATE TABLE meta (name TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE state (
  ns TEXT NOT NULL,
  key TEXT NOT NULL,
  value BLOB NOT NULL,
  block_num INTEGER NOT NULL,
  tx_num INTEGER NOT NULL,
  metadata BLOB,
  j TEXT GENERATED ALWAYS AS (
    CASE WHEN json_valid(CAST(value AS TEXT)) AND json_type(CAST(value AS TEXT)) = 'object' THEN CAST(value AS TEXT) END
  ) VIRTUAL,
  PRIMARY KEY (ns, key)
) WITHOUT ROWID;
CREATE TABLE declared_indexes (
  ns TEXT NOT NULL,
  ddoc TEXT NOT NULL,
  name TEXT NOT NULL,
  sql_name TEXT NOT NULL,
  definition TEXT NOT NULL,
  PRIMARY KEY (ns, ddoc, name)
) WITHOUT ROWID;
${STATE_METADATA_NS_DDL}
`;

const LAYOUT: Record<LedgerFileKind, { ddl: string; savepoint: string }> = {
  blocks: { ddl: BLOCKS_DDL, savepoint: 'history_savepoint' },
  state: { ddl: STATE_DDL, savepoint: 'state_savepoint' },
};

function corrupt(file: string, why: string, cause?: unknown): LedgerError {
  return new LedgerError('LEDGER_CORRUPT', `${file} is not a usable Weft ledger: ${why}`, { file }, { cause });
}

/**
 * Creates the schema in an empty database, or checks an existing one is a Weft ledger of this
 * schema version for `channelId`. Throws `LEDGER_CORRUPT` otherwise.
 */
export function initSchema(db: Database.Database, file: string, channelId: string, kind: LedgerFileKind): void {
  const appId = db.pragma('application_id', { simple: true }) as number;
  const version = db.pragma('user_version', { simple: true }) as number;
  const tables = (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }).n;
  if (appId === 0 && version === 0 && tables === 0) {
    db.transaction(() => {
      db.exec(LAYOUT[kind].ddl);
      const meta = db.prepare('INSERT INTO meta (name, value) VALUES (?, ?)');
      meta.run('channel_id', channelId);
      meta.run('kind', kind);
      meta.run(LAYOUT[kind].savepoint, 0);
      db.pragma(`application_id = ${APPLICATION_ID}`);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    })();
    return;
  }
  if (appId !== APPLICATION_ID) throw corrupt(file, `application_id is ${appId}, expected ${APPLICATION_ID} (a SQLite file written by something else)`);
  if (version !== SCHEMA_VERSION && version !== 2 && version !== 3) throw corrupt(file, `schema version ${version}, this build reads version ${SCHEMA_VERSION}`);
  const meta = db.prepare('SELECT value FROM meta WHERE name = ?').pluck();
  const holds = meta.get('channel_id');
  if (holds !== channelId) throw corrupt(file, `it holds channel ${JSON.stringify(holds)}, expected ${JSON.stringify(channelId)}`);
  const is = meta.get('kind');
  if (is !== kind) throw corrupt(file, `it is a ${JSON.stringify(is)} database, expected the channel's ${kind} database`);
  if (kind === 'state') db.exec(STATE_METADATA_NS_DDL);
  if (version < SCHEMA_VERSION) {
    db.transaction(() => {
      if (kind === 'blocks') {
        if (version === 2) db.exec(PVT_DATA_DDL);
        indexStoredPvtKeys(db);
      }
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    })();
  }
}

/** Creates `pvt_keys` over the private data already stored (upgrades from version 3). */
function indexStoredPvtKeys(db: Database.Database): void {
  db.exec(PVT_KEYS_DDL);
  const insert = db.prepare('INSERT OR IGNORE INTO pvt_keys (ns, coll, key_hash, block_num, tx_num) VALUES (?, ?, ?, ?, ?)');
  // Read whole before writing: better-sqlite3 refuses writes while an iterator is open.
  const rows = db.prepare('SELECT block_num, tx_num, ns, coll, rwset FROM pvt_data').raw().all() as [number, number, string, string, Buffer][];
  for (const [blockNum, txNum, ns, coll, rwset] of rows) for (const h of pvtWrittenKeyHashes(rwset)) insert.run(ns, coll, h, blockNum, txNum);
}

export { corrupt as corruptLedgerError };
