import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { jsonText, parseJsonKeepingIntegers } from '../../core/ledger/mango-selector';
import { partialFilterFrom, type IndexDefinition } from '../../core/ledger/rich-query';
import { icuCollatorVersion } from './icu-root-collator';
import { buildInWorker, type IndexStatement } from './index-builder';
import { indexableFieldSql, sqlText } from './mango-field';
import type { IndexChoice } from './mango-query';
import { keyOf } from './mango-sql';

/** A declared index as queries see it. */
export interface DeclaredIndex extends IndexChoice {
  readonly definition: IndexDefinition;
}

/** A row of `declared_indexes`. */
interface DeclaredRow {
  ns: string;
  ddoc: string;
  name: string;
  sql_name: string;
  definition: string;
}

/**
 * What declared indexes hold: CouchDB collation keys (couch-collation.ts) under one ICU collator
 * version, each index over its own namespace's rows only (a partial index, so another chaincode's
 * writes neither compute its keys nor update it). When the collator changes (a Node.js release
 * with another ICU) or this format does, every declared index is built again: stored keys no
 * longer sort as the function computes them, or the index covers the wrong rows.
 */
const INDEX_FORMAT = 'couch-key-2 ns-partial';

/**
 * The CouchDB indexes chaincodes declare on the `state` table (`META-INF/statedb/couchdb/indexes`),
 * each a SQLite index over its fields' collation keys, recorded in `declared_indexes` so that a
 * store opened again knows them. Its SQL functions (`weft_couch_key`) must be registered on `db`
 * before this is made: a rebuild computes every row's keys.
 */
export class SqliteDeclaredIndexes {
  /** Declared indexes per namespace, for `chooseIndex` and `use_index`. */
  private readonly indexes = new Map<string, DeclaredIndex[]>();

  /** `changed` runs whenever queries may use other indexes: compiled statements name the ones they seek. */
  constructor(
    private readonly db: Database.Database,
    private readonly changed: () => void,
  ) {
    const declared = db.prepare('SELECT ns, ddoc, name, sql_name, definition FROM declared_indexes ORDER BY ns, ddoc, name').all() as DeclaredRow[];
    if (!this.rebuildOnNewFormat(declared)) {
      for (const d of declared) this.remember(d.ns, d.sql_name, definitionOf(d));
    }
  }

  /** The namespace's declared indexes, as built. */
  of(namespace: string): readonly DeclaredIndex[] {
    return this.indexes.get(namespace) ?? [];
  }

  /** Builds and records the index in one transaction on this connection; nothing when it is declared already. */
  declare(namespace: string, index: IndexDefinition): void {
    const plan = this.plan(namespace, index);
    if (plan === undefined) return;
    this.db.transaction(() => {
      for (const s of plan.statements) this.run(s);
    })();
    this.remember(namespace, plan.sqlName, index, plan.replaced);
  }

  /**
   * {@link declare} with SQLite's build on a connection of its own in a worker thread (see
   * `buildInWorker`): the caller must keep the state file's commits out until it settles.
   */
  async declareInBackground(namespace: string, index: IndexDefinition): Promise<void> {
    const plan = this.plan(namespace, index);
    if (plan === undefined) return;
    await buildInWorker(this.db.name, plan.statements);
    this.remember(namespace, plan.sqlName, index, plan.replaced);
  }

  /**
   * Builds every declared index again when the collation its keys were stored under has changed
   * or the index format (see {@link INDEX_FORMAT}); returns whether it did (then the indexes are
   * remembered already).
   */
  private rebuildOnNewFormat(declared: readonly DeclaredRow[]): boolean {
    const collation = `${INDEX_FORMAT} icu-root ${icuCollatorVersion()}`;
    const stored = this.db.prepare("SELECT value FROM meta WHERE name = 'collation'").pluck().get() as string | undefined;
    if (stored === collation) return false;
    this.db.transaction(() => {
      const forget = this.db.prepare('DELETE FROM declared_indexes WHERE ns = ? AND ddoc = ? AND name = ?');
      for (const d of declared) {
        this.db.exec(`DROP INDEX IF EXISTS ${d.sql_name}`);
        forget.run(d.ns, d.ddoc, d.name);
        const index = definitionOf(d);
        for (const s of this.plan(d.ns, index)?.statements ?? []) this.run(s);
        this.remember(d.ns, indexSqlName(d.ns, d.ddoc, index), index);
      }
      this.db.prepare("INSERT OR REPLACE INTO meta (name, value) VALUES ('collation', ?)").run(collation);
    })();
    return true;
  }

  private run(statement: IndexStatement): void {
    if (typeof statement === 'string') this.db.exec(statement);
    else this.db.prepare(statement.sql).run(...(statement.params ?? []));
  }

  /** Lets queries use a built index, in place of the one it `replaced` (dropped with its build). */
  private remember(namespace: string, sqlName: string, definition: IndexDefinition, replaced?: string): void {
    this.changed();
    const list = (this.indexes.get(namespace) ?? []).filter((ix) => ix.sqlName !== sqlName && ix.sqlName !== replaced);
    list.push({ sqlName, firstField: definition.fields[0].path, paths: definition.fields.map((f) => f.path), definition });
    this.indexes.set(namespace, list);
  }

  /**
   * The statements that (re)create a declared index over the fields' collation keys and record it,
   * dropping the one it replaces; undefined when this very index is declared already. A change of
   * its partial filter alone only records it: the SQLite index does not depend on it.
   */
  private plan(namespace: string, index: IndexDefinition): { sqlName: string; replaced?: string; statements: IndexStatement[] } | undefined {
    const ddoc = index.ddoc ?? '';
    const row = this.db.prepare('SELECT sql_name, definition FROM declared_indexes WHERE ns = ? AND ddoc = ? AND name = ?').get(namespace, ddoc, index.name) as
      | { sql_name: string; definition: string }
      | undefined;
    const existing = row?.sql_name;
    const sqlName = indexSqlName(namespace, ddoc, index);
    // Bound, as the ddoc and name are the index file's own text (a NUL in one cut exec'd SQL short).
    const recordIt: IndexStatement = {
      sql: 'INSERT OR REPLACE INTO declared_indexes (ns, ddoc, name, sql_name, definition) VALUES (?, ?, ?, ?, ?)',
      params: [namespace, ddoc, index.name, sqlName, storedDefinition(index)],
    };
    if (existing === sqlName) return row?.definition === storedDefinition(index) ? undefined : { sqlName, statements: [recordIt] };
    // `ns` stays the first column, constant as it is here: with the state key after the fields, the
    // index then gives the query's order (fields, then key) without a sort.
    const columns = ['ns', ...index.fields.map((f) => `${keyOf(indexableFieldSql(f.path))}${f.direction === 'desc' ? ' DESC' : ''}`)].join(', ');
    return {
      sqlName,
      replaced: existing,
      statements: [
        ...(existing === undefined ? [] : [`DROP INDEX IF EXISTS ${existing}`]),
        // SQLite binds no parameter in an index's definition; the namespace is validated and the
        // paths' segments hold no quote or control character (parseFieldPath), and sqlText refuses a NUL.
        `CREATE INDEX IF NOT EXISTS ${sqlName} ON state (${columns}) WHERE ns = ${sqlText(namespace)}`,
        recordIt,
      ],
    };
  }
}

/**
 * `declared_indexes.definition`: the fields, or with a partial filter `{fields, partial_filter_selector}`.
 * The filter only decides what a query that asks for the index by `use_index` answers
 * (mango-index-use.ts); the SQLite index itself covers the whole namespace, so a query's own
 * conditions always decide which rows it returns.
 */
function storedDefinition(index: IndexDefinition): string {
  return jsonText(index.partialFilter === undefined ? index.fields : { fields: index.fields, partial_filter_selector: index.partialFilter.source });
}

function definitionOf(row: DeclaredRow): IndexDefinition {
  const stored = parseJsonKeepingIntegers(row.definition);
  const ddoc = row.ddoc === '' ? undefined : row.ddoc;
  if (Array.isArray(stored)) return { ddoc, name: row.name, fields: stored as IndexDefinition['fields'] };
  const { fields, partial_filter_selector: source } = stored as { fields: IndexDefinition['fields']; partial_filter_selector: unknown };
  const partialFilter = partialFilterFrom(source, `declared index ${row.ddoc}/${row.name} of ${row.ns}`);
  return { ddoc, name: row.name, fields, ...(partialFilter === undefined ? {} : { partialFilter }) };
}

/** The SQL name of a declared index: a hash of what it is, so a changed definition gets a new index. */
function indexSqlName(namespace: string, ddoc: string, index: IndexDefinition): string {
  const what = `${INDEX_FORMAT}\u0000${namespace}\u0000${ddoc}\u0000${index.name}\u0000${JSON.stringify(index.fields)}`;
  return 'ix_' + createHash('sha256').update(what).digest('hex').slice(0, 24);
}
