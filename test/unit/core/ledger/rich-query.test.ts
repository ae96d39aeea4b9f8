import { parseIndexDefinition, parseRichQuery } from '../../../../core/ledger/rich-query';

const err = (fn: () => unknown): { code?: string; details?: Record<string, unknown> } => {
  try {
    fn();
  } catch (e) {
    return e as { code: string; details: Record<string, unknown> };
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
    expect(parseRichQuery('{"selector":{"a":{"$not":{"$in":[1,2]}}}}').selector).toEqual({ op: '$not', clause: { op: '$in', path: ['a'], values: [1, 2] } });
    expect(parseRichQuery('{"selector":{"$or":[{"a":null},{"b":{"$exists":true}}]}}').selector).toEqual({
      op: '$or',
      clauses: [
        { op: '$eq', path: ['a'], value: null },
        { op: '$exists', path: ['b'], exists: true },
      ],
    });
  });

  it('parses fields, sort, limit, skip, bookmark and ignores use_index', () => {
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
    });
  });

  it('names unsupported operators and rejects malformed input with typed errors', () => {
    for (const op of ['$all', '$elemMatch', '$size', '$mod', '$type', '$nor', '$allMatch', '$beginsWith']) {
      const q = op === '$nor' ? `{"selector":{"${op}":[{"a":1}]}}` : `{"selector":{"a":{"${op}":1}}}`;
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
      '{"selector":{"a":{"$eq":1,"b":2}}}',
      '{"selector":{"$and":[]}}',
      '{"selector":{"a..b":1}}',
      '{"selector":{"a\\"b":1}}',
      '{"selector":{},"sort":[{"a":"up"}]}',
      '{"selector":{},"skip":1.5}',
      '{"selector":{},"fields":"a"}',
      '{"selector":{},"unknown":1}',
    ]) {
      expect(err(() => parseRichQuery(bad)).code).toBe('LEDGER_BAD_QUERY');
    }
    expect(err(() => parseRichQuery('{"selector":{"a":{"$lt":[1]}}}')).code).toBe('LEDGER_UNSUPPORTED_QUERY');
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
    expect(err(() => parseIndexDefinition('{"index":{"fields":["a"],"partial_filter_selector":{}},"name":"n"}')).code).toBe('LEDGER_UNSUPPORTED_OPERATOR');
    expect(err(() => parseIndexDefinition('{"index":{"fields":["a"]}}', 'x.json')).code).toBe('LEDGER_BAD_QUERY');
  });
});
