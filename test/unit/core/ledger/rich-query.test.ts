import { parseIndexDefinition, parseRichQuery } from '../../../../core/ledger/rich-query';

const err = (fn: () => unknown): { code?: string; message?: string; details?: Record<string, unknown> } => {
  try {
    fn();
  } catch (e) {
    return e as { code: string; message: string; details: Record<string, unknown> };
  }
  return {};
};

describe('rich query parsing (CouchDB Mango subset)', () => {
  it('parses implicit equality, nested objects, dotted paths and operator objects', () => {
    expect(parseRichQuery('{"selector":{"owner":"bob"}}').selector).toEqual({ op: '$eq', path: ['owner'], value: 'bob' });
    expect(parseRichQuery('{"selector":{"a":{"b":{"c":1}}}}').selector).toEqual({ op: '$eq', path: ['a', 'b', 'c'], value: 1 });
    expect(parseRichQuery('{"selector":{"a.b":{"$gt":1,"$lt":5}}}').selector).toEqual({
      op: '$and',
      clauses: [
        { op: '$gt', path: ['a', 'b'], value: 1 },
        { op: '$lt', path: ['a', 'b'], value: 5 },
      ],
    });
    expect(parseRichQuery('{"selector":{"a":{"$not":{"$in":[1,2]}}}}').selector).toEqual({ op: '$nin', path: ['a'], values: [1, 2] });
    // Operators beside field names, as CouchDB reads them: a > 1 and a.b = 2.
    expect(parseRichQuery('{"selector":{"a":{"$gt":1,"b":2}}}').selector).toEqual({
      op: '$and',
      clauses: [
        { op: '$gt', path: ['a'], value: 1 },
        { op: '$eq', path: ['a', 'b'], value: 2 },
      ],
    });
    expect(parseRichQuery('{"selector":{"$or":[{"a":null},{"b":{"$exists":true}}]}}').selector).toEqual({
      op: '$or',
      clauses: [
        { op: '$eq', path: ['a'], value: null },
        { op: '$exists', path: ['b'], exists: true },
      ],
    });
  });

  it('pushes $not into the leaves as CouchDB normalizes negations (De Morgan, flipped operators)', () => {
    const sel = (q: object): unknown => parseRichQuery(JSON.stringify({ selector: q })).selector;
    expect(sel({ $not: { a: 1 } })).toEqual({ op: '$ne', path: ['a'], value: 1 });
    expect(sel({ $not: { a: { $gt: 1 }, b: { $lte: 2 } } })).toEqual({
      op: '$or',
      clauses: [
        { op: '$lte', path: ['a'], value: 1 },
        { op: '$gt', path: ['b'], value: 2 },
      ],
    });
    expect(sel({ $not: { $or: [{ a: { $gte: 1 } }, { b: { $lt: [1] } }] } })).toEqual({
      op: '$and',
      clauses: [
        { op: '$lt', path: ['a'], value: 1 },
        { op: '$gte', path: ['b'], value: [1] },
      ],
    });
    expect(sel({ a: { $not: { $exists: true } } })).toEqual({ op: '$exists', path: ['a'], exists: false });
    expect(sel({ a: { $not: { $nin: [1] } } })).toEqual({ op: '$in', path: ['a'], values: [1] });
    expect(sel({ $not: { $not: { a: { $ne: null } } } })).toEqual({ op: '$ne', path: ['a'], value: null });
    expect(sel({ a: { $not: { $regex: 'x' } } })).toEqual({ op: '$not', clause: { op: '$regex', path: ['a'], pattern: 'x' } });
    expect(sel({ $not: { a: { $not: { $regex: 'x' } } } })).toEqual({ op: '$regex', path: ['a'], pattern: 'x' });
    expect(sel({ a: { $gt: null, $lt: true } })).toEqual({
      op: '$and',
      clauses: [
        { op: '$gt', path: ['a'], value: null },
        { op: '$lt', path: ['a'], value: true },
      ],
    });
  });

  it('parses fields, sort, limit, skip, bookmark and use_index', () => {
    const q = parseRichQuery(
      Buffer.from(JSON.stringify({ selector: {}, fields: ['a', 'b.c'], sort: ['a', { b: 'desc' }], limit: 5, skip: 2, bookmark: 'o3', use_index: '_design/x' })),
    );
    expect(q).toEqual({
      selector: { op: '$and', clauses: [] },
      fields: [['a'], ['b', 'c']],
      sort: [
        { path: ['a'], direction: 'asc' },
        { path: ['b'], direction: 'desc' },
      ],
      limit: 5,
      skip: 2,
      bookmark: 'o3',
      useIndex: { ddoc: 'x' },
    });
  });

  it('reads use_index in each of CouchDB’s spellings, and allow_fallback', () => {
    const useIndex = (v: unknown): unknown => parseRichQuery(JSON.stringify({ selector: {}, use_index: v })).useIndex;
    expect(useIndex('d')).toEqual({ ddoc: 'd' });
    expect(useIndex('_design/d')).toEqual({ ddoc: 'd' });
    expect(useIndex('d/n')).toEqual({ ddoc: 'd', name: 'n' });
    expect(useIndex('_design/d/n')).toEqual({ ddoc: 'd', name: 'n' });
    expect(useIndex(['_design/d', 'n'])).toEqual({ ddoc: 'd', name: 'n' });
    expect(useIndex(['d'])).toEqual({ ddoc: 'd' });
    for (const none of [null, '', []]) expect(useIndex(none)).toBeUndefined();
    for (const bad of ['a/b/c', ['a', 'b', 'c'], ['a', 1], 7, { ddoc: 'd' }, ['', 'n']]) {
      expect(err(() => useIndex(bad))).toMatchObject({ code: 'LEDGER_BAD_QUERY', details: { field: 'use_index' } });
    }
    expect(parseRichQuery('{"selector":{},"allow_fallback":false}').allowFallback).toBe(false);
    expect(err(() => parseRichQuery('{"selector":{},"allow_fallback":"no"}')).code).toBe('LEDGER_BAD_QUERY');
  });

  it('names unsupported operators and rejects malformed input with typed errors', () => {
    // CouchDB 3.4's $beginsWith, text search, and what CouchDB itself refuses.
    for (const op of ['$beginsWith', '$text', '$where', '$geoWithin', '$foo']) {
      const q = op === '$where' ? `{"selector":{"${op}":1}}` : `{"selector":{"a":{"${op}":1}}}`;
      expect(err(() => parseRichQuery(q))).toMatchObject({ code: 'LEDGER_UNSUPPORTED_OPERATOR', details: { operator: op } });
    }
    for (const bad of [
      '',
      '[]',
      '{}',
      '{"selector":1}',
      '{"selector":{"a":{"$in":1}}}',
      '{"selector":{"a":{"$exists":"yes"}}}',
      '{"selector":{"a":{"$regex":"[" }}}',
      '{"selector":{"$and":{}}}',
      '{"selector":{"a":{"$or":1}}}',
      '{"selector":{"$gt":1}}',
      '{"selector":{"a..b":1}}',
      '{"selector":{"a\\"b":1}}',
      '{"selector":{},"sort":[{"a":"up"}]}',
      '{"selector":{},"skip":1.5}',
      '{"selector":{},"fields":"a"}',
      '{"selector":{},"unknown":1}',
    ]) {
      expect(err(() => parseRichQuery(bad)).code).toBe('LEDGER_BAD_QUERY');
    }
    expect(err(() => parseRichQuery(`{"selector":{"a${'.0'.repeat(9)}":1}}`)).code).toBe('LEDGER_BAD_QUERY');
    // An operator that needs a field is not called unsupported.
    expect(err(() => parseRichQuery('{"selector":{"$gt":1}}')).message).toBe('selector: $gt must apply to a field, as in {"<field>": {"$gt": ...}}');
    const deep = '{"selector":' + '{"$not":'.repeat(40) + '{"a":1}' + '}'.repeat(40) + '}';
    expect(err(() => parseRichQuery(deep)).code).toBe('LEDGER_BAD_QUERY');
  });

  it('parses CouchDB index files', () => {
    expect(parseIndexDefinition('{"index":{"fields":["docType",{"size":"desc"}]},"ddoc":"d","name":"n","type":"json"}')).toEqual({
      ddoc: 'd',
      name: 'n',
      fields: [
        { path: ['docType'], direction: 'asc' },
        { path: ['size'], direction: 'desc' },
      ],
    });
    expect(parseIndexDefinition('{"index":{"fields":["a"],"partial_filter_selector":{"s":{"$ne":"x"}}},"name":"n"}').partialFilter).toEqual({
      source: { s: { $ne: 'x' } },
      selector: { op: '$ne', path: ['s'], value: 'x' },
    });
    // CouchDB's older spelling, and an empty filter, which filters nothing.
    expect(parseIndexDefinition('{"index":{"fields":["a"],"selector":{"s":1}},"name":"n"}').partialFilter?.source).toEqual({ s: 1 });
    expect(parseIndexDefinition('{"index":{"fields":["a"],"partial_filter_selector":{}},"name":"n"}').partialFilter).toBeUndefined();
    expect(err(() => parseIndexDefinition('{"index":{"fields":["a"],"partial_filter_selector":{"s":{"$beginsWith":"x"}}},"name":"n"}')).code).toBe('LEDGER_UNSUPPORTED_OPERATOR');
    expect(err(() => parseIndexDefinition('{"index":{"fields":["a"],"partial_filter_selector":[]},"name":"n"}', 'x.json')).message).toMatch(/x\.json\.index\.partial_filter_selector/);
    expect(err(() => parseIndexDefinition('{"index":{"fields":["a"]}}', 'x.json')).code).toBe('LEDGER_BAD_QUERY');
  });
});
