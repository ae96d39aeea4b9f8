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
import { ProtocolError } from '../../core/errors';
import { LEN, VARINT, WireReader } from '../../core/protocol/wire-reader';

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

/** Runs a decoder, its `WireReader` failures (`PROTOCOL_MALFORMED`) as {@link WireError}s. */
function wire<T>(decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    if (err instanceof ProtocolError) throw new WireError(err.message);
    throw err;
  }
}

/**
 * Decodes `bytes` into `root` (Go's `proto.Unmarshal` into a fresh message, or a merge into one),
 * with a stack of readers rather than recursion: a policy may nest as deep as Go's limit.
 */
function decodeInto(bytes: Uint8Array, root: Target, depth0: number): void {
  if (depth0 > GO_RECURSION_LIMIT) throw new WireError('exceeded maximum recursion depth');
  const stack: { reader: WireReader; target: Target }[] = [{ reader: new WireReader(bytes, 'policy', 'SignaturePolicyEnvelope'), target: root }];
  while (stack.length > 0) {
    const { reader: r, target: t } = stack[stack.length - 1] as { reader: WireReader; target: Target };
    if (!r.next()) {
      stack.pop();
      continue;
    }
    if (r.has(1, VARINT)) {
      const v = r.int32();
      if (t.kind === 'envelope') t.m.version = v;
      else if (t.kind === 'rule') {
        t.m.which = 'signed_by';
        t.m.signedBy = v;
      } else if (t.kind === 'gate') t.m.n = v;
      else t.m.classification = v;
      continue;
    }
    if (!r.has(2, LEN) && !(t.kind === 'envelope' && r.has(3, LEN))) {
      r.skip();
      continue;
    }
    const body = r.bytes();
    let child: Target;
    if (t.kind === 'principal') {
      t.m.principal = body.slice();
      continue;
    } else if (t.kind === 'envelope' && r.field === 3) {
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
    stack.push({ reader: new WireReader(body, 'policy', child.kind), target: child });
  }
}

/**
 * The envelope as google-protobuf messages, and how deep its messages nest (the envelope itself is
 * 1): Go's re-encoding of the decoded envelope nests exactly that deep, whatever the bytes held.
 * Built top down without recursion: a rule may nest as deep as Go's limit allows, and
 * google-protobuf walks the whole subtree (recursively) of a message handed to a setter, so every
 * message is attached while still empty.
 */
function toProto(env: Envelope): { envelope: SignaturePolicyEnvelope; depth: number } {
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
  let depth = env.identities.length > 0 ? 2 : 1;
  if (env.rule === undefined) return { envelope: out, depth };
  const root = new SignaturePolicy();
  out.setRule(root);
  // A rule `level` gates below the envelope's own sits at depth 2 + 2·level, its gate one deeper.
  const stack: { rule: Rule; proto: SignaturePolicy; level: number }[] = [{ rule: env.rule, proto: root, level: 0 }];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const { rule, proto, level } = top;
    if (rule.which === 'signed_by') proto.setSignedBy(rule.signedBy);
    if (rule.which !== 'n_out_of') {
      depth = Math.max(depth, 2 + 2 * level);
      continue;
    }
    depth = Math.max(depth, 3 + 2 * level);
    const gate = new SignaturePolicy.NOutOf();
    gate.setN(rule.gate.n);
    proto.setNOutOf(gate);
    const children = rule.gate.rules.map(() => new SignaturePolicy());
    gate.setRulesList(children);
    for (let i = children.length - 1; i >= 0; i--) stack.push({ rule: rule.gate.rules[i], proto: children[i], level: level + 1 });
  }
  return { envelope: out, depth };
}

/**
 * `SignaturePolicyEnvelope` bytes as Go reads them. `nestedIn` > 0: the envelope, once decoded, must
 * also fit Go's limit when re-encoded inside that many enclosing messages and decoded again, as
 * Fabric's validator does with a key-level validation parameter (unmarshalled alone, wrapped in an
 * `ApplicationPolicy`, marshalled, unmarshalled again by the policy evaluator).
 */
export function decodeEnvelopeWire(bytes: Uint8Array, nestedIn = 0): SignaturePolicyEnvelope {
  const env: Envelope = { version: 0, rule: undefined, identities: [] };
  wire(() => decodeInto(bytes, { kind: 'envelope', m: env }, 1));
  const { envelope, depth } = toProto(env);
  if (nestedIn + depth > GO_RECURSION_LIMIT) {
    throw new WireError(`exceeded maximum recursion depth (${depth} nested messages, inside ${nestedIn} more, beyond Go's limit of ${GO_RECURSION_LIMIT})`);
  }
  return envelope;
}

/** `ApplicationPolicy` bytes as Go reads them (the reference must be valid UTF-8, as Go requires of a string). */
export function decodeApplicationPolicyWire(bytes: Uint8Array): { signaturePolicy: SignaturePolicyEnvelope } | { reference: string } | undefined {
  return wire(() => {
    const r = new WireReader(bytes, 'policy', 'ApplicationPolicy');
    let which: 'none' | 'sig' | 'ref' = 'none';
    let env: Envelope = { version: 0, rule: undefined, identities: [] };
    let reference = '';
    while (r.next()) {
      if (r.has(1, LEN)) {
        if (which !== 'sig') env = { version: 0, rule: undefined, identities: [] };
        which = 'sig';
        decodeInto(r.bytes(), { kind: 'envelope', m: env }, 2);
      } else if (r.has(2, LEN)) {
        reference = r.string();
        which = 'ref';
      } else r.skip();
    }
    if (which === 'sig') return { signaturePolicy: toProto(env).envelope };
    if (which === 'ref') return { reference };
    return undefined;
  });
}

/** `ImplicitMetaPolicy` bytes as Go reads them: `sub_policy` (1, UTF-8 or an error) and `rule` (2, an open enum). */
export function decodeImplicitMetaWire(bytes: Uint8Array): { rule: number; subPolicy: string } {
  return wire(() => {
    const r = new WireReader(bytes, 'policy', 'ImplicitMetaPolicy');
    let rule = 0;
    let subPolicy = '';
    while (r.next()) {
      if (r.has(2, VARINT)) rule = r.int32();
      else if (r.has(1, LEN)) subPolicy = r.string();
      else r.skip();
    }
    return { rule, subPolicy };
  });
}
