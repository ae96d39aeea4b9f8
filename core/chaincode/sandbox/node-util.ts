/** The slice of Node's `util` chaincode and its npm dependencies use: nothing that reaches a clock, I/O or the process. */
import { isDeepStrictEqual } from './deep-equal';
import { format, inspect } from './format';

export { format, inspect };
type Ctor = new (...args: unknown[]) => unknown;
const g = globalThis as unknown as { TextEncoder: Ctor; TextDecoder: Ctor };

export const TextEncoder: Ctor = g.TextEncoder;
export const TextDecoder: Ctor = g.TextDecoder;

export { isDeepStrictEqual };

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
