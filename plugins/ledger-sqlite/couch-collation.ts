import type { JsonValue } from '../../core/ledger/rich-query';

/**
 * Byte strings that sort, by plain byte comparison, as CouchDB collates JSON values
 * (couch_ejson_compare.erl): null < false < true < numbers < strings < arrays < objects; arrays
 * element by element, a shorter prefix first; objects property by property in document order, key
 * then value. Strings compare in UTF-8 byte order, not ICU's collation (a documented difference).
 *
 * SQLite compares numbers and strings natively; this key is for arrays and objects, whose
 * `json_extract` text would otherwise compare as text (`[10]` before `[9]`), and for their
 * equality (`[1]` equals `[1.0]`, as in CouchDB).
 */
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
  // 0x00 is escaped as 0x00 0xFF and the string ends with 0x00 0x00, so a string sorts before any
  // longer string it is a prefix of, whatever follows it.
  for (const b of Buffer.from(s, 'utf8')) {
    out.push(b);
    if (b === 0) out.push(0xff);
  }
  out.push(0, 0);
}

function pushNumber(out: number[], n: number): void {
  const bytes = Buffer.alloc(8);
  bytes.writeDoubleBE(n === 0 ? 0 : n); // -0 equals 0 in CouchDB
  if (bytes[0] & 0x80) for (let i = 0; i < 8; i++) bytes[i] = ~bytes[i] & 0xff;
  else bytes[0] |= 0x80;
  out.push(...bytes);
}

function push(out: number[], v: JsonValue): void {
  if (v === null) out.push(NULL);
  else if (v === false) out.push(FALSE);
  else if (v === true) out.push(TRUE);
  else if (typeof v === 'number') {
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

export function couchCollationKey(v: JsonValue): Buffer {
  const out: number[] = [];
  push(out, v);
  return Buffer.from(out);
}

/**
 * SQL function `weft_couch_key(json_type, json_extract)`: the key of an array or object, NULL for
 * any other type. Takes the type because SQLite may evaluate both sides of an AND.
 */
export function couchCollationKeyOfJson(type: unknown, text: unknown): Buffer | null {
  if ((type !== 'array' && type !== 'object') || typeof text !== 'string') return null;
  return couchCollationKey(JSON.parse(text) as JsonValue);
}
