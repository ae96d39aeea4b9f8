/**
 * The subset of AJV v6 (`allErrors`, no coercion) that contract argument checking needs, with AJV's
 * message texts (`should be number`, `should have required property 'x'`), since chaincode callers
 * see them in `Unable to validate parameter due to [...]`.
 */
import type { Schema } from './annotations';

function typeOk(value: unknown, type: string): boolean {
  switch (type) {
    case 'string': return typeof value === 'string';
    // AJV 6 without strictNumbers: NaN and Infinity are numbers; Infinity is even an integer.
    case 'number': return typeof value === 'number';
    case 'integer': return typeof value === 'number' && !(value % 1) && value === value;
    case 'boolean': return typeof value === 'boolean';
    case 'array': return Array.isArray(value);
    case 'object': return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'null': return value === null;
    default: return true;
  }
}

export function validate(value: unknown, schema: Schema, components: Record<string, Schema>, errors: string[] = [], depth = 0): string[] {
  if (depth > 32) return errors;
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.replace('#/components/schemas/', '');
    const target = components[name];
    if (target === undefined) {
      errors.push(`can't resolve reference ${schema.$ref}`);
      return errors;
    }
    return validate(value, target, components, errors, depth + 1);
  }
  if (Array.isArray(schema.allOf)) for (const s of schema.allOf as Schema[]) validate(value, s, components, errors, depth + 1);
  if (typeof schema.type === 'string' && !typeOk(value, schema.type)) {
    errors.push(`should be ${schema.type}`);
    return errors;
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    errors.push('should be equal to one of the allowed values');
  }
  if (Array.isArray(value) && schema.items && typeof schema.items === 'object') {
    for (const item of value) validate(item, schema.items as Schema, components, errors, depth + 1);
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    if (Array.isArray(schema.required)) {
      for (const r of schema.required as string[]) if (!(r in obj)) errors.push(`should have required property '${r}'`);
    }
    for (const [k, v] of Object.entries(obj)) {
      if (props[k] !== undefined) validate(v, props[k], components, errors, depth + 1);
      else if (schema.additionalProperties === false) errors.push('should NOT have additional properties');
      else if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
        validate(v, schema.additionalProperties as Schema, components, errors, depth + 1);
      }
    }
  }
  return errors;
}
