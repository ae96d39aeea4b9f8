/**
 * The `URL` and `URLSearchParams` globals, injected by the packager wherever bundled code names them
 * (a JSON schema validator resolving `$ref`s, joi checking a domain); Node has them, an isolate does
 * not. whatwg-url is the spec's reference implementation, and it travels in the package, so every
 * peer parses alike.
 */
// Injected modules run before the entry: whatwg-url makes a TextEncoder as it loads.
import './globals-installed';
import { URL as WhatwgURL, URLSearchParams as WhatwgURLSearchParams } from 'whatwg-url';

/** Node's error for an unparsable URL: a TypeError with code ERR_INVALID_URL and the input. */
function invalidUrl(input: unknown, base: unknown, hasBase: boolean): TypeError {
  const err = new TypeError('Invalid URL') as TypeError & { code: string; input: string; base?: string };
  err.code = 'ERR_INVALID_URL';
  err.input = String(input);
  if (hasBase) err.base = String(base);
  return err;
}

class URL extends WhatwgURL {
  constructor(input: string, base?: string) {
    const hasBase = arguments.length > 1 && base !== undefined;
    try {
      if (hasBase) super(input, base);
      else super(input);
    } catch (err) {
      if (err instanceof TypeError && /^Invalid (base )?URL/.test(err.message)) throw invalidUrl(input, base, hasBase);
      throw err;
    }
  }

  override get href(): string {
    return super.href;
  }

  override set href(value: string) {
    try {
      super.href = value;
    } catch (err) {
      if (err instanceof TypeError && /^Invalid URL/.test(err.message)) throw invalidUrl(value, undefined, false);
      throw err;
    }
  }
}

const INSPECT = Symbol.for('nodejs.util.inspect.custom');
type Inspect = (value: unknown) => string;
// Named so that `inspect` prints "URL { href: ... }", as Node does.
const Shown = { URL: class {} };

/** `URL` printing its parts when logged, as Node's does. */
function inspectableUrl(): typeof URL {
  Object.defineProperty(URL.prototype, INSPECT, {
    value(this: URL): object {
      const keys = ['href', 'origin', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'searchParams', 'hash'] as const;
      return Object.assign(Object.create(Shown.URL.prototype) as object, Object.fromEntries(keys.map((k) => [k, this[k]])));
    },
  });
  return URL;
}

/** `URLSearchParams` printing its entries when logged, as Node's does. */
function inspectableParams(): typeof WhatwgURLSearchParams {
  Object.defineProperty(WhatwgURLSearchParams.prototype, INSPECT, {
    value(this: WhatwgURLSearchParams, _depth: number, _options: object, inspect: Inspect): string {
      const entries = [...this].map(([k, v]) => `${inspect(k)} => ${inspect(v)}`);
      return entries.length === 0 ? 'URLSearchParams {}' : `URLSearchParams { ${entries.join(', ')} }`;
    },
  });
  return WhatwgURLSearchParams;
}

// Pure calls: where the bundle never names URL, esbuild drops this module, whatwg-url with it.
const NodeURL = /* @__PURE__ */ inspectableUrl();
const NodeURLSearchParams = /* @__PURE__ */ inspectableParams();

export { NodeURL as URL, NodeURLSearchParams as URLSearchParams };
