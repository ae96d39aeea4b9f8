import type Database from 'better-sqlite3';
import { LedgerError } from '../../core/errors';

/** `PRAGMA application_id` of a Weft ledger file ('WEFT'), so a foreign SQLite file is refused. */
export const APPLICATION_ID = 0x57454654;
/**
 * 2: blocks and history in `<channel>.sqlite`, state in `<channel>_state.sqlite`.
 * 3: the block file keeps each block's private data (`pvt_data`); a version 2 file is upgraded at open.
 */
export const SCHEMA_VERSION = 3;

/** Which of a channel's two databases a file is, recorded in its `meta` table. */
export type LedgerFileKind = 'blocks' | 'state';

/**
 * The private data this peer committed with each block, one collection of one transaction per row:
 * it is in no block, so recovery and rebuild replay it from here, as Fabric's from its pvtdata store,
 * and a collection's rows go when its `blockToLive` runs out (`expiring_block`, 0: never).
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
`;

/**
 * The state file: world state and declared indexes. Keys are TEXT compared with BINARY collation,
 * i.e. UTF-8 byte order, Fabric's key order. `j` exposes values that are JSON objects to rich
 * queries and expression indexes; VIRTUAL, so it costs nothing unless an index or a query reads it.
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
  if (version !== SCHEMA_VERSION && version !== 2) throw corrupt(file, `schema version ${version}, this build reads version ${SCHEMA_VERSION}`);
  const meta = db.prepare('SELECT value FROM meta WHERE name = ?').pluck();
  const holds = meta.get('channel_id');
  if (holds !== channelId) throw corrupt(file, `it holds channel ${JSON.stringify(holds)}, expected ${JSON.stringify(channelId)}`);
  const is = meta.get('kind');
  if (is !== kind) throw corrupt(file, `it is a ${JSON.stringify(is)} database, expected the channel's ${kind} database`);
  if (version === 2) {
    db.transaction(() => {
      if (kind === 'blocks') db.exec(PVT_DATA_DDL);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    })();
  }
}

export { corrupt as corruptLedgerError };
