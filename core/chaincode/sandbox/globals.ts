/**
 * Installs what Node chaincode expects to find globally (Buffer, TextEncoder/TextDecoder, a
 * bundler's `process`) and makes the realm deterministic: `Date` reads the transaction timestamp,
 * `Math.random` is seeded from the transaction ID, and nothing can schedule work outside the
 * transaction. Evaluated before any chaincode module.
 */
import { Buffer } from 'buffer';
import { pinLocale } from './locale';
import { chaincodeConsole } from './logging';
import { runSoon } from './microtask';
import { sandboxProcess } from './process';
import { structuredClone } from './structured-clone';
import { speedUpBuffer, utf8Decode, utf8Encode, utf8Length } from './utf8';

const g = globalThis as unknown as Record<string, unknown>;

class WeftTextEncoder {
  readonly encoding = 'utf-8';
  encode(input = ''): Uint8Array {
    const s = String(input);
    const out = new Uint8Array(utf8Length(s));
    utf8Encode(s, out, 0);
    return out;
  }
}

class WeftTextDecoder {
  readonly encoding: string;
  constructor(label = 'utf-8') {
    const l = String(label).toLowerCase();
    if (l !== 'utf-8' && l !== 'utf8') throw new RangeError(`The "${label}" encoding is not supported`);
    this.encoding = 'utf-8';
  }
  decode(input?: ArrayBufferView | ArrayBuffer): string {
    if (input === undefined) return '';
    const b = ArrayBuffer.isView(input) ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength) : new Uint8Array(input);
    return utf8Decode(b, 0, b.length);
  }
}

let nowMs = 0;
let seed = [1, 2, 3, 4];

/** sfc32: small, fast, and fully determined by its 128-bit seed. */
function random(): number {
  let [a, b, c, d] = seed;
  a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
  const t = (((a + b) | 0) + d) | 0;
  d = (d + 1) | 0;
  a = b ^ (b >>> 9);
  b = (c + (c << 3)) | 0;
  c = (c << 21) | (c >>> 11);
  c = (c + t) | 0;
  seed = [a, b, c, d];
  return (t >>> 0) / 4294967296;
}

/** cyrb128 string hash → 4 × 32-bit seed words. */
function seedFrom(text: string): number[] {
  let h1 = 1779033703, h2 = 3144134277, h3 = 1013904242, h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  return [(h1 ^ h2 ^ h3 ^ h4) >>> 0, (h2 ^ h1) >>> 0, (h3 ^ h1) >>> 0, (h4 ^ h1) >>> 0];
}

/** Called by the dispatcher at the start of every transaction. */
export function beginTransaction(timestampMs: number, txId: string): void {
  nowMs = timestampMs;
  seed = seedFrom(txId);
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/**
 * Local time is the host's time zone, which differs between endorsers: make it UTC everywhere
 * (getters, setters, string forms, and `new Date(y, m, …)`; the `toLocale…` forms in `locale.ts`).
 * Strings without an offset parse as local time: the runtime runs its process in UTC for those.
 */
function pinTimeZoneToUtc(RealDate: DateConstructor): void {
  const proto = RealDate.prototype as unknown as Record<string, unknown>;
  for (const name of ['FullYear', 'Month', 'Date', 'Day', 'Hours', 'Minutes', 'Seconds', 'Milliseconds']) {
    proto[`get${name}`] = proto[`getUTC${name}`];
    if (name !== 'Day') proto[`set${name}`] = proto[`setUTC${name}`];
  }
  proto.getTimezoneOffset = () => 0;
  const dateString = (d: Date): string => `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCDate())} ${pad(d.getUTCFullYear(), 4)}`;
  const timeString = (d: Date): string => `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} GMT+0000 (Coordinated Universal Time)`;
  const valid = (d: Date): boolean => !isNaN(d.getTime());
  proto.toString = function (this: Date) {
    return valid(this) ? `${dateString(this)} ${timeString(this)}` : 'Invalid Date';
  };
  proto.toDateString = function (this: Date) {
    return valid(this) ? dateString(this) : 'Invalid Date';
  };
  proto.toTimeString = function (this: Date) {
    return valid(this) ? timeString(this) : 'Invalid Date';
  };
}

/** What `setImmediate` returns: `clearImmediate` takes it; ref/unref mean nothing without an event loop. */
class Immediate {
  cleared = false;
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  hasRef(): boolean {
    return true;
  }
}

let installed = false;

export function installGlobals(): void {
  if (installed) return;
  installed = true;
  speedUpBuffer();
  g.Buffer = Buffer;
  g.TextEncoder = WeftTextEncoder;
  g.TextDecoder = WeftTextDecoder;
  g.global = globalThis;
  // Web workers' name for the global object, which bundled libraries look for when there is no `window`.
  g.self = globalThis;

  const RealDate = Date;
  RealDate.now = () => nowMs;
  pinTimeZoneToUtc(RealDate);
  g.Date = new Proxy(RealDate, {
    construct(target, args: unknown[], newTarget) {
      if (args.length === 0) return Reflect.construct(target, [nowMs], newTarget);
      // Component form is local time: UTC here.
      if (args.length >= 2) return Reflect.construct(target, [RealDate.UTC(...(args as [number, number]))], newTarget);
      return Reflect.construct(target, args, newTarget);
    },
    apply() {
      return new RealDate(nowMs).toString();
    },
  });
  // `new (new Date().constructor)()` must not reach the real clock.
  Object.defineProperty(RealDate.prototype, 'constructor', { value: g.Date, writable: true, configurable: true });
  pinLocale(g, RealDate);
  Math.random = random;
  // Intl formats "now" from the real clock when given no date.
  const intl = (g.Intl as typeof Intl | undefined)?.DateTimeFormat?.prototype;
  if (intl !== undefined) {
    const format = Object.getOwnPropertyDescriptor(intl, 'format')?.get;
    const formatToParts = intl.formatToParts;
    if (format !== undefined) {
      Object.defineProperty(intl, 'format', {
        configurable: true,
        get(this: Intl.DateTimeFormat) {
          const bound = format.call(this) as (d?: Date | number) => string;
          return (d?: Date | number) => bound(d === undefined ? nowMs : d);
        },
      });
    }
    intl.formatToParts = function (this: Intl.DateTimeFormat, d?: Date | number) {
      return formatToParts.call(this, d === undefined ? nowMs : d);
    };
  }
  // Timers and shared memory reach outside the transaction; WeakRef/FinalizationRegistry expose GC timing.
  for (const name of ['setTimeout', 'setInterval', 'setImmediate', 'SharedArrayBuffer', 'Atomics', 'WebAssembly', 'WeakRef', 'FinalizationRegistry']) {
    delete g[name];
  }
  // "As soon as the current work is done", with no delay to honour: a microtask, so it still runs
  // within the transaction (winston's console transport reports each entry through it).
  g.setImmediate = (callback: unknown, ...args: unknown[]): Immediate => {
    const immediate = new Immediate();
    runSoon(callback, args, () => immediate.cleared);
    return immediate;
  };
  g.clearImmediate = (immediate: unknown): void => {
    if (immediate instanceof Immediate) immediate.cleared = true;
  };
  // A microtask runs within the transaction, as any promise continuation does.
  g.queueMicrotask = (callback: unknown): void => runSoon(callback);
  g.structuredClone = structuredClone;
  // An isolate has no console of its own; this one writes to the peer's log.
  const console = chaincodeConsole();
  g.console = console;
  g.process = sandboxProcess((message) => console.warn(message));
}
