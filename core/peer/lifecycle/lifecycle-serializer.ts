/**
 * Fabric's `_lifecycle` state serializer (`core/chaincode/lifecycle/serializer.go`), ported: a
 * structure is stored as one `lifecycle.StateMetadata` key naming its type and fields, and one
 * `lifecycle.StateData` key per field. The bytes, and which keys a write reads, writes and deletes,
 * are Fabric's, so a Weft peer and a Fabric peer simulating the same `_lifecycle` call produce the
 * same read/write set, and an org's approval (stored privately) can be checked by anyone from the
 * hashes of the values it would have stored.
 */
import { LEN, VARINT, WireReader } from '../../protocol/wire-reader';
import { lenField, message, stringField } from '../../protocol/wire-writer';
import { bytesEqual } from '../../protocol/bytes';
import { sha256 } from '../../ledger/private-data';
import { int64Field } from './definition-wire';

/** A field's value, as `StateData`'s oneof holds it (Fabric's Go field kinds: int64, []byte or a proto as bytes, string). */
export type FieldValue = { readonly int64: number } | { readonly bytes: Uint8Array } | { readonly string: string };

/** A Go structure as the serializer sees it: its type name and its fields, in declaration order. */
export interface Serializable {
  readonly datatype: string;
  readonly fields: readonly (readonly [string, FieldValue])[];
}

/** Decoded `StateMetadata`, with the unknown fields protobuf-go would keep when it marshals it again. */
export interface StateMetadata {
  readonly datatype: string;
  readonly fields: readonly string[];
  readonly unknown: readonly Uint8Array[];
}

/** Reads committed state (the public `_lifecycle` namespace, or an org's implicit collection of it). */
export interface ReadableState {
  getState(key: string): Uint8Array | undefined;
}
export interface WritableState extends ReadableState {
  putState(key: string, value: Uint8Array): void;
  delState(key: string): void;
}
/** An org's implicit collection as every peer sees it: the hashes of the values only. */
export interface OpaqueState {
  getStateHash(key: string): Uint8Array | undefined;
}

const utf8 = new TextEncoder();

export function metadataKey(prefix: string, name: string): string {
  return `${prefix}/metadata/${name}`;
}

export function fieldKey(prefix: string, name: string, field: string): string {
  return `${prefix}/fields/${name}/${field}`;
}

/**
 * `StateData` as protobuf-go marshals it: the oneof member is written even when it holds its zero
 * value (a oneof has presence), so no field's value is ever empty bytes.
 */
export function encodeStateData(v: FieldValue): Uint8Array {
  if ('int64' in v) return v.int64 === 0 ? Uint8Array.of(0x08, 0x00) : (int64Field(1, v.int64) as Uint8Array);
  if ('bytes' in v) return message(lenField(2, v.bytes, false));
  return message(lenField(3, utf8.encode(v.string), false));
}

/** `StateMetadata` as protobuf-go marshals it (unknown fields of a decoded one last, as it keeps them). */
export function encodeStateMetadata(datatype: string, fields: readonly string[], unknown: readonly Uint8Array[] = []): Uint8Array {
  const known = message(stringField(1, datatype), ...fields.map((f) => lenField(2, utf8.encode(f), false)));
  if (unknown.length === 0) return known;
  return Buffer.concat([known, ...unknown]);
}

/** `StateMetadata` bytes as protobuf-go reads them; throws `PROTOCOL_MALFORMED` naming `path`. */
export function decodeStateMetadata(bytes: Uint8Array, path: string): StateMetadata {
  const r = new WireReader(bytes, path, 'lifecycle.StateMetadata');
  let datatype = '';
  const fields: string[] = [];
  const unknown: Uint8Array[] = [];
  while (r.next()) {
    if (r.has(1, LEN)) datatype = r.string();
    else if (r.has(2, LEN)) fields.push(r.string());
    else {
      const start = r.fieldStart;
      r.skip();
      unknown.push(bytes.slice(start, r.offset));
    }
  }
  return { datatype, fields, unknown };
}

/** `StateData` bytes as protobuf-go reads them (the last oneof member wins); undefined when no member is set. */
export function decodeStateData(bytes: Uint8Array, path: string): FieldValue | undefined {
  const r = new WireReader(bytes, path, 'lifecycle.StateData');
  let v: FieldValue | undefined;
  while (r.next()) {
    if (r.has(1, VARINT)) v = { int64: r.int64() };
    else if (r.has(2, LEN)) v = { bytes: r.bytes().slice() };
    else if (r.has(3, LEN)) v = { string: r.string() };
    else r.skip();
  }
  return v;
}

/** Fabric's `DeserializeMetadata`: undefined when the metadata key is absent. */
export function readMetadata(prefix: string, name: string, state: ReadableState): StateMetadata | undefined {
  const key = metadataKey(prefix, name);
  const bytes = state.getState(key);
  return bytes === undefined ? undefined : decodeStateMetadata(bytes, key);
}

/** Fabric's `DeserializeField`: an absent key reads as a `StateData` with nothing set. */
export function readField(prefix: string, name: string, field: string, state: ReadableState): FieldValue | undefined {
  const key = fieldKey(prefix, name, field);
  const bytes = state.getState(key);
  return bytes === undefined ? undefined : decodeStateData(bytes, key);
}

/**
 * Fabric's `Serialize`: reads the structure's metadata and every field it lists, writes each field
 * whose bytes change, writes the metadata when the type, the number of fields or the set of keys
 * changes, and deletes the keys of listed fields the structure no longer has. A value written
 * again unchanged is not written: the write set holds only real updates.
 */
export function serialize(prefix: string, name: string, s: Serializable, state: WritableState): void {
  const metadata = readMetadata(prefix, name, state) ?? { datatype: '', fields: [], unknown: [] };
  const existing = new Map<string, Uint8Array | undefined>();
  for (const field of metadata.fields) {
    const key = fieldKey(prefix, name, field);
    existing.set(key, state.getState(key));
  }
  for (const [field, value] of s.fields) {
    const key = fieldKey(prefix, name, field);
    const bytes = encodeStateData(value);
    const previous = existing.get(key);
    if (previous === undefined || !bytesEqual(previous, bytes)) state.putState(key, bytes);
    existing.delete(key);
  }
  if (existing.size > 0 || s.datatype !== metadata.datatype || metadata.fields.length !== s.fields.length) {
    state.putState(
      metadataKey(prefix, name),
      encodeStateMetadata(
        s.datatype,
        s.fields.map(([f]) => f),
        metadata.unknown,
      ),
    );
  }
  for (const key of existing.keys()) state.delState(key);
}

/**
 * Fabric's `IsSerialized`: whether the hashes stored under the structure's keys are those of its
 * serialized metadata and fields. Every hash is read first (the read set is the same whatever
 * matches). A metadata mismatch is reported as the type's name alone; otherwise each field whose
 * hash differs is named.
 */
export function isSerialized(prefix: string, name: string, s: Serializable, state: OpaqueState): { readonly ok: boolean; readonly mismatches: string[] } {
  const mdHash = state.getStateHash(metadataKey(prefix, name));
  const hashes = s.fields.map(([field]) => state.getStateHash(fieldKey(prefix, name, field)));
  const md = encodeStateMetadata(
    s.datatype,
    s.fields.map(([f]) => f),
  );
  if (mdHash === undefined || !bytesEqual(sha256(md), mdHash)) return { ok: false, mismatches: [s.datatype] };
  const mismatches: string[] = [];
  s.fields.forEach(([field, value], i) => {
    const h = hashes[i];
    if (h === undefined || !bytesEqual(h, sha256(encodeStateData(value)))) mismatches.push(field);
  });
  return { ok: mismatches.length === 0, mismatches };
}

/** Fabric's `IsMetadataSerialized`: whether the stored metadata hash is that of a structure of this type and fields. */
export function isMetadataSerialized(prefix: string, name: string, s: Pick<Serializable, 'datatype'> & { readonly fieldNames: readonly string[] }, state: OpaqueState): boolean {
  const h = state.getStateHash(metadataKey(prefix, name));
  return h !== undefined && bytesEqual(h, sha256(encodeStateMetadata(s.datatype, s.fieldNames)));
}
