/**
 * Signature policies as deep as Fabric takes them. `cauthdsl` has no depth bound of its own: the
 * bound is protobuf-go's `DefaultRecursionLimit` (10000 nested messages per `proto.Unmarshal`),
 * and each gate is two messages (the rule and its `n_out_of`). A key-level validation parameter is
 * unmarshalled alone, then wrapped in an `ApplicationPolicy` and unmarshalled again by the policy
 * evaluator, so it may hold 4998 gates over a `signed_by` leaf; a config policy, decoded once,
 * 4999. Weft refused anything past 128 gates: a transaction Fabric's peers validate failed here.
 */
import { PolicyError } from '../../../../core/errors';
import type { SigningIdentity } from '../../../../core/msp';
import { rolePrincipal, type Policy, type SignedData } from '../../../../core/policy';
import { sampleChannelConfig } from '../../../../core/policy/conformance-config';
import { ConformanceMsp } from '../../../../core/policy/conformance-msp';
import { FabricPolicyManager, FabricPolicyProvider, FabricSignaturePolicy, newApplicationPolicy } from '../../../../plugins/policy-fabric';
import { deepSignaturePolicy, inApplicationPolicy } from '../../../../core/policy/conformance-deep-policy';

const DATA = new TextEncoder().encode('tx');
const sd = (id: SigningIdentity): SignedData => ({ data: DATA, identity: id.serialized, signature: id.sign(DATA) });

function malformed(build: () => Policy): string {
  try {
    build();
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyError);
    return (err as PolicyError).code;
  }
  return 'accepted';
}

describe('signature policies nested as deep as Fabric allows', () => {
  const msp = new ConformanceMsp();
  const peer1 = msp.createIdentity('Org1MSP', 'peer');
  const peer2 = msp.createIdentity('Org2MSP', 'peer');
  const provider = new FabricPolicyProvider();
  const org1Peer = rolePrincipal('Org1MSP', 'peer').serializeBinary();
  const manager = FabricPolicyManager.fromConfig(sampleChannelConfig(['Org1MSP', 'Org2MSP']), msp);
  const keyLevel = (gates: number, emptyInnermost = false) => provider.newSignaturePolicy(deepSignaturePolicy(gates, org1Peer, { emptyInnermost }), msp);
  const chaincodePolicy = (gates: number) => newApplicationPolicy(inApplicationPolicy(deepSignaturePolicy(gates, org1Peer)), manager, msp);

  it('a key-level policy of 129 and of 4998 gates is evaluated, not refused', () => {
    for (const gates of [129, 4998]) {
      const policy = keyLevel(gates);
      expect(policy.evaluate([sd(peer1)]).satisfied).toBe(true);
      expect(policy.evaluate([sd(peer2)]).satisfied).toBe(false);
      expect(policy.evaluate([]).satisfied).toBe(false);
    }
  });

  it("a key-level policy of 4999 gates over a leaf is what Fabric's evaluator cannot unmarshal; with an empty innermost gate it can", () => {
    expect(malformed(() => keyLevel(4999))).toBe('POLICY_MALFORMED');
    // One message shallower: the innermost gate is the deepest message, at depth 10000 inside the ApplicationPolicy.
    const shallower = keyLevel(4999, true);
    expect(shallower.evaluate([]).satisfied).toBe(true);
    expect(malformed(() => keyLevel(5000, true))).toBe('POLICY_MALFORMED');
    expect(malformed(() => keyLevel(5000))).toBe('POLICY_MALFORMED');
  });

  it('a chaincode endorsement policy (ApplicationPolicy) takes 4998 gates, not 4999', () => {
    expect(chaincodePolicy(4998).evaluate([sd(peer1)]).satisfied).toBe(true);
    expect(malformed(() => chaincodePolicy(4999))).toBe('POLICY_MALFORMED');
  });

  it('a config signature policy, decoded once, takes 4999 gates, not 5000', () => {
    const config = FabricSignaturePolicy.fromBytes(deepSignaturePolicy(4999, org1Peer), msp);
    expect(config.evaluate([sd(peer1)]).satisfied).toBe(true);
    expect(malformed(() => FabricSignaturePolicy.fromBytes(deepSignaturePolicy(5000, org1Peer), msp))).toBe('POLICY_MALFORMED');
  });

  it('describes, enumerates and explains a deep policy without exhausting the stack', () => {
    const policy = FabricSignaturePolicy.fromBytes(deepSignaturePolicy(4999, org1Peer), msp);
    expect(policy.principalSets().map((set) => set.length)).toEqual([1]);
    expect(policy.toString()).toMatch(/^OR\(OR\(.*OutOf\(1, …\)\)+$/);
    const failed = policy.evaluate([sd(peer2)]);
    expect(failed.satisfied ? '' : failed.reason).toContain("no valid signature from 'Org1MSP.peer'");
  });

  it('names the path of a bad element deep in the tree, built only on failure', () => {
    const bytes = deepSignaturePolicy(300, org1Peer);
    // The leaf is `signed_by 0`, just before the identities field: make it `signed_by 1`, out of range.
    const leaf = bytes.length - org1Peer.length - 3;
    expect([bytes[leaf - 1], bytes[leaf]]).toEqual([0x08, 0x00]);
    bytes[leaf] = 0x01;
    expect(() => FabricSignaturePolicy.fromBytes(bytes, msp)).toThrow(`rule${'.n_out_of.rules[0]'.repeat(300)}: identity index out of range, requested 1`);
  });
});
