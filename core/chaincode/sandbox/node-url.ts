/**
 * What `require('url')` gives chaincode: the WHATWG `URL` and `URLSearchParams` globals and Node's
 * domain helpers. The legacy `url.parse` / `format` / `resolve` API, deprecated in Node, throws
 * naming `new URL()`.
 */
import { toUnicode } from 'tr46';
import { basicURLParse, serializeHost } from 'whatwg-url';

// The globals, which the packager injects (url-globals.ts): `require('url').URL === URL`, as in Node.
const URLClass = URL;
const URLSearchParamsClass = URLSearchParams;
export { URLClass as URL, URLSearchParamsClass as URLSearchParams };

type UrlRecord = NonNullable<ReturnType<typeof basicURLParse>>;

/** The host `domain` serializes to, as a URL's hostname, or '' when it is not a valid one: Node's `url.domainToASCII`. */
export function domainToASCII(domain: string): string {
  const parsed = basicURLParse(`ws://${String(domain)}`);
  const path = parsed === null ? '' : typeof parsed.path === 'string' ? parsed.path : parsed.path.join('/');
  // Anything after the host (a port, a path, credentials) makes it no domain at all.
  if (parsed === null || parsed.host === null || parsed.username !== '' || parsed.password !== '' || parsed.port !== null || path !== '') return '';
  return serializeHost(parsed.host as UrlRecord['host'] & object);
}

/** `domain` with its punycode labels decoded, or '' when it is not a valid host: Node's `url.domainToUnicode`. */
export function domainToUnicode(domain: string): string {
  const ascii = domainToASCII(domain);
  if (ascii === '') return '';
  // The options whatwg-url checks hosts with, so a host it accepts decodes without error.
  const { domain: unicode, error } = toUnicode(ascii, { checkBidi: true, checkJoiners: true });
  return error ? '' : unicode;
}

function legacy(name: string): () => never {
  return () => {
    throw new Error(`url.${name}() is not available in chaincode: use new URL() (Node deprecates the legacy url API)`);
  };
}

export const parse = legacy('parse');
export const format = (value: unknown): string => {
  if (value instanceof URLClass) return value.href;
  return legacy('format')();
};
export const resolve = legacy('resolve');

export default { URL: URLClass, URLSearchParams: URLSearchParamsClass, domainToASCII, domainToUnicode, parse, format, resolve };
