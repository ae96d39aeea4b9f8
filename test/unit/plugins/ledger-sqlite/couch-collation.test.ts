import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import type { JsonValue } from '../../../../core/ledger/rich-query';
import { couchCollationKey, couchCollationKeyOfJson } from '../../../../plugins/ledger-sqlite/couch-collation';
import { icuCollatorVersion, icuSortKey } from '../../../../plugins/ledger-sqlite/icu-root-collator';
import { seededRandom } from '../../../support/seeded-random';

const compare = (a: JsonValue, b: JsonValue): number => Buffer.compare(couchCollationKey(a), couchCollationKey(b));
const sorted = <T extends JsonValue>(values: readonly T[]): T[] => [...values].sort(compare);

describe('CouchDB collation keys', () => {
  it('order the values of CouchDB’s own view collation test (test/elixir/test/view_collation_test.exs)', () => {
    const expected: JsonValue[] = [
      null,
      false,
      true,
      1,
      2,
      3.0,
      4,
      'a',
      'A',
      'aa',
      'b',
      'B',
      'ba',
      'bb',
      ['a'],
      ['b'],
      ['b', 'c'],
      ['b', 'c', 'a'],
      ['b', 'd'],
      ['b', 'd', 'e'],
      { a: 1 },
      { a: 2 },
      { b: 1 },
      { b: 2 },
      { b: 2, a: 1 },
      { b: 2, c: 2 },
    ];
    const shuffled = [...expected].reverse();
    expect(sorted(shuffled)).toEqual(expected);
  });

  it('sort printable ASCII as CouchDB documents it: symbols, then digits, then letters with lowercase first', () => {
    // collation.rst lists this sequence; "`" and "^" are left out, because ICU releases since that
    // list was made moved them (they now sort between "%" and "+").
    const documented = `_ - , ; : ! ? . ' " ( ) [ ] { } @ * / \\ & # % + < = > | ~ $ 0 1 2 3 4 5 6 7 8 9 a A b B c C d D e E f F g G h H i I j J k K l L m M n N o O p P q Q r R s S t T u U v V w W x X y Y z Z`.split(' ');
    expect(sorted([...documented].reverse())).toEqual(documented);
    expect(compare(' ', '_')).toBeLessThan(0);
    expect(compare('~', '0')).toBeLessThan(0);
    expect(compare('A', 'aa')).toBeLessThan(0);
    expect(compare('a', 'AA')).toBeLessThan(0);
    expect(compare('Zebra', 'apple')).toBeGreaterThan(0); // byte order would say the opposite
  });

  it('compare strings exactly as ICU’s root collation does (Intl.Collator("en") has no tailoring)', () => {
    const root = new Intl.Collator('en', { sensitivity: 'variant' });
    const alphabet = [...'aAbBzZ09 -_~.,éÉèñÑçøßæÆŒœ中文日本Ωωж€$@\t'];
    const random = seededRandom(20261123);
    const word = (): string => Array.from({ length: Math.floor(random() * 7) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
    const mismatches: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const a = word();
      const b = word();
      if (Math.sign(compare(a, b)) !== Math.sign(root.compare(a, b))) mismatches.push(`${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
    expect(icuCollatorVersion()).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  });

  it('give strings ICU calls equal the same key, and a string its own key inside arrays and objects', () => {
    expect(compare('a', 'a\u0000')).toBe(0); // a completely ignorable code point
    expect(compare('\u00e9', 'e\u0301')).toBe(0); // canonically equivalent
    expect(compare('a', 'b')).toBeLessThan(0);
    expect(compare(['a', 'z'], ['a\u0000', 'z'])).toBe(0);
    expect(compare({ k: 'x' }, { 'k\u0000': 'x' })).toBe(0);
    // a shorter string sorts first whatever follows it in an array
    expect(compare(['a', 'z'], ['ab', 'a'])).toBeLessThan(0);
    expect(compare(['a'], ['a', null])).toBeLessThan(0);
    expect(icuSortKey('Hello, world').includes(0)).toBe(false);
  });

  it('order numbers numerically across integers, reals, negatives and zeros', () => {
    expect(sorted([10, -1.5, 0, 9, -1e300, 2.5, 1e300, -0])).toEqual([-1e300, -1.5, 0, -0, 2.5, 9, 10, 1e300]);
    expect(compare(1, 1.0)).toBe(0);
    expect(compare(-0, 0)).toBe(0);
  });

  it('order integers beyond 2^53 exactly, against each other and against doubles', () => {
    const two53 = 2 ** 53;
    // 2^53 + 1 is no double: it sits strictly between the doubles 2^53 and 2^53 + 2.
    expect(sorted([two53 + 2, 9007199254740993n, two53, 9007199254740991n, -9007199254740993n, -two53])).toEqual([
      -9007199254740993n,
      -two53,
      9007199254740991n,
      two53,
      9007199254740993n,
      two53 + 2,
    ]);
    expect(compare(9007199254740992n, two53)).toBe(0);
    expect(compare(9223372036854775807n, 2 ** 63)).toBeLessThan(0);
    expect(compare(-9223372036854775808n, -(2 ** 63))).toBe(0);
    expect(compare(123456789012345678901234567890n, 123456789012345678901234567891n)).toBeLessThan(0);
    expect(compare([9007199254740993n, 'a'], [9007199254740993n, 'b'])).toBeLessThan(0);
    expect(couchCollationKeyOfJson('integer', 9007199254740993n)).toEqual(couchCollationKey(9007199254740993n));
    expect(couchCollationKeyOfJson('array', '[9007199254740993]')).toEqual(couchCollationKey([9007199254740993n]));
    expect(couchCollationKeyOfJson('object', '{"n":-9007199254740993,"f":9007199254740993.0}')).toEqual(
      couchCollationKey({ n: -9007199254740993n, f: 9007199254740992 }),
    );
  });

  it('compute a field’s key from SQLite’s json_type and json_extract, NULL for an absent field', () => {
    expect(couchCollationKeyOfJson('null', null)).toEqual(couchCollationKey(null));
    expect(couchCollationKeyOfJson('true', 1)).toEqual(couchCollationKey(true));
    expect(couchCollationKeyOfJson('false', 0)).toEqual(couchCollationKey(false));
    expect(couchCollationKeyOfJson('integer', 7)).toEqual(couchCollationKey(7));
    expect(couchCollationKeyOfJson('integer', 7n)).toEqual(couchCollationKey(7));
    expect(couchCollationKeyOfJson('real', 7.5)).toEqual(couchCollationKey(7.5));
    expect(couchCollationKeyOfJson('text', 'Bob')).toEqual(couchCollationKey('Bob'));
    expect(couchCollationKeyOfJson('array', '[1,"a"]')).toEqual(couchCollationKey([1, 'a']));
    expect(couchCollationKeyOfJson('object', '{"b":2,"a":1}')).toEqual(couchCollationKey({ b: 2, a: 1 }));
    expect(couchCollationKeyOfJson(null, null)).toBeNull();
    expect(couchCollationKeyOfJson('text', 3)).toBeNull();
  });

  it('fail with LEDGER_COLLATION_UNAVAILABLE, naming the Node and ICU, where the node binary has no such ICU functions', () => {
    // A child process whose Node claims an ICU whose versioned symbols (ucol_open_1) do not exist.
    const root = path.resolve(__dirname, '../../../..');
    const script = `
      Object.defineProperty(process.versions, 'icu', { value: '1.0', configurable: true });
      const { SqliteLedgerStoreProvider } = require('./plugins/ledger-sqlite');
      const dir = require('node:fs').mkdtempSync(require('node:path').join(require('node:os').tmpdir(), 'weft-icu-'));
      try { new SqliteLedgerStoreProvider({ rootDir: dir }).open('ch1'); process.stdout.write('opened'); }
      catch (e) { process.stdout.write(JSON.stringify({ name: e.name, code: e.code, message: e.message })); }
      finally { require('node:fs').rmSync(dir, { recursive: true, force: true }); }`;
    const run = spawnSync(process.execPath, ['--no-node-snapshot', '-r', './test/support/ts-register.js', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(run.stdout === '' ? run.stderr : JSON.parse(run.stdout)).toMatchObject({
      name: 'LedgerError',
      code: 'LEDGER_COLLATION_UNAVAILABLE',
      message: expect.stringMatching(/ICU 1\.0.*exports no ICU collation functions/),
    });
  });
});
