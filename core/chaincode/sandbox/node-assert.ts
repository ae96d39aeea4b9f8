/**
 * Node's `assert` for chaincode: the same functions, comparisons, `AssertionError` fields and
 * messages, values printed as Node's assertion messages print them and failed deep comparisons as
 * its line diff. Where Node quotes the failing expression's source (`assert(x)`), this quotes the
 * value: the sandbox cannot read its own source.
 */
import { isDeepLooseEqual, isDeepStrictEqual } from './deep-equal';
import { comparison, generatedMessage } from './assert-messages';
import { inspect } from './format';

interface AssertionErrorOptions {
  message?: unknown;
  actual?: unknown;
  expected?: unknown;
  operator?: string;
}

const GENERATED = Symbol('generated message');

class AssertionError extends Error {
  override readonly name = 'AssertionError';
  readonly code = 'ERR_ASSERTION';
  readonly actual: unknown;
  readonly expected: unknown;
  readonly operator: string | undefined;
  readonly generatedMessage: boolean;

  constructor(options: AssertionErrorOptions & { [GENERATED]?: string }) {
    const { actual, expected, operator } = options;
    const custom = options.message === undefined || options.message === null || options.message === '' ? undefined : String(options.message);
    const generated = options[GENERATED];
    super(
      operator === 'strictEqual' || operator === 'deepStrictEqual'
        ? comparison(actual, expected, operator, custom)
        : (custom ?? generated ?? generatedMessage(actual, expected, operator)),
    );
    this.actual = actual;
    this.expected = expected;
    this.operator = operator;
    this.generatedMessage = custom === undefined;
  }
}

type Message = string | Error | undefined;

/** Throws `message` itself when it is an Error, as Node does; else an AssertionError. */
function fail(message: Message, details: AssertionErrorOptions, generated?: string): never {
  if (message instanceof Error) throw message;
  throw new AssertionError({ ...details, message, [GENERATED]: generated });
}

function ok(value: unknown, message?: Message, argumentCount?: number): void {
  if (value) return;
  const generated = argumentCount === 0 ? 'No value argument passed to `assert.ok()`' : `The expression evaluated to a falsy value:\n\n  assert.ok(${inspect(value)})\n`;
  fail(message, { actual: value, expected: true, operator: '==' }, generated);
}

function assert(...args: [unknown?, Message?]): void {
  ok(args[0], args[1], args.length);
}

const comparisons = {
  ok: (...args: [unknown?, Message?]): void => ok(args[0], args[1], args.length),
  equal(actual: unknown, expected: unknown, message?: Message): void {
    if (!(actual == expected || (Number.isNaN(actual) && Number.isNaN(expected)))) fail(message, { actual, expected, operator: '==' });
  },
  notEqual(actual: unknown, expected: unknown, message?: Message): void {
    if (actual == expected || (Number.isNaN(actual) && Number.isNaN(expected))) fail(message, { actual, expected, operator: '!=' });
  },
  strictEqual(actual: unknown, expected: unknown, message?: Message): void {
    if (!Object.is(actual, expected)) fail(message, { actual, expected, operator: 'strictEqual' });
  },
  notStrictEqual(actual: unknown, expected: unknown, message?: Message): void {
    if (Object.is(actual, expected)) fail(message, { actual, expected, operator: 'notStrictEqual' });
  },
  deepEqual(actual: unknown, expected: unknown, message?: Message): void {
    if (!isDeepLooseEqual(actual, expected)) fail(message, { actual, expected, operator: 'deepEqual' });
  },
  notDeepEqual(actual: unknown, expected: unknown, message?: Message): void {
    if (isDeepLooseEqual(actual, expected)) fail(message, { actual, expected, operator: 'notDeepEqual' });
  },
  deepStrictEqual(actual: unknown, expected: unknown, message?: Message): void {
    if (!isDeepStrictEqual(actual, expected)) fail(message, { actual, expected, operator: 'deepStrictEqual' });
  },
  notDeepStrictEqual(actual: unknown, expected: unknown, message?: Message): void {
    if (isDeepStrictEqual(actual, expected)) fail(message, { actual, expected, operator: 'notDeepStrictEqual' });
  },
  match(actual: unknown, expected: RegExp, message?: Message): void {
    if (!(typeof actual === 'string' && expected.test(actual))) fail(message, { actual, expected, operator: 'match' }, mismatch(actual, expected, 'did not match'));
  },
  doesNotMatch(actual: unknown, expected: RegExp, message?: Message): void {
    if (!(typeof actual === 'string' && !expected.test(actual))) fail(message, { actual, expected, operator: 'doesNotMatch' }, mismatch(actual, expected, 'was expected to not match'));
  },
  fail(message?: Message): never {
    return fail(message, { operator: 'fail' }, 'Failed');
  },
  ifError(value: unknown): void {
    if (value === null || value === undefined) return;
    const text = value instanceof Error ? value.message : inspect(value);
    throw new AssertionError({ message: `ifError got unwanted exception: ${text}`, actual: value, expected: null, operator: 'ifError' });
  },
  throws(fn: () => unknown, expected?: unknown, message?: Message): void {
    const thrown = caught(fn);
    if (thrown === NOTHING) return missing('throws', 'exception', expected, message);
    checkExpected(thrown, expected, 'throws', message);
  },
  doesNotThrow(fn: () => unknown, expected?: unknown, message?: Message): void {
    const thrown = caught(fn);
    if (thrown !== NOTHING) unwanted(thrown, 'doesNotThrow', 'exception', expected, message);
  },
  async rejects(promiseOrFn: Promise<unknown> | (() => Promise<unknown>), expected?: unknown, message?: Message): Promise<void> {
    const rejection = await settled(promiseOrFn);
    if (rejection === NOTHING) return missing('rejects', 'rejection', expected, message);
    checkExpected(rejection, expected, 'rejects', message);
  },
  async doesNotReject(promiseOrFn: Promise<unknown> | (() => Promise<unknown>), expected?: unknown, message?: Message): Promise<void> {
    const rejection = await settled(promiseOrFn);
    if (rejection !== NOTHING) unwanted(rejection, 'doesNotReject', 'rejection', expected, message);
  },
};

function mismatch(actual: unknown, expected: RegExp, verb: string): string {
  return typeof actual === 'string'
    ? `The input ${verb} the regular expression ${inspect(expected)}. Input:\n\n${inspect(actual)}\n`
    : `The "string" argument must be of type string. Received type ${typeof actual} (${inspect(actual)})`;
}

const NOTHING = Symbol('nothing thrown');

function caught(fn: () => unknown): unknown {
  if (typeof fn !== 'function') throw new TypeError(`The "fn" argument must be of type function. Received ${inspect(fn)}`);
  try {
    fn();
  } catch (err) {
    return err;
  }
  return NOTHING;
}

async function settled(promiseOrFn: Promise<unknown> | (() => Promise<unknown>)): Promise<unknown> {
  try {
    await (typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn);
  } catch (err) {
    return err;
  }
  return NOTHING;
}

function missing(operator: string, what: string, expected: unknown, message: Message): never {
  // `throws(fn, 'text')`: a string second argument is the message.
  const text = typeof expected === 'string' ? expected : message;
  const named = (expected as { name?: unknown } | null | undefined)?.name;
  const name = (typeof expected === 'function' || typeof expected === 'object') && typeof named === 'string' && named !== '' ? ` (${named})` : '';
  const suffix = typeof text === 'string' ? `: ${text}` : '.';
  if (text instanceof Error) throw text;
  throw new AssertionError({ message: `Missing expected ${what}${name}${suffix}`, actual: undefined, expected, operator });
}

function unwanted(thrown: unknown, operator: string, what: string, expected: unknown, message: Message): never {
  const text = typeof expected === 'string' ? expected : message;
  const detail = typeof text === 'string' ? `: ${text}` : '.';
  const actualMessage = thrown instanceof Error ? thrown.message : inspect(thrown);
  throw new AssertionError({ message: `Got unwanted ${what}${detail}\nActual message: "${actualMessage}"`, actual: thrown, expected, operator });
}

/** Node's rules for the `error` argument of `throws` / `rejects`: a class, a RegExp, a validation function or an object of properties. */
function checkExpected(thrown: unknown, expected: unknown, operator: string, message: Message): void {
  if (expected === undefined || typeof expected === 'string') return;
  if (expected instanceof RegExp) {
    if (expected.test(String(thrown))) return;
    fail(message, { actual: thrown, expected, operator }, mismatch(String(thrown), expected, 'did not match'));
  }
  if (typeof expected === 'function') {
    if (expected.prototype !== undefined && thrown instanceof (expected as new () => unknown)) return;
    if (Error.isPrototypeOf(expected) || expected === Error) {
      const received = thrown instanceof Error ? thrown.constructor.name : inspect(thrown);
      fail(message, { actual: thrown, expected, operator }, `The error is expected to be an instance of "${expected.name}". Received "${received}"\n\nError message:\n\n${thrown instanceof Error ? thrown.message : inspect(thrown)}`);
    }
    if ((expected as (e: unknown) => unknown).call({}, thrown) === true) return;
    fail(message, { actual: thrown, expected, operator }, `The ${expected.name ? `"${expected.name}" validation function` : 'validation function'} is expected to return "true". Received ${inspect(false)}`);
  }
  if (typeof expected === 'object' && expected !== null) {
    for (const key of Object.keys(expected)) {
      const want = (expected as Record<string, unknown>)[key];
      const got = (thrown as Record<string, unknown> | null)?.[key];
      const matches = want instanceof RegExp && typeof got === 'string' ? want.test(got) : isDeepStrictEqual(got, want);
      if (!matches) fail(message, { actual: thrown, expected, operator }, `Expected values to be strictly deep-equal:\n+ actual - expected\n\n+ ${key}: ${inspect(got)}\n- ${key}: ${inspect(want)}\n`);
    }
  }
}

const strictApi = { ...comparisons, equal: comparisons.strictEqual, notEqual: comparisons.notStrictEqual, deepEqual: comparisons.deepStrictEqual, notDeepEqual: comparisons.notDeepStrictEqual };

/** `assert.strict` / `require('assert/strict')`: the same functions with `equal` meaning `strictEqual`, and so on. */
const strict = Object.assign((...args: [unknown?, Message?]) => ok(args[0], args[1], args.length), strictApi, { AssertionError });
const legacy = Object.assign(assert, comparisons, { AssertionError, strict });
Object.assign(strict, { strict });

// `module.exports = assert`, as Node's: `require('assert')` must be callable.
export = legacy;
