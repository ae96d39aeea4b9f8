/** CouchDB `fields` projection of a rich query's results. */
import { JSON_WITH_SOURCE } from './mango-selector';
import { arrayIndex, DOC_ID_FIELD, isElementIndex, type FieldPath } from './rich-query';

/** Numbers keep the text they were written with, so an integer beyond 2^53 comes back exact, as from CouchDB. */
function keepNumberText(_key: string, value: unknown, context?: { readonly source?: string }): unknown {
  return typeof value === 'number' && context?.source !== undefined ? JSON_WITH_SOURCE.rawJSON(context.source) : value;
}

/** CouchDB's mango_doc:get_field: properties of objects, integer segments into arrays (`tags.0`). */
function pickField(value: unknown, path: FieldPath): { found: boolean; value?: unknown } {
  let cur = value;
  for (const seg of path) {
    if (Array.isArray(cur)) {
      const i = arrayIndex(seg);
      if (!isElementIndex(i) || i >= cur.length) return { found: false };
      cur = cur[i] as unknown;
    } else if (typeof cur === 'object' && cur !== null && !JSON_WITH_SOURCE.isRawJSON(cur) && Object.hasOwn(cur, seg)) {
      cur = (cur as Record<string, unknown>)[seg];
    } else return { found: false };
  }
  return { found: true, value: cur };
}

/** Sets an own property, even one named `__proto__`. */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The value as a CouchDB document's fields: a JSON object, or for any other value none. */
function documentFields(value: Uint8Array): unknown {
  try {
    const doc = JSON_WITH_SOURCE.parse(Buffer.from(value).toString('utf8'), keepNumberText);
    return typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? doc : {};
  } catch {
    return {};
  }
}

/**
 * CouchDB `fields`: a value holding only the named (possibly nested) fields. A value that is not a
 * JSON object has none, so it projects to `{}`, and `_id` is left out, as Fabric does.
 */
export function projectFields(value: Uint8Array, fields: readonly FieldPath[] | undefined): Uint8Array {
  if (fields === undefined || fields.length === 0) return value;
  const doc = documentFields(value);
  const out: Record<string, unknown> = {};
  for (const path of fields) {
    if (path[0] === DOC_ID_FIELD) continue;
    const got = pickField(doc, path);
    if (!got.found) continue;
    // As CouchDB's set_field on the projection: missing levels become objects ({"tags": {"0": "x"}}).
    let target = out;
    for (const seg of path.slice(0, -1)) {
      if (!Object.hasOwn(target, seg) || typeof target[seg] !== 'object' || target[seg] === null) define(target, seg, {});
      target = target[seg] as Record<string, unknown>;
    }
    define(target, path[path.length - 1], got.value);
  }
  return Buffer.from(JSON.stringify(out), 'utf8');
}
