/** The slice of Node's `util` chaincode uses. */
type Ctor = new (...args: unknown[]) => unknown;
const g = globalThis as unknown as { TextEncoder: Ctor; TextDecoder: Ctor };

export const TextEncoder: Ctor = g.TextEncoder;
export const TextDecoder: Ctor = g.TextDecoder;

export function inspect(value: unknown): string {
  try {
    return typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export function format(fmt: unknown, ...args: unknown[]): string {
  if (typeof fmt !== 'string') return [fmt, ...args].map(inspect).join(' ');
  let i = 0;
  const out = fmt.replace(/%[sdifjoO%]/g, (m) => (m === '%%' ? '%' : i < args.length ? inspect(args[i++]) : m));
  return [out, ...args.slice(i).map(inspect)].join(' ');
}

export function isDeepStrictEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export default { TextEncoder, TextDecoder, inspect, format, isDeepStrictEqual };
