/**
 * fabric-contract-api's `JSONSerializer`: how transaction arguments are decoded and results encoded.
 * Strings, numbers and booleans go out raw (not JSON-quoted); objects as `JSON.stringify`.
 */
import { Buffer } from 'buffer';
import type { Schema } from './annotations';

type Cnstr = new () => object;

export class JSONSerializer {
  toBuffer(result: unknown, schema: Schema = {}, _loggerPrefix?: string): Buffer | undefined {
    if (schema.type === 'string' || schema.type === 'number') {
      if (schema.type !== typeof result) {
        throw new Error(`Returned value is ${typeof result} does not match schema type of ${String(schema.type)}`);
      }
      return Buffer.from(String(result));
    }
    if (result === undefined || result === null) return undefined;
    if (typeof result === 'string' || typeof result === 'number' || typeof result === 'boolean') return Buffer.from(String(result));
    return Buffer.from(JSON.stringify(result));
  }

  fromBuffer(data: Buffer, schema: Schema = {}, _loggerPrefix?: string): { value: unknown; validateData?: unknown } {
    if (!data) throw new Error('Buffer needs to be supplied');
    const text = data.toString('utf8');
    if (schema.type === 'string') return { value: text };
    if (schema.type === 'number') {
      const value = Number(text);
      if (isNaN(value)) throw new Error('fromBuffer could not convert data to number');
      return { value };
    }
    if (schema.type === 'boolean') {
      const t = text.trim().toLowerCase();
      if (t === 'true') return { value: true };
      if (t === 'false') return { value: false };
      throw new Error('fromBuffer could not convert data to boolean');
    }
    if (schema.type === 'array' || typeof schema.$ref === 'string') {
      const parsed = JSON.parse(text) as unknown;
      return { value: this.inflate(parsed, schema), validateData: parsed };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return { value: text };
    }
    if (parsed && typeof parsed === 'object' && (parsed as { type?: unknown }).type === 'Buffer' && Array.isArray((parsed as { data?: unknown }).data)) {
      return { value: Buffer.from((parsed as { data: number[] }).data), validateData: parsed };
    }
    return { value: parsed };
  }

  /** class-transformer's `plainToClass` for registered `@Object` types (field initialisers apply). */
  private inflate(value: unknown, schema: Schema): unknown {
    if (schema.type === 'array' && Array.isArray(value)) {
      const items = (schema.items ?? {}) as Schema;
      return value.map((v) => this.inflate(v, items));
    }
    if (typeof schema.$ref === 'string' && value && typeof value === 'object' && !Array.isArray(value)) {
      const cnstr = lookupObjectCtor(schema.$ref);
      if (cnstr) return Object.assign(new cnstr(), value);
    }
    return value;
  }
}

function lookupObjectCtor(ref: string): Cnstr | undefined {
  const name = ref.replace('#/components/schemas/', '');
  const objects = Reflect.getMetadata('fabric:objects', globalThis) as Record<string, { cnstr?: Cnstr }> | undefined;
  return objects?.[name]?.cnstr;
}
