/** fabric-shim's argument checks (`lib/stub.js`), in its order and words, shared by the stub's methods. */
import { Buffer } from 'buffer';

/** fabric-shim's `COMPOSITEKEY_NS`: a key starting with it is a composite key, which only createCompositeKey makes. */
export const COMPOSITEKEY_NS = '\x00';

export function validateCompositeKeyAttribute(attr: unknown): void {
  if (!attr || typeof attr !== 'string') throw new Error('object type or attribute not a non-zero length string');
}

/** fabric-shim's checks on a private data call's collection and key, in its order and words. */
export function validateCollection(collection: unknown): void {
  if (!collection || typeof collection !== 'string') throw new Error('collection must be a valid string');
}
export function validateCollectionAndKey(collection: unknown, key: unknown): void {
  validateCollection(collection);
  if (!key || typeof key !== 'string') throw new Error('key must be a valid string');
}

export function validateSimpleKeys(...keys: string[]): void {
  for (const key of keys) {
    if (key && typeof key === 'string' && key.charAt(0) === COMPOSITEKEY_NS) {
      throw new Error(`first character of the key [${key}] contains a null character which is not allowed`);
    }
  }
}

export function toBytes(value: unknown, what: string): Uint8Array {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value instanceof Uint8Array) return value;
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw new Error(`${what} must be a Buffer or a string, got ${value === null ? 'null' : typeof value}`);
}
