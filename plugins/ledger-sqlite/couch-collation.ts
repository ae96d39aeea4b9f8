import type { JsonValue } from '../../core/ledger/rich-query';
import { icuSortKey } from './icu-root-collator';

export interface CouchCollation {
  /** The key of a JSON value. */
  couchCollationKey(v: JsonValue): Buffer;
  /**
   * SQL function `weft_couch_key(json_type, json_extract)` of a field: its key, NULL when the field
   * is absent (no type). Takes the type because `json_extract` gives SQL values (true is 1, an array
   * is JSON text) that only the type tells apart.
   */
  couchCollationKeyOfJson(type: unknown, value: unknown): Buffer | null;
}

/**
 * Byte strings that sort, by plain byte comparison, as CouchDB collates JSON values
 * (couch_ejson_compare.erl): null < false < true < numbers < strings < arrays < objects; numbers
 * numerically; strings by ICU's root collator (lowercase before uppercase, punctuation before
 * digits before letters, accents after base letters: "a" < "A" < "á" < "b"); arrays element by
 * element, a shorter prefix first; objects property by property in document order, key then value.
 * Two values CouchDB calls equal (`1` and `1.0`, strings ICU calls equal) have equal keys.
 *
 * Rich queries compare, sort and index fields through this key (`weft_couch_key`), so SQLite's
 * byte comparison of BLOBs does CouchDB's collation.
 *
 * `icuKey` is ICU's root collator. The function refers to nothing outside its body but globals
 * (`Buffer`, `JSON`, `BigInt`...): a worker thread that builds an index evaluates its source
 * (index-builder.ts). Integers reach `weft_couch_key` as BigInts (`safeIntegers`), exact to 2^63.
 */
export function couchCollation(icuKey: (text: string) => Buffer): CouchCollation {
  const NULL = 0x01;
  const FALSE = 0x02;
  const TRUE = 0x03;
  const NUMBER = 0x04;
  const STRING = 0x05;
  const ARRAY = 0x06;
  const OBJECT = 0x07;
  /** Ends an array or object: below every type tag and the property marker. */
  const END = 0x00;
  const PROPERTY = 0x01;

  function pushString(out: number[], s: string): void {
    // An ICU sort key has no 0 byte, so a 0 ends it: a string whose key is a prefix of another's
    // sorts first, whatever follows either.
    for (const b of icuKey(s)) out.push(b);
    out.push(0);
  }

  /** A double as 8 bytes that compare as the numbers do: sign bit flipped, all bits if negative. */
  function writeDouble(out: Buffer, offset: number, n: number): void {
    out.writeDoubleBE(n === 0 ? 0 : n, offset); // -0 equals 0 in CouchDB
    if (out[offset] & 0x80) for (let i = offset; i < offset + 8; i++) out[i] = ~out[i] & 0xff;
    else out[offset] |= 0x80;
  }

  /** Keeps an integer beyond 2^53 exact: the difference from its nearest double, within ±2^63. */
  const DELTA_LIMIT = 1n << 63n;

  /**
   * A number, exactly, as CouchDB compares them (an integer beyond 2^53 against a double too): its
   * nearest double's 8 bytes (rounding is monotonic), then the difference from it, 0x80 for none,
   * else 0x81 or 0x7f and 8 bytes; returns where it ended.
   */
  function writeNumber(out: Buffer, offset: number, n: number | bigint): number {
    const nearest = Number(n);
    if (Number.isSafeInteger(nearest)) n = nearest; // then exact: most integers, and cheaper than BigInt comparisons
    writeDouble(out, offset, nearest);
    const delta = typeof n === 'bigint' && Number.isFinite(nearest) ? n - BigInt(nearest) : 0n;
    if (delta === 0n || delta >= DELTA_LIMIT || delta < -DELTA_LIMIT) {
      out[offset + 8] = 0x80;
      return offset + 9;
    }
    out[offset + 8] = delta > 0n ? 0x81 : 0x7f;
    out.writeBigUInt64BE(delta > 0n ? delta : delta + DELTA_LIMIT, offset + 9);
    return offset + 17;
  }

  function pushNumber(out: number[], n: number | bigint): void {
    const bytes = Buffer.allocUnsafe(17);
    out.push(...bytes.subarray(0, writeNumber(bytes, 0, n)));
  }

  /** Sixteen digits in a row: only then can the text hold an integer beyond 2^53. */
  const LONG_DIGITS = /[0-9]{16}/;

  /** JSON text with its integers beyond 2^53 (up to 30 digits, past any int64) as exact BigInts. */
  function parseJson(text: string): unknown {
    // A reviver doubles the cost of a parse: rich queries parse every array or object field they compare.
    if (!LONG_DIGITS.test(text)) return JSON.parse(text);
    const withSource = JSON as unknown as { parse(text: string, reviver: (key: string, value: unknown, context?: { source?: string }) => unknown): unknown };
    return withSource.parse(text, (_key, value, context) =>
      typeof value === 'number' && !Number.isSafeInteger(value) && /^-?[0-9]{1,30}$/.test(context?.source ?? '') ? BigInt(context?.source ?? '') : value,
    );
  }

  function push(out: number[], v: JsonValue): void {
    if (v === null) out.push(NULL);
    else if (v === false) out.push(FALSE);
    else if (v === true) out.push(TRUE);
    else if (typeof v === 'number' || typeof v === 'bigint') {
      out.push(NUMBER);
      pushNumber(out, v);
    } else if (typeof v === 'string') {
      out.push(STRING);
      pushString(out, v);
    } else if (Array.isArray(v)) {
      out.push(ARRAY);
      for (const e of v as readonly JsonValue[]) push(out, e);
      out.push(END);
    } else {
      out.push(OBJECT);
      for (const [k, e] of Object.entries(v)) {
        out.push(PROPERTY);
        pushString(out, k);
        push(out, e);
      }
      out.push(END);
    }
  }

  function couchCollationKey(v: JsonValue): Buffer {
    const out: number[] = [];
    push(out, v);
    return Buffer.from(out);
  }

  const KEY_OF_NULL = Buffer.from([NULL]);
  const KEY_OF_FALSE = Buffer.from([FALSE]);
  const KEY_OF_TRUE = Buffer.from([TRUE]);

  /** `couchCollationKey` of a number or a string without the general walk: a rich query computes one per row. */
  function numberKey(n: number | bigint): Buffer {
    const out = Buffer.allocUnsafe(18);
    out[0] = NUMBER;
    return out.subarray(0, writeNumber(out, 1, n));
  }

  function stringKey(s: string): Buffer {
    const sortKey = icuKey(s);
    const out = Buffer.allocUnsafe(sortKey.length + 2);
    out[0] = STRING;
    sortKey.copy(out, 1);
    out[sortKey.length + 1] = 0;
    return out;
  }

  function couchCollationKeyOfJson(type: unknown, value: unknown): Buffer | null {
    switch (type) {
      case 'null':
        return KEY_OF_NULL;
      case 'false':
        return KEY_OF_FALSE;
      case 'true':
        return KEY_OF_TRUE;
      case 'integer':
      case 'real':
        return typeof value === 'number' || typeof value === 'bigint' ? numberKey(value) : null;
      case 'text':
        return typeof value === 'string' ? stringKey(value) : null;
      case 'array':
      case 'object':
        return typeof value === 'string' ? couchCollationKey(parseJson(value) as JsonValue) : null;
      default:
        return null;
    }
  }

  return { couchCollationKey, couchCollationKeyOfJson };
}

const collation = couchCollation((text) => icuSortKey(text));
export const couchCollationKey = collation.couchCollationKey;
export const couchCollationKeyOfJson = collation.couchCollationKeyOfJson;
