import { LedgerError } from '../../../../core/errors';
import { makeFixture, utf8, type Fixture } from '../../../../core/ledger/conformance-fixture';
import { parseRichQuery } from '../../../../core/ledger/rich-query';
import { compileRichQuery, SqliteLedgerStoreProvider } from '../../../../plugins/ledger-sqlite';
import { MAX_WALKED_BRANCHES } from '../../../../plugins/ledger-sqlite/mango-field';
import { MAX_QUERY_PARAMETERS, MAX_QUERY_SQL_BYTES } from '../../../../plugins/ledger-sqlite/mango-sql';

/** `a.0.0…` with `n` integer segments (a field name holds at most 8). */
const deep = (n: number): string => ['a', ...Array<string>(n).fill('0')].join('.');
/** `condition` on `a` and `n` integer segments, in nested field objects of 8 segments each (which join their names). */
const at = (n: number, condition: unknown): object => {
  let selector: unknown = condition;
  for (let left = n; left > 0; left -= 8) selector = { [Array<string>(Math.min(8, left)).fill('0').join('.')]: selector };
  return { a: selector };
};
const sqlOf = (selector: object): string => compileRichQuery('cc', parseRichQuery(JSON.stringify({ selector }))).sql;
const strings = (n: number): string[] => Array.from({ length: n }, (_, i) => `v${i}`);

/** `leaf` under one level per letter: `a` an array holding it first, `o` an object holding it as "0". */
const nest = (levels: string, leaf: unknown): unknown => [...levels].reduceRight<unknown>((v, k) => (k === 'a' ? [v, 'second'] : { 0: v, x: 1 }), leaf);

/**
 * The SQL a selector compiles to, which SQLite prepares on the node's event loop, grows linearly
 * with the selector: a path with integer segments once read each as an element or a property,
 * both sides again at the next, so 2^n alternatives, pasted again for every `$in` value (a 2.7 KB
 * query took 12 s and 2 GB). Whatever still grows past a budget is refused with a typed error.
 */
describe('rich query SQL size (SQLite ledger)', () => {
  let f: Fixture;
  const keys = (query: object): string[] => [...f.ledger.newQueryExecutor().executeQuery('cc', JSON.stringify(query))].map((kv) => kv.key);
  const errorOf = (query: object): LedgerError => {
    try {
      keys(query);
    } catch (e) {
      if (e instanceof LedgerError) return e;
      throw e;
    }
    throw new Error(`${JSON.stringify(query).slice(0, 80)} answered`);
  };

  beforeAll(() => {
    f = makeFixture((dir) => new SqliteLedgerStoreProvider({ rootDir: dir }));
    const docs: Record<string, unknown> = {
      arrays: { a: nest('aaaaaaaa', 'v7') },
      objects: { a: nest('oooooooo', 'v7') },
      mixed: { a: nest('aoaoaoao', 'v399') },
      other: { a: nest('aaaaaaaa', 'w') },
      short: { a: nest('aaaaaaa', 'v7') },
      gap: { a: nest('ao', { 1: 'v7' }) },
      none: { b: 1 },
      sixteen: { a: nest('aoaoaoaoaoaoaoao', 'v7') },
    };
    f.commit([f.tx('seed', (s) => Object.entries(docs).forEach(([k, v]) => s.setState('cc', k, utf8(JSON.stringify(v)))))]);
  });
  afterAll(() => f.close());

  it('grows by a constant per integer segment of a path, and not with the number of $in values', () => {
    const sizes = Array.from({ length: 22 }, (_, i) => sqlOf(at(i + 3, { $in: strings(400) })).length);
    const steps = new Set(sizes.slice(1).map((size, i) => size - sizes[i]));
    expect(steps.size).toBe(1);
    expect(sizes[sizes.length - 1]).toBeLessThan(32 * 1024); // 24 segments; spelled out, 2^24 alternatives
    // The values are bound parameters, one JSON array per set.
    expect(sqlOf({ [deep(8)]: { $in: strings(4000) } })).toBe(sqlOf({ [deep(8)]: { $in: strings(4) } }));
    expect(sqlOf({ $or: strings(4000).map((v) => ({ [deep(8)]: v })) })).toBe(sqlOf({ $or: strings(4).map((v) => ({ [deep(8)]: v })) }));
  });

  it('reads a path with integer segments through arrays and objects alike, as CouchDB does', () => {
    expect(keys({ selector: { [deep(8)]: { $in: strings(400) } } })).toEqual(['arrays', 'mixed', 'objects']);
    const sorted = { selector: { [deep(8)]: { $gte: 'v399' } }, sort: [{ [deep(8)]: 'desc' }] };
    expect(keys(sorted)).toEqual(['sixteen', 'other', 'arrays', 'objects', 'mixed']);
    const pages: string[][] = [];
    for (let bookmark = '', page: string[] = []; pages.length === 0 || page.length === 2; pages.push(page)) {
      const next = f.ledger.newQueryExecutor().executeQueryWithPagination('cc', JSON.stringify(sorted), 2, bookmark);
      page = [...next.results].map((kv) => kv.key);
      bookmark = next.bookmark;
    }
    expect(pages).toEqual([['sixteen', 'other'], ['arrays', 'objects'], ['mixed']]);
    // A property missing from an object on the way (not a scalar, not an array's end) is `not_found`.
    expect(keys({ selector: { [deep(8)]: { $exists: false } } })).toEqual(['gap', 'none']);
    // `sixteen` holds an array there, none of whose elements is "v7".
    expect(keys({ selector: { [deep(8)]: { $nin: ['v7'] } } })).toEqual(['mixed', 'other', 'sixteen']);
    // Two field names joined: 16 integer segments.
    expect(keys({ selector: at(16, 'v7') })).toEqual(['sixteen']);
    expect(keys({ selector: { a: { $elemMatch: { [deep(6).slice(2)]: { $in: ['v7', 'x'] } } } } })).toEqual(['arrays', 'short']);
  });

  it('refuses a selector whose SQL would pass the budget with LEDGER_BAD_QUERY naming the limit', () => {
    // A long field name in many conditions repeats it in each.
    const long = `f${'x'.repeat(20_000)}`;
    expect(errorOf({ selector: { [long]: { $or: Array.from({ length: 60 }, (_, i) => ({ $gt: i })) } } })).toMatchObject({
      code: 'LEDGER_BAD_QUERY',
      message: expect.stringContaining(`past the ${MAX_QUERY_SQL_BYTES}`),
      details: { field: 'selector', limit: 'sqlBytes', max: MAX_QUERY_SQL_BYTES },
    });
    expect(errorOf({ selector: { $or: Array.from({ length: MAX_QUERY_PARAMETERS + 1 }, (_, i) => ({ n: { $gt: i } })) } })).toMatchObject({
      code: 'LEDGER_BAD_QUERY',
      message: expect.stringMatching(/^selector: the query needs 4097 bound values, past the 4096/),
      details: { limit: 'parameters', max: MAX_QUERY_PARAMETERS },
    });
    expect(errorOf({ selector: at(MAX_WALKED_BRANCHES + 1, 1) })).toMatchObject({
      code: 'LEDGER_BAD_QUERY',
      message: expect.stringContaining(`more than the ${MAX_WALKED_BRANCHES} a query may read through`),
    });
  });
});
