/**
 * Node's deep equality (`lib/internal/util/comparisons.js`), for `util.isDeepStrictEqual` and
 * `assert`'s deep comparisons. Strict: same prototypes and tags, own enumerable keys (symbols too)
 * in any order, `Object.is` leaves. Loose (`assert.deepEqual`): prototypes ignored, string keys only,
 * leaves compared with `==` (NaN equals NaN).
 */
type Mode = 'strict' | 'loose';

export function isDeepStrictEqual(a: unknown, b: unknown): boolean {
  return deepEqual(a, b, 'strict', []);
}

export function isDeepLooseEqual(a: unknown, b: unknown): boolean {
  return deepEqual(a, b, 'loose', []);
}

const isPrimitive = (v: unknown): boolean => typeof v !== 'object' || v === null;
const tagOf = (v: object): string => Object.prototype.toString.call(v);

function ownKeys(obj: object, mode: Mode): (string | symbol)[] {
  const keys = mode === 'strict' ? Reflect.ownKeys(obj) : Object.keys(obj);
  return keys.filter((k) => Object.prototype.propertyIsEnumerable.call(obj, k));
}

/** `inProgress` holds the pairs being compared further up: meeting one again is a cycle both sides share. */
function deepEqual(x: unknown, y: unknown, mode: Mode, inProgress: [object, object][]): boolean {
  if (mode === 'strict' ? Object.is(x, y) : x === y) return true;
  if (isPrimitive(x) || isPrimitive(y)) {
    return mode === 'loose' && isPrimitive(x) && isPrimitive(y) && (x == y || (Number.isNaN(x) && Number.isNaN(y)));
  }
  const [a, b] = [x as object, y as object];
  if (tagOf(a) !== tagOf(b)) return false;
  if (mode === 'strict' && Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (inProgress.some(([x, y]) => x === a && y === b)) return true;
  inProgress.push([a, b]);
  try {
    return sameKind(a, b, mode, inProgress) && sameProperties(a, b, mode, inProgress);
  } finally {
    inProgress.pop();
  }
}

function sameKind(a: object, b: object, mode: Mode, inProgress: [object, object][]): boolean {
  if (a instanceof Date) return Object.is(a.getTime(), (b as Date).getTime());
  if (a instanceof RegExp) return String(a) === String(b) && a.lastIndex === (b as RegExp).lastIndex;
  if (a instanceof Error) return a.message === (b as Error).message && a.name === (b as Error).name;
  if (ArrayBuffer.isView(a)) {
    if (mode === 'loose' && (a instanceof Float32Array || a instanceof Float64Array)) {
      const y = b as Float64Array;
      return a.length === y.length && a.every((v, i) => v === y[i]);
    }
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const y = new Uint8Array((b as ArrayBufferView).buffer, (b as ArrayBufferView).byteOffset, (b as ArrayBufferView).byteLength);
    return x.length === y.length && x.every((v, i) => v === y[i]);
  }
  for (const Box of [Number, String, Boolean, BigInt, Symbol] as const) {
    if (a instanceof Box) return Object.is(a.valueOf(), (b as { valueOf(): unknown }).valueOf());
  }
  if (a instanceof Map) return a.size === (b as Map<unknown, unknown>).size && sameEntries([...a], [...(b as Map<unknown, unknown>)], mode, inProgress);
  if (a instanceof Set) return a.size === (b as Set<unknown>).size && sameEntries([...a].map((v) => [v, v]), [...(b as Set<unknown>)].map((v) => [v, v]), mode, inProgress);
  return true;
}

/** Map entries or Set members, matched in any order: each of `a` pairs off with a distinct equal one of `b`. */
function sameEntries(a: [unknown, unknown][], b: [unknown, unknown][], mode: Mode, inProgress: [object, object][]): boolean {
  const left = [...b];
  return a.every(([k, v]) => {
    const at = left.findIndex(([k2, v2]) => deepEqual(k, k2, mode, inProgress) && deepEqual(v, v2, mode, inProgress));
    if (at < 0) return false;
    left.splice(at, 1);
    return true;
  });
}

function sameProperties(a: object, b: object, mode: Mode, inProgress: [object, object][]): boolean {
  if (ArrayBuffer.isView(a)) return true;
  const keys = ownKeys(a, mode);
  const other = ownKeys(b, mode);
  if (keys.length !== other.length || !keys.every((k) => Object.prototype.propertyIsEnumerable.call(b, k))) return false;
  if (Array.isArray(a) && a.length !== (b as unknown[]).length) return false;
  return keys.every((k) => deepEqual((a as Record<string | symbol, unknown>)[k], (b as Record<string | symbol, unknown>)[k], mode, inProgress));
}
