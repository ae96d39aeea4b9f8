import { isUsable, requestedIndex, selectorToRun } from '../../../../core/ledger/mango-index-use';
import { parseIndexDefinition, parseRichQuery, type IndexDefinition } from '../../../../core/ledger/rich-query';

const index = (fields: unknown[], extra: object = {}): IndexDefinition =>
  parseIndexDefinition(JSON.stringify({ index: { fields, ...extra }, ddoc: 'd', name: `by-${fields.length}`, type: 'json' }));
const usable = (ix: IndexDefinition, query: object): boolean => {
  const q = parseRichQuery(JSON.stringify(query));
  return isUsable(ix, q.selector, (q.sort ?? []).map((s) => s.path));
};

describe('which declared index a Mango query can use (CouchDB is_usable)', () => {
  it('needs every indexed field required by the selector, except sort fields and _id', () => {
    const ab = index(['a', 'b']);
    expect(usable(ab, { selector: { a: 1, b: { $gt: 2 } } })).toBe(true);
    expect(usable(ab, { selector: { a: 1 } })).toBe(false);
    expect(usable(ab, { selector: { a: 1, b: { $exists: false } } })).toBe(false);
    expect(usable(ab, { selector: { a: 1, b: { $exists: true } } })).toBe(true);
    expect(usable(ab, { selector: { a: 1 }, sort: ['a', 'b'] })).toBe(true);
    expect(usable(index(['a', '_id']), { selector: { a: 1 } })).toBe(true);
    // $or requires what every branch requires; $and what any clause does; a negation still needs its field.
    expect(usable(ab, { selector: { $or: [{ a: 1, b: 1 }, { a: 2, b: 3 }] } })).toBe(true);
    expect(usable(ab, { selector: { $or: [{ a: 1, b: 1 }, { a: 2 }] } })).toBe(false);
    expect(usable(ab, { selector: { $and: [{ a: 1 }, { $or: [{ b: 1 }, { b: 2 }] }] } })).toBe(true);
    expect(usable(ab, { selector: { $not: { a: 1, b: 2 } } })).toBe(false);
    expect(usable(ab, { selector: { a: { $not: { $regex: 'x' } }, b: { $ne: 1 } } })).toBe(true);
  });

  it('serves a sort that follows its fields, past leading fields the selector holds constant', () => {
    const abc = index(['a', 'b', 'c']);
    expect(usable(abc, { selector: { a: 1, b: 1, c: 1 }, sort: ['a', 'b'] })).toBe(true);
    expect(usable(abc, { selector: { a: 1, b: 1, c: 1 }, sort: ['b'] })).toBe(true);
    expect(usable(abc, { selector: { a: { $gt: 1 }, b: 1, c: 1 }, sort: ['b'] })).toBe(false);
    expect(usable(abc, { selector: { a: 1, b: 1, c: 1 }, sort: ['c', 'b'] })).toBe(false);
    expect(usable(abc, { selector: { a: 1, b: 1, c: 1 }, sort: ['a', 'b', 'c', 'd'] })).toBe(false);
  });

  it('adds the sort fields’ existence, and a usable requested index’s partial filter and the fields only an empty $or covered, to the selector', () => {
    const partial = { ...index(['a'], { partial_filter_selector: { s: 'on' } }), name: 'p' };
    const plain = { ...index(['a']), name: 'q' };
    const run = (query: object): unknown => selectorToRun(parseRichQuery(JSON.stringify(query)), [partial, plain]);
    expect(run({ selector: { a: 1 } })).toEqual({ op: '$eq', path: ['a'], value: 1 });
    expect(run({ selector: { a: 1 }, sort: ['b', '_id'] })).toEqual({
      op: '$and',
      clauses: [
        { op: '$eq', path: ['a'], value: 1 },
        { op: '$exists', path: ['b'], exists: true },
      ],
    });
    expect(run({ selector: { a: 1 }, use_index: 'd/p' })).toEqual({
      op: '$and',
      clauses: [
        { op: '$eq', path: ['a'], value: 1 },
        { op: '$eq', path: ['s'], value: 'on' },
      ],
    });
    // An empty $or covers every field (has_required_fields), so the index serves; the field it stood for must then exist.
    expect(run({ selector: { b: 1, $or: [] }, use_index: 'd/q' })).toEqual({
      op: '$and',
      clauses: [
        {
          op: '$and',
          clauses: [
            { op: '$eq', path: ['b'], value: 1 },
            { op: '$or', clauses: [], vacuous: true },
          ],
        },
        { op: '$exists', path: ['a'], exists: true },
      ],
    });
    expect(run({ selector: { b: 1 }, use_index: 'd/p' })).toEqual({ op: '$eq', path: ['b'], value: 1 });
    // A design document alone names both: as CouchDB's choose_best_index, fewest fields, then name.
    expect(requestedIndex(parseRichQuery('{"selector":{"a":1},"use_index":"_design/d"}'), [plain, partial])?.name).toBe('p');
  });
});
