/**
 * fabric-shim's check of a transaction argument: AJV 6 with fabric-shim's options (every error, no
 * coercion, schema defaults filled into the value), against `{ prop: <parameter schema> }` beside
 * the contract's object schemas, so callers see AJV's own messages in `Unable to validate parameter
 * due to [...]` and a metadata file may use any keyword AJV knows.
 */
import type { Schema } from './annotations';

interface ValidateFunction {
  (data: unknown): boolean;
  errors?: { message?: string }[] | null;
}
interface AjvInstance {
  compile(schema: object): ValidateFunction;
}

let ajv: AjvInstance | undefined;

interface Compiled {
  readonly validate: ValidateFunction;
  /** How many object schemas were typed `object` when it was compiled: the serializer types them as it meets them. */
  readonly typed: number;
}
const compiled = new WeakMap<Schema, Compiled>();

const typedCount = (schemas: Record<string, Schema>): number => Object.values(schemas).filter((s) => s.type === 'object').length;

/**
 * AJV's messages for `value` against a parameter's `schema`. fabric-shim compiles the schema on every
 * call; a compiled check is kept here instead, and compiled again once the object schemas it saw change.
 */
export function validate(value: unknown, schema: Schema, schemas: Record<string, Schema>): string[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  ajv ??= new (require('ajv') as new (options: object) => AjvInstance)({ useDefaults: true, coerceTypes: false, allErrors: true });
  const typed = typedCount(schemas);
  let entry = compiled.get(schema);
  if (entry === undefined || entry.typed !== typed) {
    entry = { validate: ajv.compile({ properties: { prop: schema }, components: { schemas } }), typed };
    compiled.set(schema, entry);
  }
  return entry.validate({ prop: value }) ? [] : (entry.validate.errors ?? []).map((e) => e.message ?? '');
}
