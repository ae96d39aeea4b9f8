/**
 * `SignaturePolicyEnvelope` bytes nested thousands of gates deep, for the policy conformance suite
 * and policy tests: written directly on the wire in linear time (google-protobuf builds and
 * serializes such trees recursively, and quadratically). Not re-exported from `core/policy`.
 */

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 127) {
    out.push((n % 128) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

export interface DeepPolicyOptions {
  /** The innermost gate is `n_out_of{n: 0}` with no rules (satisfied by anything) instead of a gate over `signed_by 0`. */
  readonly emptyInnermost?: boolean;
}

/**
 * `SignaturePolicy` bytes of `gates` nested `n`-out-of gates, each holding the next, the innermost
 * holding `signed_by: 0` (or, with `emptyInnermost`, the innermost gate itself empty): the sizes
 * inside out, then the headers outside in, in one pass.
 */
export function deepRule(gates: number, n = 1, options: DeepPolicyOptions = {}): Uint8Array {
  if (!Number.isInteger(gates) || gates < 1) throw new Error(`gates must be a positive integer, got ${gates}`);
  // rule{n_out_of{}} (2 bytes) stands for the innermost gate itself, or the leaf rule{signed_by: 0} under it.
  const innermost = options.emptyInnermost ? [0x12, 0x00] : [0x08, 0x00];
  const wrapping = options.emptyInnermost ? gates - 1 : gates;
  const ruleLength = [innermost.length];
  const bodyLength = [0];
  for (let i = 1; i <= wrapping; i++) {
    const inner = ruleLength[i - 1];
    const body = 2 + 1 + varint(inner).length + inner; // n, rules: [inner]
    bodyLength.push(body);
    ruleLength.push(1 + varint(body).length + body);
  }
  const out: number[] = [];
  for (let i = wrapping; i >= 1; i--) out.push(0x12, ...varint(bodyLength[i]), 0x08, n, 0x12, ...varint(ruleLength[i - 1]));
  out.push(...innermost);
  return Uint8Array.from(out);
}

/**
 * `envelope{rule: OutOf(1, OutOf(1, … 'signed_by 0' …)), identities: [principal]}` with `gates`
 * nested `n_out_of` gates. Go's decoder counts two messages per gate (the rule and its gate) below
 * the envelope, plus the `signed_by` leaf: the deepest message sits at 2·gates + 2
 * (2·gates + 1 with `emptyInnermost`).
 */
export function deepSignaturePolicy(gates: number, principal: Uint8Array, options: DeepPolicyOptions = {}): Uint8Array {
  const rule = deepRule(gates, 1, options);
  return Uint8Array.from([0x12, ...varint(rule.length), ...rule, 0x1a, ...varint(principal.length), ...principal]);
}

/** `ApplicationPolicy{signature_policy: envelope}` (a chaincode definition's endorsement policy). */
export function inApplicationPolicy(envelope: Uint8Array): Uint8Array {
  return Uint8Array.from([0x0a, ...varint(envelope.length), ...envelope]);
}
