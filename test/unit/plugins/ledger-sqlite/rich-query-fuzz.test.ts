import { LedgerError } from '../../../../core/errors';
import { type Fixture, makeFixture, utf8 } from '../../../../core/ledger/conformance-fixture';
import { SqliteLedgerStoreProvider } from '../../../../plugins/ledger-sqlite';
import { DOCS, docKey, generators, INDEXES } from '../../../support/mango-query-generators';
import { seededRandom } from '../../../support/seeded-random';

const QUERIES = 300;

type Outcome = { readonly rows: string[] } | { readonly error: string };

function run(f: Fixture, query: string): Outcome {
  try {
    return { rows: [...f.ledger.newQueryExecutor().executeQuery('cc', query)].map((kv) => `${kv.key}=${Buffer.from(kv.value).toString()}`) };
  } catch (err) {
    return { error: err instanceof LedgerError ? `${err.code}: ${err.message}` : `untyped ${String(err)}` };
  }
}

/** Every page of a query, following bookmarks, concatenated. */
function paged(f: Fixture, query: string, pageSize: number): string[] {
  const rows: string[] = [];
  let bookmark = '';
  for (;;) {
    const page = f.ledger.newQueryExecutor().executeQueryWithPagination('cc', query, pageSize, bookmark);
    const results = [...page.results];
    rows.push(...results.map((kv) => `${kv.key}=${Buffer.from(kv.value).toString()}`));
    if (results.length < pageSize || page.bookmark === '' || page.bookmark === bookmark) return rows;
    bookmark = page.bookmark;
  }
}

/**
 * Random Mango queries over random documents of mixed JSON types, run on two ledgers holding the
 * same state, one with declared indexes on the queried and sorted fields: an index only changes how
 * SQLite finds rows, so both must answer alike, row for row and error for error. Paging through a
 * query with bookmarks must give its rows in the same order, and every refusal is a typed error.
 */
describe('rich queries with random selectors, with and without declared indexes', () => {
  let plain: Fixture;
  let indexed: Fixture;
  const rnd = seededRandom(0x3a760);
  const gen = generators(rnd);

  beforeAll(() => {
    const provider = (dir: string): SqliteLedgerStoreProvider => new SqliteLedgerStoreProvider({ rootDir: dir });
    [plain, indexed] = [makeFixture(provider), makeFixture(provider)];
    indexed.ledger.declareIndexes(
      'cc',
      INDEXES.map((fields, i) => ({ name: `i${i}.json`, content: JSON.stringify({ index: { fields }, ddoc: `d${i}`, name: `i${i}`, type: 'json' }) })),
    );
    const docs = Array.from({ length: DOCS }, gen.doc);
    for (const f of [plain, indexed]) f.commit([f.tx('seed', (s) => docs.forEach((d, i) => s.setState('cc', docKey(i), utf8(JSON.stringify(d)))))]);
  });

  afterAll(() => {
    plain?.close();
    indexed?.close();
  });

  it(`answers ${QUERIES} queries alike with and without indexes, and alike paged and whole`, () => {
    let answered = 0;
    for (let i = 0; i < QUERIES; i++) {
      const query = gen.query();
      const text = JSON.stringify(query);
      const outcome = run(plain, text);
      expect({ query: text, outcome: run(indexed, text) }).toEqual({ query: text, outcome });
      if ('error' in outcome) {
        expect(outcome.error).toMatch(/^LEDGER_(BAD_QUERY|UNSUPPORTED_OPERATOR): selector/);
        continue;
      }
      if (outcome.rows.length > 0) answered++;
      if (query.limit === undefined && query.skip === undefined) {
        const size = gen.pageSize();
        for (const f of [plain, indexed]) expect({ query: text, size, rows: paged(f, text, size) }).toEqual({ query: text, size, rows: outcome.rows });
      }
    }
    // Not a fuzz of empty answers: many queries match documents.
    expect(answered).toBeGreaterThan(QUERIES / 4);
  });
});
