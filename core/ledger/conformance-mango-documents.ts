/**
 * Conformance: rich queries see the documents Fabric's CouchDB state database holds (jest globals):
 * `_id` is the key, a value that is not a JSON object is a document without fields, and an index's
 * `partial_filter_selector` decides what a query that names the index with `use_index` answers.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { makeFixture, str, utf8, type Fixture } from './conformance-fixture';
import type { LedgerStoreProvider } from './ledger-store-provider';

const NS = 'docs';
/** Keys chosen so byte order and CouchDB's collation disagree: 'B' < 'a' in bytes, 'a' < 'B' in ICU. */
const DOCS: Record<string, string> = {
  B1: '{"status":"archived","type":"user","n":1}',
  a1: '{"status":"active","type":"user","n":2}',
  a2: '{"status":"archived","type":"user","n":3}',
  a3: '{"type":"user","n":4}',
  b1: '{"status":"active","type":"admin","n":5}',
  raw: '\u00ff not json',
};

export function mangoDocumentsConformance(makeProvider: (dir: string) => LedgerStoreProvider): void {
  describe('rich queries: _id, documents without fields, partial indexes and use_index', () => {
    let f: Fixture;
    const run = (query: object): string[] => [...f.ledger.newQueryExecutor().executeQuery(NS, JSON.stringify(query))].map((kv) => kv.key);
    const failure = (query: object): { code?: string; message?: string } => {
      try {
        run(query);
      } catch (e) {
        return e as { code?: string; message?: string };
      }
      return {};
    };
    beforeAll(() => {
      f = makeFixture(makeProvider);
      f.commit([f.tx('seed', (s) => Object.entries(DOCS).forEach(([k, v]) => s.setState(NS, k, utf8(v))))]);
      f.ledger.declareIndexes(NS, [
        {
          name: 'notArchived.json',
          content: JSON.stringify({ index: { fields: ['type'], partial_filter_selector: { status: { $ne: 'archived' } } }, ddoc: 'notArchivedDoc', name: 'notArchived', type: 'json' }),
        },
        { name: 'byN.json', content: JSON.stringify({ index: { fields: ['n'] }, ddoc: 'byNDoc', name: 'byN', type: 'json' }) },
      ]);
    });
    afterAll(() => f.close());

    it('reads _id as the key, compared by its bytes (CouchDB’s raw collation), and sorts it so', () => {
      expect(run({ selector: { _id: 'a1' } })).toEqual(['a1']);
      // Raw collation puts a string above every value of another type.
      expect(run({ selector: { _id: { $gt: null } } })).toEqual(['B1', 'a1', 'a2', 'a3', 'b1', 'raw']);
      expect(run({ selector: { _id: { $lt: 5 } } })).toEqual([]);
      expect(run({ selector: { _id: { $ne: 5 } } })).toHaveLength(6);
      // 'B1' is above 'a' by CouchDB's collation of field values but below it in bytes.
      expect(run({ selector: { _id: { $gt: 'a' } } })).toEqual(['a1', 'a2', 'a3', 'b1', 'raw']);
      expect(run({ selector: { _id: { $lt: 'a2' } } })).toEqual(['B1', 'a1']);
      expect(run({ selector: { _id: { $regex: '^a' }, status: 'active' } })).toEqual(['a1']);
      expect(run({ selector: { _id: { $in: ['a3', 'b1', 'zz', 1] } } })).toEqual(['a3', 'b1']);
      expect(run({ selector: { _id: { $nin: ['a3', 'b1', 'B1', 'raw'] } } })).toEqual(['a1', 'a2']);
      expect(run({ selector: { _id: { $ne: 'b1' }, type: 'admin' } })).toEqual([]);
      expect(run({ selector: { _id: 'A1' } })).toEqual([]); // no collation equality: bytes only
      expect(run({ selector: { _id: { $exists: false } } })).toEqual([]);
      expect(run({ selector: { '_id.x': { $exists: false } } })).toEqual([]);
      expect(run({ selector: { type: 'user' }, sort: [{ _id: 'desc' }] })).toEqual(['a3', 'a2', 'a1', 'B1']);
    });

    it('treats a value that is not a JSON object as a document without fields, projected to {}', () => {
      expect(run({ selector: { type: { $exists: false } } })).toEqual(['raw']);
      expect(run({ selector: { n: { $gt: 0 } } })).toEqual(['B1', 'a1', 'a2', 'a3', 'b1']);
      const projected = [...f.ledger.newQueryExecutor().executeQuery(NS, JSON.stringify({ selector: { _id: { $in: ['raw', 'a1'] } }, fields: ['_id', 'n'] }))];
      expect(projected.map((kv) => [kv.key, str(kv.value)])).toEqual([
        ['a1', '{"n":2}'],
        ['raw', '{}'],
      ]);
      const whole = [...f.ledger.newQueryExecutor().executeQuery(NS, JSON.stringify({ selector: { _id: 'raw' } }))];
      expect(str(whole[0].value)).toBe(DOCS.raw);
    });

    it('projects numbers with the digits they were written with: an integer beyond 2^53 stays exact', () => {
      f.commit([f.tx('numbers', (s) => s.setState('numbers', 'n1', utf8('{"big":9007199254740993,"f":1.50,"e":1e3,"o":{"x":2}}')))]);
      const query = { selector: { big: { $gt: 0 } }, fields: ['big', 'f', 'e', 'big.x', 'o.x'] };
      const [kv] = [...f.ledger.newQueryExecutor().executeQuery('numbers', JSON.stringify(query))];
      expect(str(kv.value)).toBe('{"big":9007199254740993,"f":1.50,"e":1e3,"o":{"x":2}}');
    });

    it('compares integers beyond 2^53 exactly, in selectors, sorts and declared indexes', () => {
      const amounts: Record<string, string> = { i992: '9007199254740992', i993: '9007199254740993', i994: '9007199254740994', f: '9007199254740993.0', max: '9223372036854775807' };
      f.commit([f.tx('amounts', (s) => Object.entries(amounts).forEach(([k, v]) => s.setState('amounts', k, utf8(`{"v":${v},"a":[${v}]}`))))]);
      const keys = (query: string): string[] => [...f.ledger.newQueryExecutor().executeQuery('amounts', query)].map((kv) => kv.key);
      const check = (): void => {
        // 9007199254740993.0 is a float, which CouchDB rounds to 2^53 as JSON does.
        expect(keys('{"selector":{"v":9007199254740993}}')).toEqual(['i993']);
        expect(keys('{"selector":{"v":{"$gt":9007199254740992}}}')).toEqual(['i993', 'i994', 'max']);
        expect(keys('{"selector":{"v":{"$lte":9007199254740992}}}')).toEqual(['f', 'i992']);
        expect(keys('{"selector":{"a":[9007199254740993]}}')).toEqual(['i993']);
        expect(keys('{"selector":{"a":{"$all":[9007199254740993]}}}')).toEqual(['i993']);
        expect(keys('{"selector":{"v":{"$in":[9223372036854775807,1]}}}')).toEqual(['max']);
        expect(keys('{"selector":{"v":{"$gt":0}},"sort":[{"v":"desc"}]}')).toEqual(['max', 'i994', 'i993', 'f', 'i992']);
      };
      check();
      f.ledger.declareIndexes('amounts', [{ name: 'byV.json', content: '{"index":{"fields":["v"]},"ddoc":"byV","name":"byV","type":"json"}' }]);
      check();
    });

    it('finds every string ICU calls equal to a plain one, ignorable characters and all, with or without an index', () => {
      const colors = ['red', 'red\u0000', 'red\u0001', 'Red', 'réd', 're', '"red"'];
      f.commit([f.tx('colors', (s) => colors.forEach((c, i) => s.setState('colors', `c${i}`, utf8(JSON.stringify({ c, o: { c } })))))]);
      const query = (selector: object): string[] => [...f.ledger.newQueryExecutor().executeQuery('colors', JSON.stringify({ selector }))].map((kv) => colors[Number(kv.key.slice(1))]);
      const check = (): void => {
        expect(query({ c: 'red' })).toEqual(['red', 'red\u0000', 'red\u0001']);
        expect(query({ 'o.c': { $in: ['red', 'x'] } })).toEqual(['red', 'red\u0000', 'red\u0001']);
        expect(query({ c: { $ne: 'red' } })).toEqual(['Red', 'réd', 're', '"red"']);
        expect(query({ o: { c: 'Red' } })).toEqual(['Red']);
      };
      check();
      f.ledger.declareIndexes('colors', [{ name: 'byC.json', content: '{"index":{"fields":["c"]},"ddoc":"byC","name":"byC","type":"json"}' }]);
      check();
    });

    it('reads a backslash-escaped dot as part of a field name, and quotes, in selectors, sorts, fields and indexes', () => {
      const hosts: Record<string, object> = {
        h1: { 'example.com': { port: 80 }, example: { com: { port: 1 } }, 'a[0]*': 'x', "owner's": 'ann' },
        h2: { 'example.com': { port: 443 } },
        h3: { example: { com: { port: 443 } } },
      };
      f.commit([f.tx('hosts', (s) => Object.entries(hosts).forEach(([k, v]) => s.setState('hosts', k, utf8(JSON.stringify(v)))))]);
      const query = (q: object): string[] => [...f.ledger.newQueryExecutor().executeQuery('hosts', JSON.stringify(q))].map((kv) => kv.key);
      const check = (): void => {
        // mango_util:parse_field: "example\\.com.port" is ["example.com", "port"], "example.com.port" ["example", "com", "port"].
        expect(query({ selector: { 'example\\.com.port': { $gt: 100 } } })).toEqual(['h2']);
        expect(query({ selector: { 'example.com.port': { $gt: 100 } } })).toEqual(['h3']);
        expect(query({ selector: { 'example\\.com': { port: { $gte: 80 } } }, sort: [{ 'example\\.com.port': 'desc' }] })).toEqual(['h2', 'h1']);
        expect(query({ selector: { 'a[0]*': 'x' } })).toEqual(['h1']);
        expect(query({ selector: { "owner's": { $gt: 'a' } }, sort: ["owner's"] })).toEqual(['h1']);
      };
      check();
      f.ledger.declareIndexes('hosts', [
        { name: 'port.json', content: JSON.stringify({ index: { fields: ['example\\.com.port'] }, ddoc: 'byPort', name: 'byPort', type: 'json' }) },
        { name: 'owner.json', content: JSON.stringify({ index: { fields: ["owner's"] }, ddoc: 'byOwner', name: 'byOwner', type: 'json' }) },
      ]);
      check();
      const [h1] = [...f.ledger.newQueryExecutor().executeQuery('hosts', JSON.stringify({ selector: { _id: 'h1' }, fields: ['example\\.com.port', 'example.com'] }))];
      expect(JSON.parse(str(h1.value) as string)).toEqual({ 'example.com': { port: 80 }, example: { com: { port: 1 } } });
      expect(failure({ selector: { 'example..com': 1 } })).toMatchObject({ code: 'LEDGER_BAD_QUERY', message: expect.stringMatching(/unsupported segment ""/) });
      expect(failure({ selector: { 'say"hi': 1 } })).toMatchObject({ code: 'LEDGER_BAD_QUERY', message: expect.stringMatching(/unsupported segment/) });
    });

    it('applies a partial index’s filter only when use_index names it and it can serve the query', () => {
      const all = ['B1', 'a1', 'a2', 'a3'];
      expect(run({ selector: { type: 'user' } })).toEqual(all); // CouchDB never picks a partial index itself
      // As every condition but $exists: false, the filter's $ne needs its field: a3, without a status, is not in the index.
      expect(run({ selector: { type: 'user' }, use_index: 'notArchivedDoc' })).toEqual(['a1']);
      expect(run({ selector: { type: 'user' }, use_index: ['_design/notArchivedDoc', 'notArchived'] })).toEqual(['a1']);
      expect(run({ selector: { type: 'user' }, sort: ['type'], use_index: '_design/notArchivedDoc/notArchived' })).toEqual(['a1']);
      // Not usable: the selector does not require the indexed field, or the sort does not follow it.
      expect(run({ selector: { n: { $gt: 0 } }, use_index: 'notArchivedDoc' })).toEqual([...all, 'b1']);
      // has_required_fields: an empty $or covers every field, an empty $and none; what the index holds is then the answer.
      expect(run({ selector: { n: { $gt: 0 }, $or: [] }, use_index: 'notArchivedDoc' })).toEqual(['a1', 'b1']);
      expect(run({ selector: { n: { $gt: 0 }, $and: [] }, use_index: 'notArchivedDoc' })).toEqual([...all, 'b1']);
      expect(run({ selector: { type: 'user' }, sort: ['n'], use_index: 'notArchivedDoc' })).toEqual(['B1', 'a1', 'a2', 'a3']);
      // A usable index without a filter, or a name that is not declared, changes nothing.
      expect(run({ selector: { n: { $lt: 3 } }, use_index: 'byNDoc' })).toEqual(['B1', 'a1']);
      expect(run({ selector: { type: 'user' }, use_index: 'notArchivedDoc/otherName' })).toEqual(all);
    });

    it('refuses, with allow_fallback false, a query whose use_index names no index that can serve it', () => {
      expect(run({ selector: { type: 'user' }, use_index: 'notArchivedDoc', allow_fallback: false })).toEqual(['a1']);
      for (const query of [
        { selector: { n: { $gt: 0 } }, use_index: 'notArchivedDoc', allow_fallback: false },
        { selector: { type: 'user' }, use_index: 'missing', allow_fallback: false },
      ]) {
        expect(failure(query)).toMatchObject({ code: 'LEDGER_BAD_QUERY', message: expect.stringMatching(/use_index: _design\/\w+ is not a declared index/) });
      }
    });

    it('keeps a partial filter across a reopen, and takes a changed one when the index is declared again', () => {
      f.reopen();
      expect(run({ selector: { type: 'user' }, use_index: 'notArchivedDoc' })).toEqual(['a1']);
      f.ledger.declareIndexes(NS, [
        {
          name: 'notArchived.json',
          content: JSON.stringify({ index: { fields: ['type'], partial_filter_selector: { status: 'archived' } }, ddoc: 'notArchivedDoc', name: 'notArchived', type: 'json' }),
        },
      ]);
      expect(run({ selector: { type: 'user' }, use_index: 'notArchivedDoc' })).toEqual(['B1', 'a2']);
      f.reopen();
      expect(run({ selector: { type: 'user' }, use_index: 'notArchivedDoc' })).toEqual(['B1', 'a2']);
    });
  });
}
