/**
 * `SignaturePolicyEnvelope` and `ApplicationPolicy` bytes decoded as Go's protobuf runtime
 * (google.golang.org/protobuf) decodes them on Fabric's peers, not as google-protobuf does. The
 * two part on bytes anyone can write (a key-level validation parameter is whatever a chaincode
 * stores): a known field with another wire type is an unknown field to Go but an error here; a
 * message field repeated is merged by Go but replaced here. Either would fail a transaction that
 * Fabric's peers accept. Decoding is the protocol's iterative one (`core/protocol/policy-wire`),
 * with Go's nesting limit of 10000 messages.
 */
import { SignaturePolicy, type SignaturePolicyEnvelope } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { ApplicationPolicy } from '@hyperledger/fabric-protos/lib/peer/policy_pb';
import { ProtocolError } from '../../core/errors';
import { GO_RECURSION_LIMIT, decodeApplicationPolicy, decodeSignatureEnvelope } from '../../core/protocol/policy-wire';
import { LEN, VARINT, WireReader } from '../../core/protocol/wire-reader';

/** A wire format problem; the caller turns it into a `PolicyError`. */
export class WireError extends Error {}

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
 * How deep the messages of a decoded envelope nest (the envelope itself is 1): Go's re-encoding of
 * it nests exactly that deep, whatever the bytes held. A rule `level` gates below the envelope's
 * own sits at depth 2 + 2·level, its gate one deeper; a principal at 2. Walked without recursion.
 */
function envelopeDepth(envelope: SignaturePolicyEnvelope): number {
  let depth = envelope.getIdentitiesList().length > 0 ? 2 : 1;
  const root = envelope.getRule();
  const stack: { rule: SignaturePolicy; level: number }[] = root === undefined ? [] : [{ rule: root, level: 0 }];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const { rule, level } = top;
    const gate = rule.getTypeCase() === SignaturePolicy.TypeCase.N_OUT_OF ? rule.getNOutOf() : undefined;
    depth = Math.max(depth, (gate === undefined ? 2 : 3) + 2 * level);
    for (const child of gate?.getRulesList() ?? []) stack.push({ rule: child, level: level + 1 });
  }
  return depth;
}

/**
 * `SignaturePolicyEnvelope` bytes as Go reads them. `nestedIn` > 0: the envelope, once decoded, must
 * also fit Go's limit when re-encoded inside that many enclosing messages and decoded again, as
 * Fabric's validator does with a key-level validation parameter (unmarshalled alone, wrapped in an
 * `ApplicationPolicy`, marshalled, unmarshalled again by the policy evaluator).
 */
export function decodeEnvelopeWire(bytes: Uint8Array, nestedIn = 0): SignaturePolicyEnvelope {
  const envelope = wire(() => decodeSignatureEnvelope(bytes, 'policy'));
  const depth = envelopeDepth(envelope);
  if (nestedIn + depth > GO_RECURSION_LIMIT) {
    throw new WireError(`exceeded maximum recursion depth (${depth} nested messages, inside ${nestedIn} more, beyond Go's limit of ${GO_RECURSION_LIMIT})`);
  }
  return envelope;
}

/** `ApplicationPolicy` bytes as Go reads them (the reference must be valid UTF-8, as Go requires of a string). */
export function decodeApplicationPolicyWire(bytes: Uint8Array): { signaturePolicy: SignaturePolicyEnvelope } | { reference: string } | undefined {
  const policy = wire(() => decodeApplicationPolicy(bytes, 'policy'));
  const signaturePolicy = policy.getSignaturePolicy();
  if (policy.getTypeCase() === ApplicationPolicy.TypeCase.SIGNATURE_POLICY && signaturePolicy !== undefined) return { signaturePolicy };
  if (policy.getTypeCase() === ApplicationPolicy.TypeCase.CHANNEL_CONFIG_POLICY_REFERENCE) return { reference: policy.getChannelConfigPolicyReference() };
  return undefined;
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
