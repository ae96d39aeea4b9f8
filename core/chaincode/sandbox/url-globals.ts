/**
 * The `URL` and `URLSearchParams` globals, injected by the packager wherever bundled code names them
 * (a JSON schema validator resolving `$ref`s, joi checking a domain); Node has them, an isolate does
 * not. whatwg-url is the spec's reference implementation, and it travels in the package, so every
 * peer parses alike.
 */
// Injected modules run before the entry: whatwg-url makes a TextEncoder as it loads.
import './globals-installed';
import { URL as WhatwgURL, URLSearchParams } from 'whatwg-url';

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

export { URL, URLSearchParams };
