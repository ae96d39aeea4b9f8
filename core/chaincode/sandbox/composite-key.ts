/**
 * fabric-shim 2.5's composite keys (`lib/stub.js` `createCompositeKey`, `splitCompositeKey`), and the
 * key range a partial one spans, which the stub's partial-key queries read.
 */
import { COMPOSITEKEY_NS, validateCompositeKeyAttribute } from './stub-args';

const MIN_UNICODE_RUNE_VALUE = '\u0000';
const MAX_UNICODE_RUNE_VALUE = '\u{10ffff}';

export function createCompositeKey(objectType: string, attributes: string[]): string {
  validateCompositeKeyAttribute(objectType);
  if (!Array.isArray(attributes)) throw new Error('attributes must be an array');
  let compositeKey = COMPOSITEKEY_NS + objectType + MIN_UNICODE_RUNE_VALUE;
  for (const attribute of attributes) {
    validateCompositeKeyAttribute(attribute);
    compositeKey = compositeKey + attribute + MIN_UNICODE_RUNE_VALUE;
  }
  return compositeKey;
}

export function splitCompositeKey(compositeKey: string): { objectType: string | null; attributes: string[] } {
  const result: { objectType: string | null; attributes: string[] } = { objectType: null, attributes: [] };
  if (compositeKey && compositeKey.length > 1 && compositeKey.charAt(0) === COMPOSITEKEY_NS) {
    const splitKey = compositeKey.substring(1).split(MIN_UNICODE_RUNE_VALUE);
    result.objectType = splitKey[0];
    splitKey.pop();
    if (splitKey.length > 1) {
      splitKey.shift();
      result.attributes = splitKey;
    }
  }
  return result;
}

/** The start and end keys of every composite key that begins with this partial one; throws its argument errors. */
export function partialKeyRange(objectType: string, attributes: string[]): [start: string, end: string] {
  const partial = createCompositeKey(objectType, attributes);
  return [partial, partial + MAX_UNICODE_RUNE_VALUE];
}
