/**
 * `util.format` / `util.inspect` as chaincode uses them, following Node's rules (lib/internal/util/
 * inspect.js) so `console.log('failed', err)` prints the error's stack and `{ n: 1 }` reads as in a
 * Fabric chaincode process. One difference: the output stays on one line (Node breaks lines past
 * 72 columns), since each call is one entry of the peer's log. Its own module, free of globals,
 * because the sandbox's `console` needs it before `installGlobals` has put TextEncoder in place.
 */

export interface InspectOptions {
  /** How many levels of nesting to show; deeper objects print as `[Object]`. Node's default 2; null: all. */
  depth?: number | null;
}

const DEFAULT_DEPTH = 2;
const MAX_ARRAY_ITEMS = 100;
const MAX_STRING_CHARS = 10_000;
const MAX_BUFFER_BYTES = 50;
const CUSTOM = Symbol.for('nodejs.util.inspect.custom');
const IDENTIFIER = /^[a-zA-Z_][a-zA-Z_0-9]*$/;
/** Constructors whose `toString` is the language's own: `%s` inspects their instances instead. */
const BUILT_IN = new Set(['Object', 'Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'EvalError', 'URIError', 'AggregateError', 'Array', 'Date', 'RegExp', 'Map', 'Set', 'WeakMap', 'WeakSet', 'Promise', 'Function', 'Boolean', 'Number', 'String', 'Symbol', 'BigInt', 'ArrayBuffer', 'DataView', 'Uint8Array', 'Int8Array', 'Uint16Array', 'Int16Array', 'Uint32Array', 'Int32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'Uint8ClampedArray']);
const ESCAPES: Record<string, string> = { '\b': '\\b', '\t': '\\t', '\n': '\\n', '\f': '\\f', '\r': '\\r', '\\': '\\\\' };

/** A string literal as Node quotes it: single quotes unless the text holds one and lacks another kind. */
function quote(text: string): string {
  let q = "'";
  if (text.includes("'")) {
    if (!text.includes('"')) q = '"';
    else if (!text.includes('`') && !text.includes('${')) q = '`';
  }
  const cut = text.length > MAX_STRING_CHARS ? text.slice(0, MAX_STRING_CHARS) : text;
  const body = cut.replace(/[\x00-\x1f\x7f-\x9f\\'"`]/g, (c) => {
    if (c === q) return `\\${c}`;
    if (c === "'" || c === '"' || c === '`') return c;
    return ESCAPES[c] ?? `\\x${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;
  });
  const more = text.length - cut.length;
  return `${q}${body}${q}${more > 0 ? `... ${more} more character${more === 1 ? '' : 's'}` : ''}`;
}

function formatNumber(n: number): string {
  return Object.is(n, -0) ? '-0' : String(n);
}

function primitive(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      return formatNumber(value);
    case 'bigint':
      return `${value}n`;
    case 'symbol':
      return value.toString();
    case 'undefined':
    case 'boolean':
      return String(value);
    default:
      return value === null ? 'null' : undefined;
  }
}

function constructorName(obj: object): string | null {
  let proto: object | null = obj;
  while (proto !== null) {
    const ctor = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value as unknown;
    if (typeof ctor === 'function' && ctor.name !== '') return ctor.name;
    proto = Object.getPrototypeOf(proto) as object | null;
  }
  return null;
}

function functionBase(fn: (...args: unknown[]) => unknown): string {
  const source = Function.prototype.toString.call(fn);
  if (source.startsWith('class') && /^class\b/.test(source)) {
    const parent = Object.getPrototypeOf(fn) as { name?: string } | null;
    return `[class ${fn.name || '(anonymous)'}${parent && parent.name ? ` extends ${parent.name}` : ''}]`;
  }
  const kind = constructorName(fn) ?? 'Function';
  return `[${kind}${fn.name ? `: ${fn.name}` : ' (anonymous)'}]`;
}

export function keyText(key: string | symbol): string {
  return typeof key === 'symbol' ? `[${key.toString()}]` : IDENTIFIER.test(key) ? key : quote(key);
}

class Inspector {
  private readonly stack: object[] = [];
  private readonly refs = new Map<object, number>();

  constructor(private readonly depth: number) {}

  value(value: unknown, level: number): string {
    const simple = primitive(value);
    if (simple !== undefined) return simple;
    const obj = value as object;
    if (this.stack.includes(obj)) {
      let ref = this.refs.get(obj);
      if (ref === undefined) this.refs.set(obj, (ref = this.refs.size + 1));
      return `[Circular *${ref}]`;
    }
    const custom = (obj as Record<symbol, unknown>)[CUSTOM];
    if (typeof custom === 'function' && !isBuffer(obj)) {
      const shown = (custom as (d: number, o: object, i: typeof inspect) => unknown).call(obj, this.depth - level, { depth: this.depth - level }, inspect);
      if (shown !== obj) return typeof shown === 'string' ? shown : this.value(shown, level);
    }
    this.stack.push(obj);
    let text: string;
    try {
      text = this.object(obj, level);
    } finally {
      this.stack.pop();
    }
    const ref = this.refs.get(obj);
    return ref === undefined ? text : `<ref *${ref}> ${text}`;
  }

  private object(obj: object, level: number): string {
    const name = constructorName(obj);
    const prefix = name === null ? '[Object: null prototype] ' : '';
    if (typeof obj === 'function') {
      const base = functionBase(obj as (...args: unknown[]) => unknown);
      const props = level > this.depth ? [] : this.props(obj, level, NONE);
      return props.length === 0 ? base : this.braces(base, [], props, '{', '}');
    }
    if (obj instanceof Error) return this.error(obj, level);
    if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? 'Invalid Date' : obj.toISOString();
    if (obj instanceof RegExp) return String(obj);
    if (isBuffer(obj)) return buffer(obj as Uint8Array);
    if (level > this.depth) return name === null ? '[Object: null prototype]' : `[${Array.isArray(obj) ? 'Array' : name}]`;
    if (Array.isArray(obj)) return this.braces(`${prefix}${name === 'Array' ? '' : `${name}(${obj.length})`}`, this.items(obj, level), this.props(obj, level, isIndex), '[', ']');
    if (obj instanceof ArrayBuffer) return `${name} { [Uint8Contents]: <${hexBytes(new Uint8Array(obj))}>, [byteLength]: ${obj.byteLength} }`;
    if (ArrayBuffer.isView(obj) && !(obj instanceof DataView)) {
      const view = obj as unknown as ArrayLike<unknown> & { length: number };
      return this.braces(`${name}(${view.length})`, this.items(view, level), [], '[', ']');
    }
    if (obj instanceof Map) {
      const entries = [...obj].slice(0, MAX_ARRAY_ITEMS).map(([k, v]) => `${this.value(k, level + 1)} => ${this.value(v, level + 1)}`);
      return this.braces(`${prefix}${name}(${obj.size})`, more(entries, obj.size), this.props(obj, level, NONE), '{', '}');
    }
    if (obj instanceof Set) {
      const entries = [...obj].slice(0, MAX_ARRAY_ITEMS).map((v) => this.value(v, level + 1));
      return this.braces(`${prefix}${name}(${obj.size})`, more(entries, obj.size), this.props(obj, level, NONE), '{', '}');
    }
    if (obj instanceof WeakMap || obj instanceof WeakSet) return `${name} { <items unknown> }`;
    if (obj instanceof Promise) return `${name} { <unknown> }`;
    for (const Box of [Number, String, Boolean, BigInt, Symbol] as const) {
      if (obj instanceof Box) return `[${Box.name}: ${primitive((obj as { valueOf(): unknown }).valueOf())}]`;
    }
    const base = name === null ? '[Object: null prototype]' : name === 'Object' ? '' : name;
    return this.braces(base, [], this.props(obj, level, NONE), '{', '}');
  }

  private error(err: Error, level: number): string {
    const stack = typeof err.stack === 'string' && err.stack !== '' ? err.stack : `${err.name}: ${err.message}`;
    const props = level > this.depth ? [] : this.props(err, level, (key) => key === 'stack' || key === 'message');
    return props.length === 0 ? stack : `${stack} { ${props.join(', ')} }`;
  }

  private items(list: ArrayLike<unknown>, level: number): string[] {
    const shown: string[] = [];
    let holes = 0;
    const flushHoles = (): void => {
      if (holes > 0) shown.push(`<${holes} empty item${holes === 1 ? '' : 's'}>`);
      holes = 0;
    };
    const n = Math.min(list.length, MAX_ARRAY_ITEMS);
    for (let i = 0; i < n; i++) {
      if (!(i in list)) {
        holes++;
        continue;
      }
      flushHoles();
      shown.push(this.value(list[i], level + 1));
    }
    flushHoles();
    return more(shown, list.length);
  }

  /** Own enumerable properties as `key: value`, accessors as `[Getter]` (never called), the `skip` ones left out. */
  private props(obj: object, level: number, skip: (key: string) => boolean): string[] {
    const out: string[] = [];
    for (const key of Reflect.ownKeys(obj)) {
      if (typeof key === 'string' && skip(key)) continue;
      const d = Object.getOwnPropertyDescriptor(obj, key);
      if (d === undefined || !d.enumerable) continue;
      const shown = 'value' in d ? this.value(d.value, level + 1) : d.get && d.set ? '[Getter/Setter]' : d.get ? '[Getter]' : '[Setter]';
      out.push(`${keyText(key)}: ${shown}`);
    }
    return out;
  }

  private braces(base: string, items: string[], props: string[], open: string, close: string): string {
    const all = [...items, ...props];
    const head = base === '' ? '' : `${base} `;
    if (all.length === 0) return `${head}${open}${close}`;
    return `${head}${open} ${all.join(', ')} ${close}`;
  }
}

function more(shown: string[], total: number): string[] {
  const left = total - Math.min(total, MAX_ARRAY_ITEMS);
  return left > 0 ? [...shown, `... ${left} more item${left === 1 ? '' : 's'}`] : shown;
}

const NONE = (): boolean => false;

/** An array index key, which the items already show. */
function isIndex(key: string): boolean {
  return /^(?:0|[1-9]\d*)$/.test(key) && Number(key) < 2 ** 32 - 1;
}

function isBuffer(obj: object): boolean {
  return obj instanceof Uint8Array && constructorName(obj) === 'Buffer';
}

/** Bytes in hex as Node shows a Buffer's: the first 50, then how many more. */
function hexBytes(bytes: Uint8Array): string {
  const hex = Array.from(bytes.subarray(0, MAX_BUFFER_BYTES), (b) => b.toString(16).padStart(2, '0')).join(' ');
  const left = bytes.length - MAX_BUFFER_BYTES;
  return left > 0 ? `${hex} ... ${left} more byte${left === 1 ? '' : 's'}` : hex;
}

function buffer(bytes: Uint8Array): string {
  return `<Buffer ${hexBytes(bytes)}>`;
}

/** Node's `util.inspect(value, { depth })`, on one line. */
export function inspect(value: unknown, options?: InspectOptions): string {
  const depth = options?.depth === null ? Infinity : typeof options?.depth === 'number' ? options.depth : DEFAULT_DEPTH;
  return new Inspector(depth).value(value, 0);
}
/** The symbol an object's own rendering goes under, as `util.inspect.custom`. */
inspect.custom = CUSTOM;

/** Whether `%s` prints `String(value)`: a primitive, or an object with a `toString` of its own making. */
function stringifies(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (typeof (value as { toString?: unknown }).toString !== 'function') return false;
  let owner: object | null = value;
  while (owner !== null && !Object.hasOwn(owner, 'toString')) owner = Object.getPrototypeOf(owner) as object | null;
  if (owner === value || owner === null) return owner === value;
  const ctor = Object.getOwnPropertyDescriptor(owner, 'constructor')?.value as { name?: unknown } | undefined;
  return !(typeof ctor === 'function' && BUILT_IN.has(String(ctor.name)));
}

function json(value: unknown): string {
  try {
    return JSON.stringify(value) as string;
  } catch (err) {
    if (err instanceof TypeError && /circular/i.test(err.message)) return '[Circular]';
    throw err;
  }
}

/** One `%` directive of Node's `util.format` applied to `arg`. */
function directive(letter: string, arg: unknown): string {
  switch (letter) {
    case 's':
      if (typeof arg === 'number') return formatNumber(arg);
      if (typeof arg === 'bigint') return `${arg}n`;
      return stringifies(arg) ? String(arg) : inspect(arg, { depth: 0 });
    case 'j':
      return json(arg);
    case 'd':
      return typeof arg === 'bigint' ? `${arg}n` : typeof arg === 'symbol' ? 'NaN' : formatNumber(Number(arg));
    case 'i':
      return typeof arg === 'bigint' ? `${arg}n` : typeof arg === 'symbol' ? 'NaN' : formatNumber(parseInt(arg as string, 10));
    case 'f':
      return typeof arg === 'symbol' ? 'NaN' : formatNumber(parseFloat(arg as string));
    case 'o':
      // Node's also lists non-enumerable properties (`[length]: 1`), which no log reader wants.
      return inspect(arg, { depth: 4 });
    case 'O':
      return inspect(arg);
    default: // 'c': CSS, which a log has no use for
      return '';
  }
}

/** Node's `util.format`: `%s %d %i %f %j %o %O %c %%` in a leading string, the other arguments inspected. */
export function format(...args: unknown[]): string {
  const first = args[0];
  let next = 0;
  let out = '';
  if (typeof first === 'string') {
    if (args.length === 1) return first;
    next = 1;
    out = first.replace(/%[sdifjoOc%]/g, (m) => {
      if (m === '%%') return '%';
      return next < args.length ? directive(m[1]!, args[next++]) : m;
    });
  }
  for (let i = next; i < args.length; i++) {
    const value = args[i];
    out += `${i === 0 ? '' : ' '}${typeof value === 'string' ? value : inspect(value)}`;
  }
  return out;
}
