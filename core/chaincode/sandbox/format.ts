/**
 * `util.format` / `util.inspect` as chaincode uses them. Its own module, free of globals, because the
 * sandbox's `console` needs it before `installGlobals` has put TextEncoder and TextDecoder in place.
 */
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
