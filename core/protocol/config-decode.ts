import type { Message } from 'google-protobuf';
import { ProtocolError } from '../errors';
import { MessageClass, ProtocolErrorCode, checkSize, decode } from './bounded-decode';
import { LEN, MessageBytes, VARINT, WireReader } from './wire-reader';
import { WireField, int32Field, lenField, message, submessage, uintField } from './wire-writer';

/** A field's type, as the `.proto` declares it; a {@link Schema} is an embedded message. */
export type FieldKind = 'string' | 'bytes' | 'uint64' | 'uint32' | 'int32' | 'bool' | Schema;

/**
 * One field: singular, `repeated` (strings, bytes or messages: config protos repeat no number, so
 * packed encoding never arises) or `map<string, message>` / `map<string, bytes>`, the only maps
 * Fabric's config protos have, or `map<string, bool>` (`_lifecycle` approvals).
 */
export type FieldSpec =
  | { readonly kind: FieldKind; readonly card?: undefined }
  | { readonly kind: 'string' | 'bytes' | Schema; readonly card: 'repeated' }
  | { readonly kind: MapValue; readonly card: 'map' };

type MapValue = Schema | 'bytes' | 'bool';

/** A proto3 message type: its name (for errors) and its fields by number. */
export interface Schema {
  readonly name: string;
  readonly fields: Readonly<Record<number, FieldSpec>>;
}

/** protobuf-go's `protoimpl` recursion limit for nested messages. */
const DEPTH_LIMIT = 10000;

type Occurrences = { value: MessageBytes | undefined };

/**
 * Re-encodes `bytes` as the one canonical encoding of the message protobuf-go reads from them, or
 * throws `PROTOCOL_MALFORMED` where protobuf-go's `proto.Unmarshal` fails. google-protobuf, which
 * the generated classes use, decodes config protos differently from the Go nodes on the same
 * channel: it throws on a known field with an unexpected wire type (protobuf-go keeps it as an
 * unknown field), reads a `string` that is not UTF-8 (protobuf-go refuses it in proto3, as every
 * Fabric config proto is) and replaces a repeated singular message (protobuf-go merges the
 * occurrences). The canonical bytes have one occurrence of each set field, with its declared wire
 * type, and no unknown fields, so google-protobuf then reads exactly protobuf-go's message. Bytes
 * fields are copied through unchanged: a config value keeps the bytes its admins signed.
 */
export function canonicalBytes(bytes: MessageBytes, schema: Schema, path: string): Uint8Array {
  try {
    return message(...canonicalFields(bytes, schema, path, 0));
  } catch (err) {
    if (err instanceof RangeError) {
      throw new ProtocolError(ProtocolErrorCode.Malformed, `${path}: cannot decode as ${schema.name}: messages nested too deeply`, { path, message: schema.name });
    }
    throw err;
  }
}

/**
 * Decodes `bytes` as `cls` the way protobuf-go decodes them (see {@link canonicalBytes}); throws
 * `PROTOCOL_MALFORMED` naming `path` where a Fabric node's `proto.Unmarshal` fails. Not only for
 * config: any small proto3 message with a {@link Schema} (block metadata, principals) is read so.
 */
export function decodeConfigProto<T extends Message>(cls: MessageClass<T>, schema: Schema, bytes: Uint8Array, path: string, maxBytes?: number): T {
  if (!(bytes instanceof Uint8Array)) {
    throw new ProtocolError(ProtocolErrorCode.BadInput, `${path}: expected bytes (Uint8Array), got ${typeof bytes}`, { path });
  }
  if (maxBytes !== undefined) checkSize(bytes, maxBytes, path);
  return decode(cls, canonicalBytes(bytes, schema, path), path);
}

/** Where {@link unknownFields} collects, while it runs (decoding is synchronous). */
let unknownSink: string[] | undefined;

/**
 * The unknown fields protobuf-go would keep in the messages of `bytes` (a field number the schema
 * lacks, or a known one with another wire type), as `path.field` with field numbers and map keys;
 * map entries keep none. protobuf-go's `proto.Equal` compares them, which the canonical encoding
 * drops. Throws where {@link canonicalBytes} throws.
 */
export function unknownFields(bytes: MessageBytes, schema: Schema, path: string): string[] {
  const sink: string[] = [];
  const previous = unknownSink;
  unknownSink = sink;
  try {
    canonicalBytes(bytes, schema, path);
  } finally {
    unknownSink = previous;
  }
  return sink;
}

function canonicalFields(bytes: MessageBytes, schema: Schema, path: string, depth: number): WireField[] {
  if (depth > DEPTH_LIMIT) {
    throw new ProtocolError(ProtocolErrorCode.Malformed, `${path}: cannot decode as ${schema.name}: exceeded maximum recursion depth`, { path, message: schema.name });
  }
  const r = new WireReader(bytes, path, schema.name);
  const singular = new Map<number, WireField | Occurrences>();
  const repeated = new Map<number, WireField[]>();
  const maps = new Map<number, Map<string, WireField>>();
  while (r.next()) {
    const spec = schema.fields[r.field];
    if (spec === undefined || r.wire !== (spec.card === undefined ? wireOf(spec.kind) : LEN)) {
      unknownSink?.push(`${path}.${r.field}`);
      r.skip();
      continue;
    }
    const at = `${path}.${r.field}`;
    if (spec.card === 'map') {
      const [key, entry] = mapEntry(r.bytes(), r.field, spec.kind, at, depth);
      let m = maps.get(r.field);
      if (m === undefined) maps.set(r.field, (m = new Map()));
      // A key seen before is replaced, not merged, as protobuf-go's map decoder does.
      m.delete(key);
      m.set(key, entry);
    } else if (spec.card === 'repeated') {
      const list = repeated.get(r.field) ?? [];
      repeated.set(r.field, list);
      list.push(typeof spec.kind === 'object' ? nested(r.field, r.bytes(), spec.kind, at, depth) : lenField(r.field, stringOrBytes(r, spec.kind, path), false)!);
    } else if (typeof spec.kind === 'object') {
      const prior = singular.get(r.field) as Occurrences | undefined;
      singular.set(r.field, { value: r.message(prior?.value) });
    } else {
      const field = scalar(r, r.field, spec.kind, path);
      if (field === undefined) singular.delete(r.field);
      else singular.set(r.field, field);
    }
  }
  const out: WireField[] = [];
  for (const num of Object.keys(schema.fields).map(Number).sort((a, b) => a - b)) {
    const spec = schema.fields[num];
    const one = singular.get(num);
    if (one !== undefined) {
      out.push('value' in one ? nested(num, one.value!, spec.kind as Schema, `${path}.${num}`, depth) : one);
    }
    out.push(...(repeated.get(num) ?? []), ...(maps.get(num)?.values() ?? []));
  }
  return out;
}

function wireOf(kind: FieldKind): number {
  return kind === 'uint64' || kind === 'uint32' || kind === 'int32' || kind === 'bool' ? VARINT : LEN;
}

function nested(num: number, bytes: MessageBytes, schema: Schema, path: string, depth: number): WireField {
  return lenField(num, submessage(...canonicalFields(bytes, schema, path, depth + 1)), false)!;
}

/** A singular scalar field re-encoded; undefined for a proto3 default (which clears a prior occurrence). */
function scalar(r: WireReader, num: number, kind: Exclude<FieldKind, Schema>, path: string): WireField | undefined {
  switch (kind) {
    case 'string':
    case 'bytes':
      return lenField(num, stringOrBytes(r, kind, path), true);
    case 'uint64':
      return uintField(num, r.uint());
    case 'uint32':
      return uintField(num, r.uint32());
    case 'int32':
      return int32Field(num, r.int32());
    case 'bool':
      return uintField(num, r.uint() === 0 ? 0 : 1);
  }
}

/**
 * The current string or bytes field's bytes, a view of the input; a string must be UTF-8 (as
 * protobuf-go's `utf8.Valid`, a leading byte order mark kept: it is part of the value).
 */
function stringOrBytes(r: WireReader, kind: 'string' | 'bytes', path: string): Uint8Array {
  const field = r.field;
  const b = r.bytes();
  if (kind === 'string') {
    try {
      utf8.decode(b);
    } catch {
      throw new ProtocolError(ProtocolErrorCode.Malformed, `${path}: field ${field}: string is not valid UTF-8`, { path, field });
    }
  }
  return b;
}

/**
 * One `map<string, message>`, `map<string, bytes>` or `map<string, bool>` entry: key, bytes and
 * bool last-wins, message occurrences merged, key and value always written (a false bool aside:
 * absent, it reads as false in both decoders).
 */
function mapEntry(bytes: Uint8Array, num: number, kind: MapValue, path: string, depth: number): [string, WireField] {
  const r = new WireReader(bytes, path, typeof kind === 'string' ? 'map entry' : `map entry of ${kind.name}`);
  let key: Uint8Array = EMPTY;
  let value: MessageBytes | undefined;
  let flag = 0;
  while (r.next()) {
    if (r.has(1, LEN)) key = stringOrBytes(r, 'string', path);
    else if (kind === 'bool' && r.has(2, VARINT)) flag = r.uint() === 0 ? 0 : 1;
    else if (kind !== 'bool' && r.has(2, LEN)) value = kind === 'bytes' ? r.bytes() : r.message(value);
    else r.skip();
  }
  const name = utf8.decode(key);
  // An absent value is an empty message (or bytes) in both decoders; writing it keeps that unambiguous.
  const valueField =
    kind === 'bool'
      ? uintField(2, flag)
      : kind === 'bytes'
        ? lenField(2, (value as Uint8Array | undefined) ?? EMPTY, false)
        : lenField(2, submessage(...canonicalFields(value ?? EMPTY, kind, `${path}[${JSON.stringify(name)}]`, depth + 1)), false);
  return [name, lenField(num, submessage(lenField(1, key, false), valueField), false)!];
}

const EMPTY = new Uint8Array(0);
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
