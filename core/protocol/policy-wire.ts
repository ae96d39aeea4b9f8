/**
 * `SignaturePolicyEnvelope` and `ApplicationPolicy` decoded as protobuf-go decodes them on Fabric's
 * peers, and encoded, without recursion. A signature policy nests one gate per level, as deep as
 * Go's limit of 10000 nested messages allows; google-protobuf's `deserializeBinary` and
 * `serializeBinary` recurse a few JS frames per message and overflow the stack thousands of levels
 * short of that, at a depth that depends on how much stack the caller had used, so the same bytes
 * could be refused on one peer and accepted on another. protobuf-go also parts from google-protobuf
 * on bytes anyone can write: a known field with another wire type is an unknown field (skipped, not
 * an error), a repeated singular message is merged (not replaced), and a `string` that is not UTF-8
 * is refused. Messages are built top down, each attached to its parent while still empty: a
 * google-protobuf setter walks the whole subtree of the message it is handed.
 */
import { SignaturePolicy, SignaturePolicyEnvelope } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { MSPPrincipal } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import { ApplicationPolicy } from '@hyperledger/fabric-protos/lib/peer/policy_pb';
import { ProtocolError } from '../errors';
import { ProtocolErrorCode } from './bounded-decode';
import { LEN, type MessageBytes, VARINT, WireReader } from './wire-reader';
import { int32Field, lenField, message, putVarint, stringField, varintSize } from './wire-writer';

/** protobuf-go's `protowire.DefaultRecursionLimit`: a message may sit at most this many messages deep. */
export const GO_RECURSION_LIMIT = 10000;

/** Throws protobuf-go's recursion error when a message at `depth` (the outermost is 1) is too deep. */
export function checkDepth(depth: number, path: string, typeName: string): void {
  if (depth > GO_RECURSION_LIMIT) {
    throw new ProtocolError(ProtocolErrorCode.Malformed, `${path}: cannot decode as ${typeName}: exceeded maximum recursion depth (${GO_RECURSION_LIMIT} nested messages)`, {
      path,
      message: typeName,
      limit: GO_RECURSION_LIMIT,
    });
  }
}

const TYPE_NAMES = {
  envelope: 'common.SignaturePolicyEnvelope',
  rule: 'common.SignaturePolicy',
  gate: 'common.SignaturePolicy.NOutOf',
  principal: 'common.MSPPrincipal',
} as const;

type Frame =
  | { readonly r: WireReader; readonly kind: 'envelope'; readonly m: SignaturePolicyEnvelope }
  | { readonly r: WireReader; readonly kind: 'rule'; readonly m: SignaturePolicy }
  | { readonly r: WireReader; readonly kind: 'gate'; readonly m: SignaturePolicy.NOutOf }
  | { readonly r: WireReader; readonly kind: 'principal'; readonly m: MSPPrincipal };

/**
 * Decodes (merges) `bytes` into `envelope`, which sits `depth` messages deep (1: decoded on its
 * own). Throws `PROTOCOL_MALFORMED` naming `path` where protobuf-go's `proto.Unmarshal` fails.
 */
export function decodeSignatureEnvelopeInto(bytes: MessageBytes, envelope: SignaturePolicyEnvelope, depth: number, path: string): void {
  checkDepth(depth, path, 'common.SignaturePolicyEnvelope');
  const stack: Frame[] = [{ r: new WireReader(bytes, path, 'common.SignaturePolicyEnvelope'), kind: 'envelope', m: envelope }];
  while (stack.length > 0) {
    const f = stack[stack.length - 1] as Frame;
    const r = f.r;
    if (!r.next()) {
      stack.pop();
      continue;
    }
    if (r.has(1, VARINT)) {
      const v = r.int32();
      if (f.kind === 'envelope') f.m.setVersion(v);
      else if (f.kind === 'rule') f.m.setSignedBy(v);
      else if (f.kind === 'gate') f.m.setN(v);
      else f.m.setPrincipalClassification(v as MSPPrincipal.ClassificationMap[keyof MSPPrincipal.ClassificationMap]);
      continue;
    }
    if (!r.has(2, LEN) && !(f.kind === 'envelope' && r.has(3, LEN))) {
      r.skip();
      continue;
    }
    const body = r.bytes();
    if (f.kind === 'principal') {
      f.m.setPrincipal(body.slice());
      continue;
    }
    // protobuf-go counts every embedded message, empty or not, a principal as much as a gate.
    const childDepth = depth + stack.length;
    let child: Frame;
    if (f.kind === 'envelope' && r.field === 3) {
      const p = new MSPPrincipal();
      f.m.addIdentities(p);
      child = { r: new WireReader(body, path, TYPE_NAMES.principal), kind: 'principal', m: p };
    } else if (f.kind === 'envelope') {
      let rule = f.m.getRule();
      if (rule === undefined) f.m.setRule((rule = new SignaturePolicy()));
      child = { r: new WireReader(body, path, TYPE_NAMES.rule), kind: 'rule', m: rule };
    } else if (f.kind === 'rule') {
      // The same oneof member again merges into it; after the other member, protobuf-go starts afresh.
      let gate = f.m.getNOutOf();
      if (gate === undefined) f.m.setNOutOf((gate = new SignaturePolicy.NOutOf()));
      child = { r: new WireReader(body, path, TYPE_NAMES.gate), kind: 'gate', m: gate };
    } else {
      const rule = new SignaturePolicy();
      f.m.addRules(rule);
      child = { r: new WireReader(body, path, TYPE_NAMES.rule), kind: 'rule', m: rule };
    }
    checkDepth(childDepth, path, TYPE_NAMES[child.kind]);
    stack.push(child);
  }
}

/** `SignaturePolicyEnvelope` bytes decoded on their own (see {@link decodeSignatureEnvelopeInto}). */
export function decodeSignatureEnvelope(bytes: Uint8Array, path: string): SignaturePolicyEnvelope {
  const envelope = new SignaturePolicyEnvelope();
  decodeSignatureEnvelopeInto(bytes, envelope, 1, path);
  return envelope;
}

/** Decodes (merges) `bytes` into the peer `ApplicationPolicy` `policy`, which sits `depth` messages deep. */
export function decodeApplicationPolicyInto(bytes: MessageBytes, policy: ApplicationPolicy, depth: number, path: string): void {
  checkDepth(depth, path, 'protos.ApplicationPolicy');
  const r = new WireReader(bytes, path, 'protos.ApplicationPolicy');
  while (r.next()) {
    if (r.has(1, LEN)) {
      let envelope = policy.getSignaturePolicy();
      if (envelope === undefined) policy.setSignaturePolicy((envelope = new SignaturePolicyEnvelope()));
      decodeSignatureEnvelopeInto(r.bytes(), envelope, depth + 1, `${path}.signature_policy`);
    } else if (r.has(2, LEN)) policy.setChannelConfigPolicyReference(r.string());
    else r.skip();
  }
}

/** `ApplicationPolicy` bytes decoded on their own. */
export function decodeApplicationPolicy(bytes: Uint8Array, path: string): ApplicationPolicy {
  const policy = new ApplicationPolicy();
  decodeApplicationPolicyInto(bytes, policy, 1, path);
  return policy;
}

/** A oneof `int32` member: written even when 0, as google-protobuf and protobuf-go write a set oneof. */
function oneofInt32(field: number, value: number): Uint8Array {
  return int32Field(field, value) ?? Uint8Array.of(field * 8, 0);
}

/** One rule of the tree in pre-order: its own bytes ahead of its children, its size, its parent. */
interface Flat {
  readonly rule: SignaturePolicy;
  readonly parent: number;
  /** signed_by, or the gate's `n`: what precedes the children in the rule's (or gate's) body. */
  readonly head: Uint8Array;
  readonly gate: boolean;
  /** The gate's body size (head and children), then the rule's size. */
  gateSize: number;
  size: number;
}

/** The bytes of a rule tree, as google-protobuf's `serializeBinary` writes them, without recursion. */
function encodeRule(root: SignaturePolicy): Uint8Array {
  const flat: Flat[] = [];
  const todo: { rule: SignaturePolicy; parent: number }[] = [{ rule: root, parent: -1 }];
  for (let t = todo.pop(); t !== undefined; t = todo.pop()) {
    const { rule, parent } = t;
    const gate = rule.getNOutOf();
    const isGate = rule.getTypeCase() === SignaturePolicy.TypeCase.N_OUT_OF && gate !== undefined;
    const head = isGate ? (int32Field(1, gate.getN()) ?? new Uint8Array(0)) : rule.getTypeCase() === SignaturePolicy.TypeCase.SIGNED_BY ? oneofInt32(1, rule.getSignedBy()) : new Uint8Array(0);
    const index = flat.length;
    flat.push({ rule, parent, head, gate: isGate, gateSize: head.length, size: 0 });
    const children = isGate ? gate.getRulesList() : [];
    for (let i = children.length - 1; i >= 0; i--) todo.push({ rule: children[i] as SignaturePolicy, parent: index });
  }
  // Children follow their parent in pre-order: sizes summed back to front.
  for (let i = flat.length - 1; i >= 0; i--) {
    const f = flat[i] as Flat;
    f.size = f.gate ? 1 + varintSize(f.gateSize) + f.gateSize : f.head.length;
    if (f.parent >= 0) (flat[f.parent] as Flat).gateSize += 1 + varintSize(f.size) + f.size;
  }
  const out = new Uint8Array((flat[0] as Flat).size);
  let pos = 0;
  for (const f of flat) {
    if (f.parent >= 0) {
      out[pos++] = 0x12; // NOutOf.rules
      pos = putVarint(out, pos, f.size);
    }
    if (f.gate) {
      out[pos++] = 0x12; // SignaturePolicy.n_out_of
      pos = putVarint(out, pos, f.gateSize);
    }
    out.set(f.head, pos);
    pos += f.head.length;
  }
  return out;
}

/** `envelope`'s bytes, as google-protobuf's `serializeBinary` writes them, without recursion. */
export function encodeSignatureEnvelope(envelope: SignaturePolicyEnvelope): Uint8Array {
  const rule = envelope.getRule();
  return message(
    int32Field(1, envelope.getVersion()),
    rule === undefined ? undefined : lenField(2, encodeRule(rule), false),
    ...envelope
      .getIdentitiesList()
      .map((p) => lenField(3, message(int32Field(1, p.getPrincipalClassification()), lenField(2, p.getPrincipal_asU8(), true)), false)),
  );
}

/** A peer `ApplicationPolicy`'s bytes, as google-protobuf's `serializeBinary` writes them, without recursion. */
export function encodeApplicationPolicy(policy: ApplicationPolicy): Uint8Array {
  const envelope = policy.getSignaturePolicy();
  if (policy.getTypeCase() === ApplicationPolicy.TypeCase.SIGNATURE_POLICY && envelope !== undefined) return message(lenField(1, encodeSignatureEnvelope(envelope), false));
  if (policy.getTypeCase() === ApplicationPolicy.TypeCase.CHANNEL_CONFIG_POLICY_REFERENCE) {
    return message(stringField(2, policy.getChannelConfigPolicyReference()) ?? lenField(2, new Uint8Array(0), false));
  }
  return new Uint8Array(0);
}

/**
 * Visits `root` and every rule below it in pre-order (the order cauthdsl's `compile` walks them),
 * without recursion; stops at the first visit that returns something, and returns that.
 */
export function firstInRules<T>(root: SignaturePolicy | undefined, visit: (rule: SignaturePolicy | undefined) => T | undefined): T | undefined {
  const todo: (SignaturePolicy | undefined)[] = [root];
  for (let i = todo.length; i > 0; i = todo.length) {
    const rule = todo.pop();
    const found = visit(rule);
    if (found !== undefined) return found;
    const gate = rule?.getTypeCase() === SignaturePolicy.TypeCase.N_OUT_OF ? rule.getNOutOf() : undefined;
    const children = gate?.getRulesList() ?? [];
    for (let j = children.length - 1; j >= 0; j--) todo.push(children[j]);
  }
  return undefined;
}
