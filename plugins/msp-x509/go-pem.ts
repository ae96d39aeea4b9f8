/**
 * Go's `encoding/pem.Decode`, byte for byte in what it accepts. Fabric's MSP reads every identity
 * and config certificate with it (`pem.Decode` then `x509.ParseCertificate`), so a Weft peer must
 * accept and refuse exactly the same PEM text or a creator's transactions are valid on one and
 * invalid on the other. Follows the current Go algorithm (find the first END line, then the last
 * BEGIN line before it), which since Go 1.24.8/1.25.2 replaces the quadratic BEGIN-first scan;
 * the two accept the same blocks.
 */

/** One decoded PEM block and what follows it, as Go's `*pem.Block` and `rest`. */
export interface GoPemBlock {
  readonly type: string;
  readonly headers: ReadonlyMap<string, string>;
  readonly bytes: Uint8Array;
  /** The input after the block's END line (and its line break). */
  readonly rest: Uint8Array;
}

const PEM_START = '\n-----BEGIN ';
const PEM_END = '\n-----END ';
const PEM_END_OF_LINE = '-----';

interface Line {
  readonly line: string;
  readonly rest: string;
  readonly consumed: number;
}

/** Go's `getLine`: the first `\n` or `\r\n` terminated line without trailing spaces and tabs. */
function getLine(data: string): Line {
  let i = data.indexOf('\n');
  let j: number;
  if (i < 0) {
    i = data.length;
    j = i;
  } else {
    j = i + 1;
    if (i > 0 && data.charCodeAt(i - 1) === 0x0d) i--;
  }
  let end = i;
  while (end > 0 && (data.charCodeAt(end - 1) === 0x20 || data.charCodeAt(end - 1) === 0x09)) end--;
  return { line: data.slice(0, end), rest: data.slice(j), consumed: j };
}

/** Go's `bytes.TrimSpace` over ASCII; header names and values are not used, only whether a block has headers. */
function trimSpace(s: string): string {
  return s.replace(/^[\t\n\v\f\r ]+|[\t\n\v\f\r ]+$/g, '');
}

const BASE64 = /^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Go's `base64.StdEncoding.Decode` (padded, not strict): CR and LF are skipped anywhere, every
 * other character must be of the alphabet, the input must come in whole 4-character quanta, and
 * padding only ends it. Unused trailing bits are ignored. Undefined where Go returns an error.
 */
export function goBase64Decode(text: string): Uint8Array | undefined {
  const compact = text.replace(/[\r\n]/g, '');
  if (compact.length % 4 !== 0 || !BASE64.test(compact)) return undefined;
  return new Uint8Array(Buffer.from(compact, 'base64'));
}

/**
 * Go's `pem.Decode`: the first well-formed block of any type anywhere in `data` (text before it is
 * skipped, a block that does not parse is passed over), its `Key: Value` headers, and the rest of
 * the input after it. Undefined when no block parses.
 */
export function goPemDecode(data: Uint8Array): GoPemBlock | undefined {
  const all = Buffer.from(data.buffer, data.byteOffset, data.length).toString('latin1');
  let rest = all;
  let endTrailerIndex = 0;
  for (;;) {
    // Header lines may run past the END line (a type with a colon makes it look like one); Go then
    // slices at a negative index and panics. Refusing the input is the only sane equivalent.
    if (endTrailerIndex < 0) return undefined;
    rest = rest.slice(endTrailerIndex);
    let endIndex = rest.indexOf(PEM_END);
    if (endIndex < 0) return undefined;
    endTrailerIndex = endIndex + PEM_END.length;
    // Go's bytes.LastIndex(rest[:endIndex], "-----BEGIN "): the match must end before the END line.
    const lastStart = endIndex - (PEM_START.length - 1);
    const beginIndex = lastStart < 0 ? -1 : rest.lastIndexOf(PEM_START.slice(1), lastStart);
    if (beginIndex < 0 || (beginIndex > 0 && rest.charCodeAt(beginIndex - 1) !== 0x0a)) continue;
    const skip = beginIndex + PEM_START.length - 1;
    rest = rest.slice(skip);
    endIndex -= skip;
    endTrailerIndex -= skip;

    const typeLine = getLine(rest);
    rest = typeLine.rest;
    if (!typeLine.line.endsWith(PEM_END_OF_LINE)) continue;
    endIndex -= typeLine.consumed;
    endTrailerIndex -= typeLine.consumed;
    const type = typeLine.line.slice(0, typeLine.line.length - PEM_END_OF_LINE.length);

    const headers = new Map<string, string>();
    for (;;) {
      if (rest.length === 0) return undefined;
      const { line, rest: next, consumed } = getLine(rest);
      const colon = line.indexOf(':');
      if (colon < 0) break;
      headers.set(trimSpace(line.slice(0, colon)), trimSpace(line.slice(colon + 1)));
      rest = next;
      endIndex -= consumed;
      endTrailerIndex -= consumed;
    }
    if (headers.size > 0 && endIndex < 0) continue;

    const endTrailerLen = type.length + PEM_END_OF_LINE.length;
    const endTrailer = rest.slice(endTrailerIndex);
    if (endTrailer.length < endTrailerLen) continue;
    const trailer = endTrailer.slice(0, endTrailerLen);
    if (!trailer.startsWith(type) || !trailer.endsWith(PEM_END_OF_LINE)) continue;
    if (getLine(endTrailer.slice(endTrailerLen)).line.length !== 0) continue;

    let bytes: Uint8Array | undefined = new Uint8Array(0);
    if (endIndex > 0) {
      bytes = goBase64Decode(rest.slice(0, endIndex).replace(/[ \t]/g, ''));
      if (bytes === undefined) continue;
    }
    const after = getLine(rest.slice(endIndex + PEM_END.length - 1)).rest;
    return { type, headers, bytes, rest: new Uint8Array(Buffer.from(after, 'latin1')) };
  }
}
