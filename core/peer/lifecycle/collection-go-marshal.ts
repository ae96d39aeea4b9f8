/**
 * A `CollectionConfigPackage` as a Fabric peer stores it: protobuf-go's `proto.Marshal` of the
 * message `proto.Unmarshal` made of the bytes a client sent. protobuf-go keeps the fields it does
 * not know (at every level: a collection config, its policies, their principals) and writes them
 * back after the known ones, so they are part of what `_lifecycle` stores and hashes: two orgs
 * approving packages that differ only in unknown fields have not approved the same definition.
 * google-protobuf, which the generated classes use, drops them; this re-marshals the bytes instead.
 *
 * Known fields come out as protobuf-go writes them: in field-number order, the last occurrence of
 * a scalar, the occurrences of a singular message merged, a oneof member written even when zero,
 * and a new member of a oneof replacing the previous one. The work is iterative: signature policies
 * may nest as deep as Go's decoder allows (see `policy-wire.ts`). The bytes must be ones
 * `decodeCollectionPackageInto` accepted (nesting, UTF-8 and wire format are checked there).
 */
import { LEN, type MessageBytes, VARINT, WireReader } from '../../protocol/wire-reader';
import { putVarint, varintSize } from '../../protocol/wire-writer';

type Kind = 'int32' | 'uint64' | 'bool' | 'string' | 'bytes' | 'message';

interface FieldSpec {
  readonly kind: Kind;
  readonly repeated?: boolean;
  /** The oneof the field belongs to, if any. */
  readonly oneof?: string;
  readonly message?: MessageSpec;
}

interface MessageSpec {
  readonly name: string;
  readonly fields: Map<number, FieldSpec>;
}

function spec(name: string, fields: Record<number, FieldSpec>): MessageSpec {
  return { name, fields: new Map(Object.entries(fields).map(([n, f]) => [Number(n), f])) };
}

const PRINCIPAL = spec('common.MSPPrincipal', { 1: { kind: 'int32' }, 2: { kind: 'bytes' } });
const SIGNATURE_POLICY = spec('common.SignaturePolicy', {});
const N_OUT_OF = spec('common.SignaturePolicy.NOutOf', { 1: { kind: 'int32' }, 2: { kind: 'message', repeated: true, message: SIGNATURE_POLICY } });
SIGNATURE_POLICY.fields.set(1, { kind: 'int32', oneof: 'Type' });
SIGNATURE_POLICY.fields.set(2, { kind: 'message', oneof: 'Type', message: N_OUT_OF });
const ENVELOPE = spec('common.SignaturePolicyEnvelope', {
  1: { kind: 'int32' },
  2: { kind: 'message', message: SIGNATURE_POLICY },
  3: { kind: 'message', repeated: true, message: PRINCIPAL },
});
const APPLICATION_POLICY = spec('protos.ApplicationPolicy', { 1: { kind: 'message', oneof: 'Type', message: ENVELOPE }, 2: { kind: 'string', oneof: 'Type' } });
const POLICY_CONFIG = spec('protos.CollectionPolicyConfig', { 1: { kind: 'message', oneof: 'Payload', message: ENVELOPE } });
const STATIC = spec('protos.StaticCollectionConfig', {
  1: { kind: 'string' },
  2: { kind: 'message', message: POLICY_CONFIG },
  3: { kind: 'int32' },
  4: { kind: 'int32' },
  5: { kind: 'uint64' },
  6: { kind: 'bool' },
  7: { kind: 'bool' },
  8: { kind: 'message', message: APPLICATION_POLICY },
});
const CONFIG = spec('protos.CollectionConfig', { 1: { kind: 'message', oneof: 'Payload', message: STATIC } });
const PACKAGE = spec('protos.CollectionConfigPackage', { 1: { kind: 'message', repeated: true, message: CONFIG } });

/** One piece of a message's output: bytes as they are, or a nested message (by node index) with its tag. */
type Item = Uint8Array | { readonly tag: number; readonly child: number };

interface Node {
  items: Item[];
  size: number;
}

/** A field's state while a message is read: an encoded scalar, or a message's occurrences (per element when repeated). */
type Held = { readonly encoded: Uint8Array } | { readonly elements: Uint8Array[][] };

/** `CollectionConfigPackage` bytes as protobuf-go re-marshals them; `packageUnknown: false` drops the package's own unknown fields. */
export function goMarshalCollectionPackage(bytes: MessageBytes, packageUnknown: boolean): Uint8Array {
  const nodes: Node[] = [{ items: [], size: 0 }];
  const todo: { spec: MessageSpec; segments: readonly Uint8Array[]; node: number }[] = [{ spec: PACKAGE, segments: bytes instanceof Uint8Array ? [bytes] : bytes, node: 0 }];
  for (let t = todo.pop(); t !== undefined; t = todo.pop()) {
    const { held, unknown } = read(t.spec, t.segments);
    const items: Item[] = [];
    for (const field of [...held.keys()].sort((a, b) => a - b)) {
      const h = held.get(field) as Held;
      if ('encoded' in h) {
        items.push(h.encoded);
        continue;
      }
      const child = (t.spec.fields.get(field) as FieldSpec).message as MessageSpec;
      for (const occurrences of h.elements) {
        const index = nodes.length;
        nodes.push({ items: [], size: 0 });
        items.push({ tag: field * 8 + LEN, child: index });
        todo.push({ spec: child, segments: occurrences, node: index });
      }
    }
    if (t.node !== 0 || packageUnknown) items.push(...unknown);
    (nodes[t.node] as Node).items = items;
  }
  // A node's children come after it: sizes summed back to front.
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i] as Node;
    node.size = node.items.reduce((n, item) => {
      if (item instanceof Uint8Array) return n + item.length;
      const size = (nodes[item.child] as Node).size;
      return n + varintSize(item.tag) + varintSize(size) + size;
    }, 0);
  }
  const out = new Uint8Array((nodes[0] as Node).size);
  let pos = 0;
  const stack: { node: Node; next: number }[] = [{ node: nodes[0] as Node, next: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as { node: Node; next: number };
    const item = top.node.items[top.next++];
    if (item === undefined) {
      stack.pop();
    } else if (item instanceof Uint8Array) {
      out.set(item, pos);
      pos += item.length;
    } else {
      const child = nodes[item.child] as Node;
      pos = putVarint(out, putVarint(out, pos, item.tag), child.size);
      stack.push({ node: child, next: 0 });
    }
  }
  return out;
}

/** The known fields of one message (all its occurrences, merged) and its unknown fields as they came. */
function read(s: MessageSpec, segments: readonly Uint8Array[]): { held: Map<number, Held>; unknown: Uint8Array[] } {
  const held = new Map<number, Held>();
  const unknown: Uint8Array[] = [];
  const oneofs = new Map<string, number>();
  for (const segment of segments) {
    const r = new WireReader(segment, s.name, s.name);
    while (r.next()) {
      const f = s.fields.get(r.field);
      if (f === undefined || r.wire !== (f.kind === 'string' || f.kind === 'bytes' || f.kind === 'message' ? LEN : VARINT)) {
        const start = r.fieldStart;
        r.skip();
        unknown.push(segment.subarray(start, r.offset));
        continue;
      }
      if (f.oneof !== undefined) {
        const current = oneofs.get(f.oneof);
        if (current !== r.field) {
          if (current !== undefined) held.delete(current);
          oneofs.set(f.oneof, r.field);
        }
      }
      const always = f.oneof !== undefined;
      if (f.kind === 'message') {
        const value = r.bytes();
        const h = held.get(r.field);
        if (h === undefined || !('elements' in h)) held.set(r.field, { elements: [[value]] });
        else if (f.repeated === true) h.elements.push([value]);
        else (h.elements[0] as Uint8Array[]).push(value);
      } else if (f.kind === 'string' || f.kind === 'bytes') {
        const value = r.bytes();
        if (value.length > 0 || always) held.set(r.field, { encoded: lenBytes(r.field, value) });
        else held.delete(r.field);
      } else {
        const start = r.offset;
        r.skip();
        const value = scalar(f.kind, varintValue(segment.subarray(start, r.offset)));
        if (value !== 0n || always) held.set(r.field, { encoded: varintBytes(r.field * 8 + VARINT, value) });
        else held.delete(r.field);
      }
    }
  }
  return { held, unknown };
}

/** The 64-bit value protobuf-go gives a varint's bytes (bits past 64 dropped). */
function varintValue(raw: Uint8Array): bigint {
  let v = 0n;
  for (let i = raw.length - 1; i >= 0; i--) v = (v << 7n) | BigInt((raw[i] as number) & 0x7f);
  return BigInt.asUintN(64, v);
}

/** The varint protobuf-go writes for a field of `kind` decoded from `v`: int32 sign-extended, bool 0 or 1. */
function scalar(kind: Kind, v: bigint): bigint {
  if (kind === 'int32') return BigInt.asUintN(64, BigInt.asIntN(32, v));
  if (kind === 'bool') return v === 0n ? 0n : 1n;
  return v;
}

function varintBytes(tag: number, v: bigint): Uint8Array {
  const out: number[] = [];
  for (let t = tag; ; t = Math.floor(t / 128)) {
    if (t < 128) {
      out.push(t);
      break;
    }
    out.push((t % 128) | 0x80);
  }
  let rest = v;
  while (rest >= 0x80n) {
    out.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  out.push(Number(rest));
  return Uint8Array.from(out);
}

function lenBytes(field: number, value: Uint8Array): Uint8Array {
  const tag = field * 8 + LEN;
  const out = new Uint8Array(varintSize(tag) + varintSize(value.length) + value.length);
  out.set(value, putVarint(out, putVarint(out, 0, tag), value.length));
  return out;
}
