/** The slice of Node's `util` chaincode and its npm dependencies use: nothing that reaches a clock, I/O or the process. */
import { format, inspect } from './format';

export { format, inspect };
type Ctor = new (...args: unknown[]) => unknown;
const g = globalThis as unknown as { TextEncoder: Ctor; TextDecoder: Ctor };

export const TextEncoder: Ctor = g.TextEncoder;
export const TextDecoder: Ctor = g.TextDecoder;

/** Node's `util.isDeepStrictEqual`: same prototypes and tags, own enumerable keys in any order, `Object.is` leaves. */
export function isDeepStrictEqual(a: unknown, b: unknown): boolean {
  return deepEqual(a, b, []);
}

const tagOf = (v: object): string => Object.prototype.toString.call(v);

function ownKeys(obj: object): (string | symbol)[] {
  return Reflect.ownKeys(obj).filter((k) => Object.prototype.propertyIsEnumerable.call(obj, k));
}

/** `inProgress` holds the pairs being compared further up: meeting one again is a cycle both sides share. */
function deepEqual(a: unknown, b: unknown, inProgress: [object, object][]): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b) || tagOf(a) !== tagOf(b)) return false;
  if (inProgress.some(([x, y]) => x === a && y === b)) return true;
  inProgress.push([a, b]);
  try {
    return sameKind(a, b, inProgress) && sameProperties(a, b, inProgress);
  } finally {
    inProgress.pop();
  }
}

function sameKind(a: object, b: object, inProgress: [object, object][]): boolean {
  if (a instanceof Date) return Object.is(a.getTime(), (b as Date).getTime());
  if (a instanceof RegExp) return String(a) === String(b) && a.lastIndex === (b as RegExp).lastIndex;
  if (a instanceof Error) return a.message === (b as Error).message && a.name === (b as Error).name;
  if (ArrayBuffer.isView(a)) {
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const y = new Uint8Array((b as ArrayBufferView).buffer, (b as ArrayBufferView).byteOffset, (b as ArrayBufferView).byteLength);
    return x.length === y.length && x.every((v, i) => v === y[i]);
  }
  for (const Box of [Number, String, Boolean, BigInt, Symbol] as const) {
    if (a instanceof Box) return Object.is(a.valueOf(), (b as { valueOf(): unknown }).valueOf());
  }
  if (a instanceof Map) return a.size === (b as Map<unknown, unknown>).size && sameEntries([...a], [...(b as Map<unknown, unknown>)], inProgress);
  if (a instanceof Set) return a.size === (b as Set<unknown>).size && sameEntries([...a].map((v) => [v, v]), [...(b as Set<unknown>)].map((v) => [v, v]), inProgress);
  return true;
}

/** Map entries or Set members, matched in any order: each of `a` pairs off with a distinct equal one of `b`. */
function sameEntries(a: [unknown, unknown][], b: [unknown, unknown][], inProgress: [object, object][]): boolean {
  const left = [...b];
  return a.every(([k, v]) => {
    const at = left.findIndex(([k2, v2]) => deepEqual(k, k2, inProgress) && deepEqual(v, v2, inProgress));
    if (at < 0) return false;
    left.splice(at, 1);
    return true;
  });
}

function sameProperties(a: object, b: object, inProgress: [object, object][]): boolean {
  if (ArrayBuffer.isView(a)) return true;
  const keys = ownKeys(a);
  const other = ownKeys(b);
  if (keys.length !== other.length || !keys.every((k) => Object.prototype.propertyIsEnumerable.call(b, k))) return false;
  if (Array.isArray(a) && a.length !== (b as unknown[]).length) return false;
  return keys.every((k) => deepEqual((a as Record<string | symbol, unknown>)[k], (b as Record<string | symbol, unknown>)[k], inProgress));
}

type AnyFunction = (...args: unknown[]) => unknown;
type Callback = (err: unknown, value?: unknown) => void;
const PROMISIFY_CUSTOM = Symbol.for('nodejs.util.promisify.custom');

/** Node's `util.promisify`: a function taking a last `(err, value)` callback, as one returning a promise. */
export function promisify(original: AnyFunction): AnyFunction {
  if (typeof original !== 'function') throw new TypeError('The "original" argument must be of type function');
  const custom = (original as unknown as Record<symbol, unknown>)[PROMISIFY_CUSTOM];
  if (typeof custom === 'function') return custom as AnyFunction;
  const promisified = function (this: unknown, ...args: unknown[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      original.call(this, ...args, (err: unknown, value: unknown) => (err ? reject(err) : resolve(value)));
    });
  };
  Object.setPrototypeOf(promisified, Object.getPrototypeOf(original) as object);
  Object.defineProperty(promisified, PROMISIFY_CUSTOM, { value: promisified });
  return promisified;
}
promisify.custom = PROMISIFY_CUSTOM;

/** Node's `util.callbackify`: an async function as one taking a last `(err, value)` callback. */
export function callbackify(original: (...args: unknown[]) => Promise<unknown>): AnyFunction {
  if (typeof original !== 'function') throw new TypeError('The "original" argument must be of type function');
  return function (this: unknown, ...args: unknown[]): void {
    const callback = args.pop() as Callback;
    if (typeof callback !== 'function') throw new TypeError('The last argument must be of type function');
    original.apply(this, args).then(
      (value) => callback(null, value),
      (reason: unknown) => callback(reason === null || reason === undefined || reason === false ? Object.assign(new Error('Promise was rejected with a falsy value'), { reason }) : reason),
    );
  };
}

/** Node's `util.inherits`, which older npm packages still call to subclass. */
export function inherits(ctor: AnyFunction, superCtor: AnyFunction): void {
  if (typeof ctor !== 'function') throw new TypeError('The "ctor" argument must be of type function');
  if (typeof superCtor !== 'function' || superCtor.prototype === undefined) throw new TypeError('The "superCtor.prototype" property must be of type object');
  Object.defineProperty(ctor, 'super_', { value: superCtor, writable: true, configurable: true });
  Object.setPrototypeOf(ctor.prototype, superCtor.prototype as object);
}

/** Node's `util.deprecate`; the warning Node prints once goes nowhere, as the process has no stderr here. */
export function deprecate<T extends AnyFunction>(fn: T): T {
  return fn;
}

/** Node's `util.debuglog`, off: `NODE_DEBUG` does not reach chaincode. */
export function debuglog(): ((...args: unknown[]) => void) & { enabled: boolean } {
  return Object.assign(() => undefined, { enabled: false });
}

const tag = (v: unknown): string => Object.prototype.toString.call(v).slice(8, -1);
const TYPED_ARRAYS = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array'];

/** Node's `util.types`, the checks a realm can make without the engine's internals (no `isProxy`, `isExternal`). */
export const types = {
  isDate: (v: unknown): boolean => tag(v) === 'Date',
  isRegExp: (v: unknown): boolean => tag(v) === 'RegExp',
  isMap: (v: unknown): boolean => tag(v) === 'Map',
  isSet: (v: unknown): boolean => tag(v) === 'Set',
  isWeakMap: (v: unknown): boolean => tag(v) === 'WeakMap',
  isWeakSet: (v: unknown): boolean => tag(v) === 'WeakSet',
  isPromise: (v: unknown): boolean => tag(v) === 'Promise',
  isNativeError: (v: unknown): boolean => tag(v) === 'Error',
  isArrayBuffer: (v: unknown): boolean => tag(v) === 'ArrayBuffer',
  isAnyArrayBuffer: (v: unknown): boolean => tag(v) === 'ArrayBuffer',
  isDataView: (v: unknown): boolean => tag(v) === 'DataView',
  isArrayBufferView: (v: unknown): boolean => ArrayBuffer.isView(v),
  isTypedArray: (v: unknown): boolean => ArrayBuffer.isView(v) && TYPED_ARRAYS.includes(tag(v)),
  isUint8Array: (v: unknown): boolean => tag(v) === 'Uint8Array',
  isGeneratorFunction: (v: unknown): boolean => typeof v === 'function' && /^(Async)?GeneratorFunction$/.test(tag(v)),
  isAsyncFunction: (v: unknown): boolean => typeof v === 'function' && /^Async(Generator)?Function$/.test(tag(v)),
  isGeneratorObject: (v: unknown): boolean => tag(v) === 'Generator',
  isBoxedPrimitive: (v: unknown): boolean => typeof v === 'object' && v !== null && ['Number', 'String', 'Boolean', 'BigInt', 'Symbol'].includes(tag(v)),
};

export const isArray = Array.isArray;

export default { TextEncoder, TextDecoder, inspect, format, isDeepStrictEqual, promisify, callbackify, inherits, deprecate, debuglog, debug: debuglog, types, isArray };
