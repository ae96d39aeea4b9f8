/**
 * Conformance: the behaviours CouchDB's own Mango suites pin (test/elixir/test/mango, operator and
 * key tests), on documents of our own (jest globals): null against a missing field, `$all`/`$in`/
 * `$nin` on arrays and scalars, a range on one field written as `$and`, ICU order, `$allMatch`
 * with `$mod`, and field names with escaped dots, `$`, brackets or private-use characters.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { makeFixture, str, utf8, type Fixture } from './conformance-fixture';
import type { LedgerStoreProvider } from './ledger-store-provider';

const PEOPLE: Record<string, object> = {
  p0: { age: 30, manager: true, favorites: ['Lisp', 'Python', 'Ruby'], twitter: '@ann', location: { state: 'New York' }, ordered: 'a' },
  p1: { age: 45, manager: true, favorites: ['Python', 'Erlang'], location: { state: 'Nevada' }, ordered: 'A' },
  p2: { age: 50, manager: false, favorites: ['Lisp', 'Python'], twitter: null, location: { state: 'new mexico' }, ordered: 'b' },
  p3: { age: 41, manager: true, favorites: 'Python', twitter: '@zed', location: { state: 'Ohai' }, ordered: '_' },
  p4: { age: 22, manager: true, favorites: ['Ruby'], twitter: '@eve', location: 'Ohai', ordered: 1 },
  p5: { age: 60, manager: true, favorites: ['Lisp', 'Python'], location: { state: 'NEW JERSEY' }, ordered: null },
};

const ARRAYS: Record<string, object> = {
  e1: { bang: [{ foo: 1, bar: 2 }] },
  e2: { bang: [{ foo: 2, bam: true }] },
  m1: { bang: [{ foo: 1, bar: 2 }, { foo: 3, bar: 4 }] },
  m2: { bang: [{ foo: 1, bar: 2 }, { foo: 4, bar: 4 }] },
  m3: { bang: { emptybang: [] } },
  k1: { foo: { aa: 'bar', bb: 'bang' } },
  k2: { foo: { cc: 'bar', bb: 'bang' } },
  f1: { big: [1e300, 2] },
};

const KEYS: Record<string, object> = {
  '100': { type: 'complex_key', title: 'normal key' },
  '200': { type: 'complex_key', title: 'key with dot', 'dot.key': "dot's value", none: { dot: "none dot's value" }, 'name.first': 'Kvothe' },
  '300': { type: 'complex_key', title: 'key with peso', $key: 'peso', deep: { $key: 'deep peso' }, name: { first: 'Master Elodin' } },
  '400': { type: 'complex_key', title: 'unicode key', '\uf8ff': 'apple' },
  '500': { title: 'internal_fields_format', 'utf8-1[]:string': 'string', 'utf8-2[]:boolean[]': true, 'utf8-3[]:number': 9, 'utf8-3[]:null': null },
};

export function mangoCouchCasesConformance(makeProvider: (dir: string) => LedgerStoreProvider): void {
  describe('rich queries: the cases CouchDB’s own Mango tests pin', () => {
    let f: Fixture;
    const keys = (ns: string, query: object): string[] => [...f.ledger.newQueryExecutor().executeQuery(ns, JSON.stringify(query))].map((kv) => kv.key);
    const people = (selector: object): string[] => keys('people', { selector });
    beforeAll(() => {
      f = makeFixture(makeProvider);
      const seed = { people: PEOPLE, arrays: ARRAYS, keys: KEYS };
      f.commit([f.tx('seed', (s) => Object.entries(seed).forEach(([ns, docs]) => Object.entries(docs).forEach(([k, v]) => s.setState(ns, k, utf8(JSON.stringify(v))))))]);
    });
    afterAll(() => f.close());

    it('matches $all, $in and $nin against arrays, and $all never against a scalar', () => {
      expect(people({ manager: true, favorites: { $all: ['Lisp', 'Python'] } })).toEqual(['p0', 'p5']);
      expect(people({ manager: true, location: { $all: ['Ohai'] } })).toEqual([]);
      expect(people({ manager: true, favorites: { $in: ['Ruby', 'Erlang'] } })).toEqual(['p0', 'p1', 'p4']);
      // On an array, $nin is "no element is one of them"; on a scalar, "it is none of them".
      expect(people({ manager: true, favorites: { $nin: ['Erlang', 'Python'] } })).toEqual(['p4']);
      expect(people({ age: { $gt: 40 }, 'location.state': { $regex: '(?i)new.*' } })).toEqual(['p2', 'p5']);
    });

    it('tells null from a missing field', () => {
      expect(people({ age: { $gt: 0 }, twitter: { $exists: false } })).toEqual(['p1', 'p5']);
      expect(people({ twitter: null })).toEqual(['p2']);
      expect(people({ twitter: { $ne: 'notamatch' } })).toEqual(['p0', 'p2', 'p3', 'p4']);
      expect(people({ twitter: { $lte: null } })).toEqual(['p2']);
      expect(people({ twitter: { $gte: null } })).toEqual(['p0', 'p2', 'p3', 'p4']);
      // Every string is above every number: only null is below 1.
      expect(people({ twitter: { $lt: 1 } })).toEqual(['p2']);
      expect(people({ twitter: { $and: [{ $lte: '@z' }, { $ne: null }] } })).toEqual(['p0', 'p4']);
    });

    it('orders by ICU: null, numbers, punctuation, then letters with lowercase first', () => {
      expect(people({ ordered: { $lte: 'a' } })).toEqual(['p0', 'p3', 'p4', 'p5']);
      expect(people({ ordered: { $gte: 'a' } })).toEqual(['p0', 'p1', 'p2']);
    });

    it('walks arrays and member names with $elemMatch, $allMatch and $keyMapMatch', () => {
      expect(keys('arrays', { selector: { _id: { $gt: null }, bang: { $elemMatch: { foo: { $gte: 1 }, bam: true } } } })).toEqual(['e2']);
      expect(keys('arrays', { selector: { bang: { $allMatch: { foo: { $mod: [2, 1] }, bar: { $mod: [2, 0] } } } } })).toEqual(['e1', 'm1']);
      expect(keys('arrays', { selector: { bang: { emptybang: { $allMatch: { foo: { $eq: 2 } } } } } })).toEqual([]);
      expect(keys('arrays', { selector: { foo: { $keyMapMatch: { $eq: 'aa' } } } })).toEqual(['k1']);
      // $all is lists:member: 1e300 is a float in the document and in the query alike.
      expect(keys('arrays', { selector: { big: { $all: [1e300, 2] } } })).toEqual(['f1']);
    });

    it('reads field names with escaped dots, $, brackets and private-use characters', () => {
      const projected = (fields: string[]): object[] =>
        [...f.ledger.newQueryExecutor().executeQuery('keys', JSON.stringify({ selector: { type: 'complex_key' }, fields }))].map((kv) => JSON.parse(str(kv.value) as string) as object);
      expect(projected(['title', 'dot\\.key', 'none.dot'])[1]).toEqual({ title: 'key with dot', 'dot.key': "dot's value", none: { dot: "none dot's value" } });
      expect(projected(['title', '$key', 'deep.$key'])[2]).toEqual({ title: 'key with peso', $key: 'peso', deep: { $key: 'deep peso' } });
      expect(projected(['title', '\uf8ff'])[3]).toEqual({ title: 'unicode key', '\uf8ff': 'apple' });
      expect(keys('keys', { selector: { '\uf8ff': 'apple' } })).toEqual(['400']);
      for (const selector of [{ 'utf8-1[]:string': 'string' }, { 'utf8-2[]:boolean[]': true }, { 'utf8-3[]:number': 9 }, { 'utf8-3[]:null': null }]) {
        expect({ selector, keys: keys('keys', { selector }) }).toEqual({ selector, keys: ['500'] });
      }
      expect(keys('keys', { selector: { 'name\\.first': 'Kvothe' } })).toEqual(['200']);
      expect(keys('keys', { selector: { 'name.first': 'Kvothe' } })).toEqual([]);
      expect(keys('keys', { selector: { 'name.first': 'Master Elodin' } })).toEqual(['300']);
      expect(keys('keys', { selector: { 'name\\.first': 'Master Elodin' } })).toEqual([]);
      expect(keys('keys', { selector: { 'deep.$key': 'deep peso' } })).toEqual(['300']);
    });
  });
}
