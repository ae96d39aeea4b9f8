/**
 * `SignaturePolicyEnvelope` and `ApplicationPolicy` bytes decoded as Go's protobuf runtime
 * (google.golang.org/protobuf) decodes them on Fabric's peers, not as google-protobuf does. The
 * two part on bytes anyone can write (a key-level validation parameter is whatever a chaincode
 * stores): a known field with another wire type is an unknown field to Go but an error here; a
 * message field repeated is merged by Go but replaced here. Either would fail a transaction that
 * Fabric's peers accept. Decoding is iterative, with Go's nesting limit of 10000 messages.
 */
import { SignaturePolicy, SignaturePolicyEnvelope } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { MSPPrincipal } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import { MAX_POLICY_DEPTH, nOutOf, signedBy } from '../../core/policy';

/** protowire.DefaultRecursionLimit. */
const GO_RECURSION_LIMIT = 10000;

/** A wire format problem; the caller turns it into a `PolicyError`. */
export class WireError extends Error {}

interface Rule {
  /** Which member of the `type` oneof is set, as Go keeps it. */
  which: 'none' | 'signed_by' | 'n_out_of';
  signedBy: number;
  gate: Gate;
}
interface Gate {
  n: number;
  rules: Rule[];
}
interface Principal {
  classification: number;
  principal: Uint8Array;
}
interface Envelope {
  version: number;
  rule: Rule | undefined;
  identities: Principal[];
}

type Target =
  | { readonly kind: 'envelope'; readonly m: Envelope }
  | { readonly kind: 'rule'; readonly m: Rule }
  | { readonly kind: 'gate'; readonly m: Gate }
  | { readonly kind: 'principal'; readonly m: Principal };

const newRule = (): Rule => ({ which: 'none', signedBy: 0, gate: { n: 0, rules: [] } });

class Reader {
  pos = 0;
  constructor(readonly b: Uint8Array) {}

  /** protowire.ConsumeVarint; returns the low 32 bits as Go's int32(v) would. */
  varint32(): number {
    let lo = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.b.length) throw new WireError('truncated varint');
      const byte = this.b[this.pos++] as number;
      if (i < 5) lo = (lo | ((byte & 0x7f) << (7 * i))) >>> 0;
      if (i === 9 && byte > 1) throw new WireError('varint overflows 64 bits');
      if (byte < 0x80) return lo | 0;
    }
    throw new WireError('varint overflows 64 bits');
  }

  /** A length as Go reads it: a uint64 varint that must fit the bytes left. */
  length(): number {
    const start = this.pos;
    let value = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.b.length) throw new WireError('truncated varint');
      const byte = this.b[this.pos++] as number;
      value += (byte & 0x7f) * 2 ** (7 * i);
      if (i === 9 && byte > 1) throw new WireError('varint overflows 64 bits');
      if (byte < 0x80) {
        if (value > this.b.length - this.pos) throw new WireError(`length ${value} at byte ${start} runs past the end`);
        return value;
      }
    }
    throw new WireError('varint overflows 64 bits');
  }

  tag(): { num: number; type: number } {
    const at = this.pos;
    let value = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.b.length) throw new WireError('truncated tag');
      const byte = this.b[this.pos++] as number;
      value += (byte & 0x7f) * 2 ** (7 * i);
      if (i === 9 && byte > 1) throw new WireError('tag overflows 64 bits');
      if (byte < 0x80) break;
    }
    const num = Math.floor(value / 8);
    if (num < 1 || num > 0x1fffffff) throw new WireError(`invalid field number ${num} at byte ${at}`);
    return { num, type: value % 8 };
  }

  /** Skips a field Go keeps as unknown (protowire.ConsumeFieldValue), groups included. */
  skip(num: number, type: number): void {
    const groups: number[] = [];
    for (;;) {
      switch (type) {
        case 0: this.varint32(); break;
        case 1: this.fixed(8); break;
        case 2: {
          const len = this.length();
          this.pos += len;
          break;
        }
        case 5: this.fixed(4); break;
        case 3:
          if (groups.length >= GO_RECURSION_LIMIT) throw new WireError('exceeded maximum recursion depth');
          groups.push(num);
          break;
        case 4:
          if (groups.pop() !== num) throw new WireError('mismatching end group');
          break;
        default:
          throw new WireError(`invalid wire type ${type}`);
      }
      if (groups.length === 0) return;
      ({ num, type } = this.tag());
    }
  }

  private fixed(n: number): void {
    if (this.pos + n > this.b.length) throw new WireError('truncated fixed-width field');
    this.pos += n;
  }
}

/** Decodes `bytes` into `root` (Go's `proto.Unmarshal` into a fresh message, or a merge into one). */
function decodeInto(bytes: Uint8Array, root: Target, depth0: number): void {
  const r = new Reader(bytes);
  const stack: { target: Target; end: number }[] = [{ target: root, end: bytes.length }];
  if (depth0 > GO_RECURSION_LIMIT) throw new WireError('exceeded maximum recursion depth');
  while (stack.length > 0) {
    const frame = stack[stack.length - 1] as { target: Target; end: number };
    if (r.pos === frame.end) {
      stack.pop();
      continue;
    }
    if (r.pos > frame.end) throw new WireError('field runs past its message');
    const { num, type } = r.tag();
    if (type === 4) throw new WireError('unexpected end group');
    const t = frame.target;
    let child: Target | undefined;
    if (type === 0 && num === 1) {
      const v = r.varint32();
      if (t.kind === 'envelope') t.m.version = v;
      else if (t.kind === 'rule') {
        t.m.which = 'signed_by';
        t.m.signedBy = v;
      }
      else if (t.kind === 'gate') t.m.n = v;
      else t.m.classification = v;
      continue;
    }
    if (type === 2 && (num === 2 || (num === 3 && t.kind === 'envelope'))) {
      const len = r.length();
      if (t.kind === 'principal') {
        t.m.principal = bytes.slice(r.pos, r.pos + len);
        r.pos += len;
        continue;
      }
      if (t.kind === 'envelope' && num === 3) {
        const p: Principal = { classification: 0, principal: new Uint8Array() };
        t.m.identities.push(p);
        child = { kind: 'principal', m: p };
      } else if (t.kind === 'envelope') {
        t.m.rule ??= newRule();
        child = { kind: 'rule', m: t.m.rule };
      } else if (t.kind === 'rule') {
        // Another oneof member set before: Go starts a fresh message; the same one: Go merges.
        if (t.m.which !== 'n_out_of') t.m.gate = { n: 0, rules: [] };
        t.m.which = 'n_out_of';
        child = { kind: 'gate', m: t.m.gate };
      } else {
        const rule = newRule();
        t.m.rules.push(rule);
        child = { kind: 'rule', m: rule };
      }
      if (depth0 + stack.length > GO_RECURSION_LIMIT) throw new WireError('exceeded maximum recursion depth');
      stack.push({ target: child, end: r.pos + len });
      continue;
    }
    r.skip(num, type);
  }
}

function toProto(env: Envelope): SignaturePolicyEnvelope {
  const out = new SignaturePolicyEnvelope();
  out.setVersion(env.version);
  out.setIdentitiesList(
    env.identities.map((p) => {
      const m = new MSPPrincipal();
      m.setPrincipalClassification(p.classification as MSPPrincipal.ClassificationMap[keyof MSPPrincipal.ClassificationMap]);
      m.setPrincipal(p.principal);
      return m;
    }),
  );
  const convert = (rule: Rule, depth: number): SignaturePolicy | undefined => {
    // Deeper rules are refused when the policy compiles; build nothing that deep.
    if (depth > MAX_POLICY_DEPTH + 1) return undefined;
    if (rule.which === 'signed_by') return signedBy(rule.signedBy);
    if (rule.which === 'n_out_of') return nOutOf(rule.gate.n, rule.gate.rules.map((c) => convert(c, depth + 1) ?? newEmpty()));
    return newEmpty();
  };
  if (env.rule !== undefined) out.setRule(convert(env.rule, 1) ?? newEmpty());
  return out;
}

/** A rule with no oneof member: compiling it fails as Fabric's "unknown type" does. */
function newEmpty(): SignaturePolicy {
  return new SignaturePolicy();
}

/** `SignaturePolicyEnvelope` bytes as Go reads them. */
export function decodeEnvelopeWire(bytes: Uint8Array): SignaturePolicyEnvelope {
  const env: Envelope = { version: 0, rule: undefined, identities: [] };
  decodeInto(bytes, { kind: 'envelope', m: env }, 1);
  return toProto(env);
}

/** `ApplicationPolicy` bytes as Go reads them (the reference must be valid UTF-8, as Go requires of a string). */
export function decodeApplicationPolicyWire(bytes: Uint8Array): { signaturePolicy: SignaturePolicyEnvelope } | { reference: string } | undefined {
  const r = new Reader(bytes);
  let which: 'none' | 'sig' | 'ref' = 'none';
  let env: Envelope = { version: 0, rule: undefined, identities: [] };
  let reference = '';
  while (r.pos < bytes.length) {
    const { num, type } = r.tag();
    if (type === 4) throw new WireError('unexpected end group');
    if (type === 2 && (num === 1 || num === 2)) {
      const len = r.length();
      const body = bytes.subarray(r.pos, r.pos + len);
      r.pos += len;
      if (num === 1) {
        if (which !== 'sig') env = { version: 0, rule: undefined, identities: [] };
        which = 'sig';
        decodeInto(body, { kind: 'envelope', m: env }, 2);
      } else {
        try {
          reference = new TextDecoder('utf-8', { fatal: true }).decode(body);
        } catch {
          throw new WireError('channel_config_policy_reference contains invalid UTF-8');
        }
        which = 'ref';
      }
      continue;
    }
    r.skip(num, type);
  }
  if (which === 'sig') return { signaturePolicy: toProto(env) };
  if (which === 'ref') return { reference };
  return undefined;
}

/** `ImplicitMetaPolicy` bytes as Go reads them: `sub_policy` (1, UTF-8 or an error) and `rule` (2, an open enum). */
export function decodeImplicitMetaWire(bytes: Uint8Array): { rule: number; subPolicy: string } {
  const r = new Reader(bytes);
  let rule = 0;
  let subPolicy = '';
  while (r.pos < bytes.length) {
    const { num, type } = r.tag();
    if (type === 4) throw new WireError('unexpected end group');
    if (type === 0 && num === 2) {
      rule = r.varint32();
    } else if (type === 2 && num === 1) {
      const len = r.length();
      try {
        subPolicy = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(r.pos, r.pos + len));
      } catch {
        throw new WireError('sub_policy contains invalid UTF-8');
      }
      r.pos += len;
    } else {
      r.skip(num, type);
    }
  }
  return { rule, subPolicy };
}
