import * as util from 'node:util';
import { format, inspect } from '../../../../core/chaincode/sandbox/format';
import { isDeepStrictEqual } from '../../../../core/chaincode/sandbox/node-util';

/** Node's rendering on one line, as the sandbox prints it: a break and its indentation become one space. */
function oneLine(text: string): string {
  return text.replace(/\n\s*/g, ' ');
}

/** Values the sandbox must render as Node does, up to line breaks. */
function samples(): [string, unknown][] {
  class Asset {
    id = 'a1';
    size = 5;
  }
  class Empty {}
  class Base {}
  class Derived extends Base {}
  const cyclic: Record<string, unknown> = { name: 'c' };
  cyclic.self = cyclic;
  const inner: Record<string, unknown> = { n: 1 };
  const outer = { inner, list: [inner] };
  inner.back = outer;
  const sparse = [1, , , 4];
  const tagged = Object.assign([1, 2], { note: 'x' });
  const nullProto = Object.assign(Object.create(null) as object, { a: 1 });
  const withAccessors = Object.defineProperties({}, {
    got: { get: () => 1, enumerable: true },
    set: { set: () => undefined, enumerable: true },
    both: { get: () => 1, set: () => undefined, enumerable: true },
    hidden: { value: 1, enumerable: false },
  });
  const custom = { [Symbol.for('nodejs.util.inspect.custom')]: () => 'CUSTOM' };
  const err = new TypeError('bad input');
  return [
    ['strings', ['plain', "it's", 'say "hi" it\'s', 'tab\tnew\nline\\', '\x00\x07\x7f\x85', '']],
    ['numbers', [0, -0, 1.5, NaN, -Infinity, 10n, 2 ** 60]],
    ['other primitives', [true, null, undefined, Symbol('s'), Symbol()]],
    ['a plain object', { a: 1, 'b-c': 'x', $d: [1, 2], _e: { f: null } }],
    ['depth', { a: { b: { c: { d: 1 } } }, l: [[[[1]]]] }],
    ['class instances', [new Asset(), new Empty(), Derived, Base, Asset]],
    ['functions', [function named() {}, () => 0, async function af() {}, function* gen() {}, Object.assign(() => 1, { a: 1 })]],
    ['cycles', cyclic],
    ['nested cycles', outer],
    ['sparse and tagged arrays', [sparse, tagged, []]],
    ['a long array', Array.from({ length: 120 }, () => 0)],
    ['a null prototype', [nullProto, Object.create(null)]],
    ['accessors', withAccessors],
    ['a custom inspector', custom],
    ['buffers', [Buffer.from('hi'), Buffer.alloc(0), new Uint8Array([1, 2]), new Float64Array(0)]],
    ['an ArrayBuffer', new ArrayBuffer(2)],
    ['a long buffer', Buffer.alloc(60)],
    ['maps and sets', [new Map([['k', { v: 1 }]]), new Set([1, 'two']), new Map(), new WeakMap()]],
    ['dates and regexps', [new Date(Date.UTC(2024, 0, 2, 3, 4, 5)), new Date(NaN), /a+b/gi]],
    ['boxed primitives', [Object(3), Object('s'), Object(true), Object(5n)]],
    ['a long string', 'x'.repeat(10_005)],
    ['errors beyond the depth', { a: { b: { c: { d: err } } } }],
  ];
}

describe("the sandbox's util.inspect and util.format", () => {
  it.each(samples())('inspect renders %s as Node does', (_, value) => {
    expect(inspect(value)).toBe(oneLine(util.inspect(value)));
  });

  it('inspect shows symbol keys in brackets, as Node 22 does (Node 24 drops the brackets; the sandbox prints the same on every peer)', () => {
    expect(inspect({ [Symbol('k')]: 1, s: Symbol.iterator })).toBe('{ s: Symbol(Symbol.iterator), [Symbol(k)]: 1 }');
  });

  it('inspect takes a depth, null meaning all of it', () => {
    const deep = { a: { b: { c: { d: { e: 1 } } } } };
    for (const depth of [0, 1, 3, null]) expect(inspect(deep, { depth })).toBe(oneLine(util.inspect(deep, { depth })));
  });

  it('inspect prints an error as its stack, with its own extra properties', () => {
    const err = Object.assign(new Error('with code'), { code: 'E_CODE' });
    expect(inspect(new RangeError('out'))).toMatch(/^RangeError: out\n {4}at /);
    expect(inspect(err)).toBe(`${err.stack} { code: 'E_CODE' }`);
    const bare = new Error('no stack');
    bare.stack = undefined;
    expect(inspect(bare)).toBe('Error: no stack');
  });

  it.each<[string, unknown[]]>([
    ['directives', ['%s|%d|%i|%f|%j|%O|%%|%c', 'str', '42.5', 4.7, '1.5e3', { a: [1] }, { b: 2 }, 'color: red']],
    ['%s of objects and special numbers', ['%s %s %s %s %s', { a: { b: 1 } }, [1, [2]], -0, 7n, Symbol('y')]],
    ['%s of an object with its own toString', ['%s', { toString: () => 'mine' }]],
    ['%d and %i of odd input', ['%d %d %i %i %f', 'abc', 5n, '12px', Symbol('z'), Symbol('f')]],
    ['%j of a cycle', ['%j', (() => { const c: Record<string, unknown> = {}; c.c = c; return c; })()]],
    ['more directives than arguments', ['%s and %s', 'one']],
    ['more arguments than directives', ['a %s', 'b', 'c', { d: 1 }, 5]],
    ['a lone string', ['100%% %s']],
    ['a trailing percent', ['a%', 1]],
    ['a non-string first argument', [{ n: 1 }, 'raw string', 42, [1]]],
    ['no arguments', []],
  ])('format handles %s as Node does', (_, args) => {
    expect(format(...args)).toBe(oneLine(util.format(...args)));
  });

  it('format prints an error argument as its stack', () => {
    const err = new Error('boom');
    expect(format('failed:', err)).toBe(`failed: ${err.stack}`);
    expect(format('failed: %s', err)).toBe(`failed: ${err.stack}`);
  });

  it('isDeepStrictEqual agrees with Node on order, types, prototypes and special values', () => {
    const cases: [unknown, unknown][] = [
      [{ a: 1, b: 2 }, { b: 2, a: 1 }],
      [{ a: 1 }, { a: '1' }],
      [{ a: undefined }, {}],
      [[1, 2], [1, 2]],
      [[1, 2], { 0: 1, 1: 2 }],
      [[1, , 3], [1, undefined, 3]],
      [NaN, NaN],
      [0, -0],
      [{ n: NaN }, { n: NaN }],
      [new Date(1), new Date(1)],
      [new Date(1), new Date(2)],
      [/a/g, /a/g],
      [/a/g, /a/i],
      [new Map([[1, { x: 1 }]]), new Map([[1, { x: 1 }]])],
      [new Map([[1, 2]]), new Map([[1, 3]])],
      [new Set([1, 2]), new Set([2, 1])],
      [new Set([{ a: 1 }]), new Set([{ a: 1 }])],
      [Buffer.from('ab'), Buffer.from('ab')],
      [new Uint8Array([1]), Buffer.from([1])],
      [Object.create(null), {}],
      [{ deep: { list: [1, { z: [2] }] } }, { deep: { list: [1, { z: [2] }] } }],
      [{ deep: { list: [1, { z: [2] }] } }, { deep: { list: [1, { z: [3] }] } }],
      [{ [Symbol.for('s')]: 1 }, { [Symbol.for('s')]: 1 }],
      [{ [Symbol.for('s')]: 1 }, {}],
      [new Error('x'), new Error('x')],
      [new Error('x'), new TypeError('x')],
      [Object(1), Object(1)],
      [Object(1), 1],
    ];
    for (const [a, b] of cases) expect([a, b, isDeepStrictEqual(a, b)]).toEqual([a, b, util.isDeepStrictEqual(a, b)]);
    const c1: Record<string, unknown> = {};
    c1.self = c1;
    const c2: Record<string, unknown> = {};
    c2.self = c2;
    expect(isDeepStrictEqual(c1, c2)).toBe(util.isDeepStrictEqual(c1, c2));
  });
});
