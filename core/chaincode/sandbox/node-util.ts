/** The slice of Node's `util` chaincode uses. */
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

export default { TextEncoder, TextDecoder, inspect, format, isDeepStrictEqual };
