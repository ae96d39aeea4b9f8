/**
 * fabric-contract-api 2.5's `JSONSerializer`, line for line where chaincode can tell: how transaction
 * arguments are decoded and results encoded, with class-transformer 0.4.0 (the version
 * fabric-contract-api 2.5 installs) doing `plainToClass` / `classToPlain`. Its quirks are kept, since
 * chaincode written against Fabric depends on them: the elements of a `string[]` argument arrive
 * JSON-quoted, and the dispatcher validates the converted value, not the JSON sent.
 */
import { Buffer } from 'buffer';
import type { Schema } from './annotations';

type Cnstr = new () => object;
type ClassTransformer = { classToPlain(value: unknown): unknown; plainToClass(cls: Cnstr, plain: unknown): unknown };

/** What fabric-shim hands a serializer: the parameter's schema as `properties.prop`, and the contract's object schemas. */
export interface FullSchema {
  properties: { prop: Schema };
  components: { schemas: Record<string, Schema & { cnstr?: Cnstr }> };
}

let transformer: ClassTransformer | undefined;

/** Loaded on first use: contracts that only move strings never pay for it. */
function classTransformer(): ClassTransformer {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (transformer ??= require('class-transformer') as ClassTransformer);
}

export class JSONSerializer {
  toBuffer(result: unknown, schema: Schema = {}, _loggerPrefix?: string): Buffer | undefined {
    if (result === undefined || result === null) return undefined;
    if (schema.type === 'string' || schema.type === 'number') {
      if (schema.type !== typeof result) {
        throw new Error(`Returned value is ${typeof result} does not match schema type of ${String(schema.type)}`);
      }
      return Buffer.from(String(result));
    }
    if (typeof result === 'string' || typeof result === 'number' || typeof result === 'boolean') return Buffer.from(String(result));
    return Buffer.from(JSON.stringify(classTransformer().classToPlain(result)));
  }

  fromBuffer(data: Buffer, fullschema: FullSchema, loggerPrefix?: string): { value: unknown; jsonForValidation?: unknown } {
    if (!data) throw new Error('Buffer needs to be supplied');
    if (!fullschema) throw new Error('Schema has not been specified');
    return this.fromString(data.toString('utf8'), fullschema, loggerPrefix);
  }

  private fromString(stringData: string, fullschema: FullSchema, loggerPrefix?: string): { value: unknown; jsonForValidation?: unknown } {
    let schema = fullschema.properties.prop;
    if (schema.$ref) {
      const type = String(schema.$ref).split(/\//).pop() as string;
      schema = fullschema.components.schemas[type];
      // fabric-contract-api marks the component itself as an object, for every later call too.
      schema.type = 'object';
    }
    if (schema.type) {
      if (schema.type === 'string') return { value: stringData, jsonForValidation: JSON.stringify(stringData) };
      if (schema.type === 'number') {
        const value = Number(stringData);
        if (isNaN(value)) throw new Error('fromBuffer could not convert data to number');
        return { value, jsonForValidation: value };
      }
      if (schema.type === 'boolean') {
        const b = stringData.trim().toLowerCase();
        if (b !== 'true' && b !== 'false') throw new Error('fromBuffer could not convert data to boolean');
        return { value: b === 'true', jsonForValidation: b === 'true' };
      }
      if (schema.type === 'object') {
        const cnstr = fullschema.components.schemas[schema.$id as string].cnstr;
        if (cnstr) {
          const jsonForValidation = JSON.parse(stringData) as unknown;
          return { value: classTransformer().plainToClass(cnstr, jsonForValidation), jsonForValidation };
        }
      } else if (schema.type === 'array') {
        const jsonForValidation = JSON.parse(stringData) as unknown[];
        const items = { properties: { prop: schema.items as Schema }, components: fullschema.components };
        return { value: jsonForValidation.map((v) => this.fromString(JSON.stringify(v), items, loggerPrefix).value), jsonForValidation };
      }
    }
    try {
      const jsonForValidation = JSON.parse(stringData) as { type?: unknown; data?: number[] } | null;
      // As fabric-contract-api: `null` fails here and becomes the string "null".
      if (jsonForValidation!.type && jsonForValidation!.type === 'Buffer') return { value: Buffer.from(jsonForValidation!.data as number[]), jsonForValidation };
      return { value: jsonForValidation, jsonForValidation };
    } catch {
      return { value: stringData, jsonForValidation: JSON.stringify(stringData) };
    }
  }
}
