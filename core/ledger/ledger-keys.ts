import { LedgerError } from '../errors';
import type { LedgerOptions } from './ledger-options';

/**
 * Key and value checks shared by the simulator (at endorsement), the validator (for writes arriving
 * in blocks) and the store plugins. Every failure is a `LedgerError` naming the namespace and key.
 */

const COMPOSITE_NS = '\u0000';
const MAX_UNICODE = '\u{10FFFF}';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when the string encodes to UTF-8 without replacement characters (no lone surrogates). */
export function isWellFormed(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

/** Fabric channel names: `^[a-z][a-z0-9.-]*$`, at most 249 characters. Also keeps file names safe. */
const CHANNEL_ID = /^[a-z][a-z0-9.-]{0,248}$/;

export function validateChannelId(channelId: unknown): string {
  if (typeof channelId !== 'string' || !CHANNEL_ID.test(channelId)) {
    throw new LedgerError(
      'LEDGER_BAD_CHANNEL_ID',
      `channel id must match ^[a-z][a-z0-9.-]*$ (at most 249 characters), received ${JSON.stringify(channelId)}`,
      { channelId },
    );
  }
  return channelId;
}

export function validateNamespace(namespace: unknown): string {
  if (typeof namespace !== 'string' || namespace.length === 0 || namespace.length > 256 || !isWellFormed(namespace)) {
    throw new LedgerError('LEDGER_BAD_NAMESPACE', `namespace must be a non-empty UTF-8 string of at most 256 characters, received ${JSON.stringify(namespace)}`, {
      namespace,
    });
  }
  return namespace;
}

/**
 * A key any read may use: a well-formed UTF-8 string within `maxKeySize` bytes. Reads of an empty
 * key are allowed (they simply find nothing) because range bounds use '' for "unbounded".
 */
export function validateReadKey(namespace: string, key: unknown, limits: Pick<LedgerOptions, 'maxKeySize'>, field = 'key'): string {
  if (typeof key !== 'string') {
    throw new LedgerError('LEDGER_BAD_KEY', `${field} must be a string, received ${typeof key}`, { namespace, field });
  }
  if (!isWellFormed(key)) {
    throw new LedgerError('LEDGER_BAD_KEY', `${field} in namespace ${namespace} is not valid UTF-8 (lone surrogate)`, { namespace, field, key });
  }
  const size = Buffer.byteLength(key, 'utf8');
  if (size > limits.maxKeySize) {
    throw new LedgerError('LEDGER_KEY_TOO_LARGE', `${field} in namespace ${namespace} is ${size} bytes, the limit is ${limits.maxKeySize}`, {
      namespace,
      field,
      size,
      limit: limits.maxKeySize,
    });
  }
  return key;
}

/**
 * Where the peer keeps what no chaincode writes through the shim: Fabric's `InitializedKeyName`
 * ("\x00" + U+10FFFF + "initialized", core/chaincode/chaincode_support.go) starts so. No composite
 * key does (composite key parts may not hold U+10FFFF), so such a key hides among none.
 */
export const PEER_RESERVED_KEY_PREFIX = COMPOSITE_NS + MAX_UNICODE;

/**
 * A key a block's write may carry: non-empty, well-formed UTF-8. Nothing more: Fabric's default
 * state database (LevelDB, `ValidateKeyValue` returns nil) takes every key, so a stricter rule here
 * would mark INVALID_WRITESET what Fabric peers of the channel commit VALID (a Go chaincode may
 * `PutState("\x00x")`), and the channel's states would fork.
 */
export function validateBlockWriteKey(namespace: string, key: unknown): string {
  validateReadKey(namespace, key, { maxKeySize: Number.MAX_SAFE_INTEGER });
  const k = key as string;
  if (k.length === 0) {
    throw new LedgerError('LEDGER_BAD_KEY', `key must not be an empty string (namespace ${namespace})`, { namespace, key: k });
  }
  return k;
}

/**
 * A key a transaction may write at endorsement: a block's ({@link validateBlockWriteKey}) within
 * `maxKeySize`, and when it starts with U+0000 a well-formed composite key (U+0000 type U+0000
 * (attribute U+0000)*), since only `createCompositeKey` may produce such keys: a plain key starting
 * with U+0000 would hide among composite keys. Keys under {@link PEER_RESERVED_KEY_PREFIX} pass.
 */
export function validateWriteKey(namespace: string, key: unknown, limits: Pick<LedgerOptions, 'maxKeySize'>): string {
  validateReadKey(namespace, key, limits);
  const k = validateBlockWriteKey(namespace, key);
  if (k.startsWith(COMPOSITE_NS) && !isCompositeKey(k) && !k.startsWith(PEER_RESERVED_KEY_PREFIX)) {
    throw new LedgerError(
      'LEDGER_BAD_KEY',
      `key ${JSON.stringify(k)} in namespace ${namespace} starts with a null character but is not a composite key; plain keys may not start with U+0000`,
      { namespace, key: k },
    );
  }
  return k;
}

export function validateValue(namespace: string, key: string, value: unknown, limits: Pick<LedgerOptions, 'maxValueSize'>): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new LedgerError('LEDGER_BAD_VALUE', `value for key ${JSON.stringify(key)} in namespace ${namespace} must be bytes (Uint8Array), received ${typeof value}`, {
      namespace,
      key,
    });
  }
  if (value.length > limits.maxValueSize) {
    throw new LedgerError(
      'LEDGER_VALUE_TOO_LARGE',
      `value for key ${JSON.stringify(key)} in namespace ${namespace} is ${value.length} bytes, the limit is ${limits.maxValueSize}`,
      { namespace, key, size: value.length, limit: limits.maxValueSize },
    );
  }
  return value;
}

/**
 * What Fabric's shim enforces on `getStateByRange` bounds: a plain range may not start inside the
 * composite key space. Exported for the chaincode stub; the ledger's own range reads accept composite
 * bounds because partial composite key queries are ranges too.
 */
export function validateSimpleRangeKey(key: string): void {
  if (key.startsWith(COMPOSITE_NS)) {
    throw new LedgerError('LEDGER_BAD_KEY', `first character of the key [${JSON.stringify(key)}] contains a null character which is not allowed`, { key });
  }
}

export function isCompositeKey(key: string): boolean {
  if (key.length < 3 || key[0] !== COMPOSITE_NS || key[key.length - 1] !== COMPOSITE_NS) return false;
  return key.indexOf(COMPOSITE_NS, 1) > 1;
}

function checkCompositePart(part: unknown, what: string): string {
  if (typeof part !== 'string' || part.length === 0) {
    throw new LedgerError('LEDGER_BAD_COMPOSITE_KEY', `${what} not a non-zero length string`, { what });
  }
  if (part.includes(COMPOSITE_NS) || part.includes(MAX_UNICODE) || !isWellFormed(part)) {
    throw new LedgerError('LEDGER_BAD_COMPOSITE_KEY', `${what} ${JSON.stringify(part)} contains U+0000, U+10FFFF or invalid UTF-8`, { what, part });
  }
  return part;
}

/** Fabric's composite key: U+0000 objectType U+0000 (attribute U+0000)*. */
export function createCompositeKey(objectType: string, attributes: readonly string[]): string {
  checkCompositePart(objectType, 'object type');
  if (!Array.isArray(attributes)) throw new LedgerError('LEDGER_BAD_COMPOSITE_KEY', 'attributes must be an array', {});
  let key = COMPOSITE_NS + objectType + COMPOSITE_NS;
  for (const a of attributes) key += checkCompositePart(a, 'attribute') + COMPOSITE_NS;
  return key;
}

/** The inverse of {@link createCompositeKey}; a plain key gives `{ objectType: undefined, attributes: [] }`. */
export function splitCompositeKey(key: string): { objectType: string | undefined; attributes: string[] } {
  if (!isCompositeKey(key)) return { objectType: undefined, attributes: [] };
  const parts = key.slice(1, -1).split(COMPOSITE_NS);
  return { objectType: parts[0], attributes: parts.slice(1) };
}

/** The key range [start, end) holding every composite key with this type and attribute prefix. */
export function partialCompositeKeyRange(objectType: string, attributes: readonly string[]): { startKey: string; endKey: string } {
  const startKey = createCompositeKey(objectType, attributes);
  return { startKey, endKey: startKey + MAX_UNICODE };
}

/**
 * Compares two strings in UTF-8 byte order (= code point order), the order of Fabric's LevelDB and
 * of SQLite's BINARY collation. Plain `<` on JS strings compares UTF-16 code units, which puts
 * astral characters before U+E000..U+FFFF.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let ca = a.charCodeAt(i);
    let cb = b.charCodeAt(i);
    if (ca === cb) continue;
    if (ca >= 0xd800) ca = ca <= 0xdfff ? ca + 0x2000 : ca - 0x800;
    if (cb >= 0xd800) cb = cb <= 0xdfff ? cb + 0x2000 : cb - 0x800;
    return ca - cb;
  }
  return a.length - b.length;
}

/** The key right after `key` in byte order: ranges resume there. */
export function nextKey(key: string): string {
  return key + '\u0000';
}
