/**
 * fabric-contract-api's decorators. They record the same `Reflect` metadata the real package does
 * (`fabric:transactions` on the prototype; `fabric:objects`, `fabric:info`, `fabric:default` on the
 * global object), so `GetMetadata` and argument conversion see what a Fabric peer would.
 */
import 'reflect-metadata';

export type Schema = Record<string, unknown>;

export interface ParameterMetadata {
  name: string;
  description: string;
  schema: Schema;
}

export interface TransactionMetadata {
  name: string;
  tag?: string[];
  tags?: string[];
  parameters?: ParameterMetadata[];
  /** The return type's schema itself, as fabric-contract-api has stored it since 1.4 (before, `[{ name: 'success', schema }]`). */
  returns?: Schema;
}

type Ctor = { new (...args: never[]): unknown; name: string; prototype: object };
type ProtoTarget = Record<string, unknown> & { createContext?: () => object };

const realm = globalThis as unknown as object;

function typeName(type: unknown): string {
  return typeof type === 'function' ? (type as { name: string }).name : String(type);
}

/** fabric-contract-api `utils.generateSchema`. */
export function generateSchema(type: unknown, fullPath = true): Schema {
  const name = typeName(type);
  if (['string', 'number', 'boolean'].includes(name.toLowerCase())) return { type: name.toLowerCase() };
  const arrayMatch = /^(.*)\[\]$/.exec(name) ?? /^Array<(.*)>$/.exec(name);
  if (arrayMatch) return { type: 'array', items: generateSchema(arrayMatch[1].trim(), fullPath) };
  const mapMatch = /^Map<\s*([^,]+)\s*,\s*(.+)>$/.exec(name);
  if (mapMatch) return { type: 'object', additionalProperties: generateSchema(mapMatch[2].trim(), fullPath) };
  return { $ref: `${fullPath ? '#/components/schemas/' : ''}${name}` };
}

/** Parameter names from the function's source, as the `get-params` package does. */
export function getParams(fn: unknown): string[] {
  if (typeof fn !== 'function') return [];
  const src = Function.prototype.toString.call(fn).replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  let start = src.indexOf('(');
  const arrow = src.indexOf('=>');
  if (arrow !== -1 && (start === -1 || arrow < start)) {
    const single = src.slice(0, arrow).replace(/^async\s+/, '').trim();
    return single ? [single] : [];
  }
  if (start === -1) return [];
  start += 1;
  let depth = 1;
  let end = start;
  for (; end < src.length && depth > 0; end++) {
    const ch = src[end];
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') depth--;
  }
  const inner = src.slice(start, end - 1);
  const parts: string[] = [];
  let cur = '';
  depth = 0;
  for (const ch of inner) {
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts
    .map((p) => p.split('=')[0].replace(/^\s*\.\.\./, '').trim())
    .filter((p) => p.length > 0);
}

function transactionsOf(target: object): TransactionMetadata[] {
  return (Reflect.getMetadata('fabric:transactions', target) as TransactionMetadata[] | undefined) ?? [];
}

function upsert(list: TransactionMetadata[], name: string, patch: Partial<TransactionMetadata>): void {
  const existing = list.find((t) => t.name === name);
  if (existing) Object.assign(existing, patch);
  else list.push({ name, ...patch });
}

export function Transaction(commit = true) {
  return (target: object, propertyKey: string): void => {
    const proto = target as ProtoTarget;
    const transactions = transactionsOf(target);
    const paramNames = getParams(proto[propertyKey]);
    const contextType = typeof proto.createContext === 'function' ? (proto.createContext() as object).constructor : undefined;
    const paramTypes = (Reflect.getMetadata('design:paramtypes', target, propertyKey) as unknown[] | undefined) ?? [];
    let removed = 0;
    const kept = paramTypes.filter((paramType, idx) => {
      const isCtx = contextType !== undefined && paramType === contextType;
      if (isCtx) paramNames.splice(idx - removed++, 1);
      return !isCtx;
    });
    const existing = transactions.find((t) => t.name === propertyKey);
    const parameters = kept.map((paramType, idx): ParameterMetadata => {
      const name = paramNames[idx];
      const declared = existing?.parameters?.find((p) => p.name === name);
      if (declared) return declared;
      if (typeName(paramType) === 'Object') {
        throw new Error(`Type not properly specified for parameter ${name}, can not process pure Object types`);
      }
      return { name, description: '', schema: generateSchema(paramType) };
    });
    const tag = commit ? ['SUBMIT', 'submitTx'] : ['EVALUATE'];
    upsert(transactions, propertyKey, { tag, parameters });
    Reflect.defineMetadata('fabric:transactions', transactions, target);
  };
}

export function Returns(returnType: unknown) {
  return (target: object, propertyKey: string): void => {
    const transactions = transactionsOf(target);
    upsert(transactions, propertyKey, { returns: generateSchema(returnType) });
    Reflect.defineMetadata('fabric:transactions', transactions, target);
  };
}

export function Param(paramName: string, paramType: unknown, description?: string) {
  return (target: object, propertyKey: string): void => {
    const transactions = transactionsOf(target);
    const existing = transactions.find((t) => t.name === propertyKey);
    const params = existing?.parameters ?? [];
    const entry: ParameterMetadata = { name: paramName, description: description ?? '', schema: generateSchema(paramType) };
    const idx = params.findIndex((p) => p.name === paramName);
    if (idx >= 0) params[idx] = entry;
    else params.push(entry);
    upsert(transactions, propertyKey, { parameters: params });
    Reflect.defineMetadata('fabric:transactions', transactions, target);
  };
}

function ObjectDecorator(opts?: { discriminator?: unknown }) {
  return (constructor: Ctor): void => {
    const objects = (Reflect.getMetadata('fabric:objects', realm) as Record<string, Schema> | undefined) ?? {};
    // Inherited when the class declares no property of its own, as in fabric-contract-api.
    const properties = (Reflect.getMetadata('fabric:object-properties', constructor.prototype) as Record<string, Schema> | undefined) ?? {};
    const supertype = (Object.getPrototypeOf(constructor.prototype) as { constructor: Ctor }).constructor.name;
    if (supertype === 'Object') {
      objects[constructor.name] = { $id: constructor.name, type: 'object', cnstr: constructor, properties };
      if (opts?.discriminator) objects[constructor.name].discriminator = { propertyName: opts.discriminator };
    } else {
      objects[constructor.name] = { $id: constructor.name, cnstr: constructor, allOf: [{ type: 'object', properties }, { $ref: supertype }] };
    }
    Reflect.defineMetadata('fabric:objects', objects, realm);
  };
}

export function Property(name?: string, type?: unknown) {
  return (target: object, propertyKey: string): void => {
    // A class's own properties only: a subclass's must not land in its parent's schema.
    const properties = (Reflect.getOwnMetadata('fabric:object-properties', target) as Record<string, Schema> | undefined) ?? {};
    // fabric-contract-api takes the name and type given only when both are.
    const [propName, propType] = name && type ? [name, type] : [propertyKey, Reflect.getMetadata('design:type', target, propertyKey)];
    properties[propName] = generateSchema(propType, false);
    Reflect.defineMetadata('fabric:object-properties', properties, target);
  };
}

export function Info(info: Record<string, unknown> = {}) {
  return (target: Ctor): void => {
    const data = (Reflect.getMetadata('fabric:info', realm) as Record<string, unknown> | undefined) ?? {};
    data[target.name] = { title: '', description: '', ...info, name: (info.name as string | undefined) ?? target.name, version: (info.version as string | undefined) ?? '' };
    Reflect.defineMetadata('fabric:info', data, realm);
  };
}

export function Default() {
  return (target: Ctor): void => {
    if (Reflect.getMetadata('fabric:default', realm)) throw new Error('A default has already been specified');
    const contract = new (target as unknown as new () => { getName(): string })();
    Reflect.defineMetadata('fabric:default', contract.getName(), realm);
  };
}

export { ObjectDecorator as Object };
