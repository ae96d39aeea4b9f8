/**
 * The global `structuredClone` of Node (the HTML structured clone algorithm), which an isolate
 * lacks: data deep-copied with cycles and shared references kept; class instances come back as
 * plain objects; functions, symbols and objects holding engine state cannot be cloned.
 */

function cannotClone(value: unknown): Error {
  const shown = typeof value === 'function' ? String(value) : typeof value === 'symbol' ? value.toString() : `#<${Object.prototype.toString.call(value).slice(8, -1)}>`;
  return Object.assign(new Error(`${shown} could not be cloned.`), { name: 'DataCloneError' });
}

const TYPED_ARRAYS = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array];
const ERRORS = [EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError];

function cloneInto(value: unknown, seen: Map<object, unknown>): unknown {
  if (typeof value === 'function' || typeof value === 'symbol') throw cannotClone(value);
  if (typeof value !== 'object' || value === null) return value;
  const known = seen.get(value);
  if (known !== undefined) return known;
  const keep = <T>(copy: T): T => (seen.set(value, copy), copy);
  const tag = Object.prototype.toString.call(value).slice(8, -1);
  switch (tag) {
    case 'Boolean':
    case 'Number':
    case 'String':
    case 'BigInt':
      return keep(Object((value as { valueOf(): unknown }).valueOf()));
    case 'Date':
      return keep(new Date((value as Date).getTime()));
    case 'RegExp':
      return keep(new RegExp((value as RegExp).source, (value as RegExp).flags));
    case 'ArrayBuffer':
      return keep((value as ArrayBuffer).slice(0));
    case 'DataView': {
      const v = value as DataView;
      return keep(new DataView(cloneInto(v.buffer, seen) as ArrayBuffer, v.byteOffset, v.byteLength));
    }
    case 'Map': {
      const copy = keep(new Map());
      for (const [k, v] of value as Map<unknown, unknown>) copy.set(cloneInto(k, seen), cloneInto(v, seen));
      return copy;
    }
    case 'Set': {
      const copy = keep(new Set());
      for (const v of value as Set<unknown>) copy.add(cloneInto(v, seen));
      return copy;
    }
    case 'Error': {
      const err = value as Error;
      const Ctor = ERRORS.find((E) => E.prototype.name === err.name) ?? Error;
      const copy = keep(new Ctor(String(err.message)));
      if (typeof err.stack === 'string') copy.stack = err.stack;
      return copy;
    }
    default:
      break;
  }
  if (ArrayBuffer.isView(value)) {
    const view = value as unknown as { buffer: ArrayBuffer; byteOffset: number; length: number };
    const Ctor = TYPED_ARRAYS.find((T) => value instanceof T);
    if (Ctor === undefined) throw cannotClone(value);
    return keep(new Ctor(cloneInto(view.buffer, seen) as ArrayBuffer, view.byteOffset, view.length));
  }
  if (tag !== 'Object' && tag !== 'Array' && tag !== 'Arguments') throw cannotClone(value);
  const copy = keep(Array.isArray(value) ? new Array<unknown>(value.length) : ({} as Record<string, unknown>));
  for (const key of Object.keys(value)) (copy as Record<string, unknown>)[key] = cloneInto((value as Record<string, unknown>)[key], seen);
  return copy;
}

export function structuredClone<T>(value: T): T {
  if (arguments.length === 0) throw new TypeError("The \"value\" argument must be specified");
  return cloneInto(value, new Map()) as T;
}
