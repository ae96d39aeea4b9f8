import { SignaturePolicy, SignaturePolicyEnvelope } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { MSPPrincipal } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import { PolicyError } from '../../../../core/errors';
import type { SigningIdentity } from '../../../../core/msp';
import { compilePolicyExpression, nOutOf, signedBy as signedByRule, type PolicyEvaluation, type SignedData } from '../../../../core/policy';
import { sampleChannelConfig } from '../../../../core/policy/conformance-config';
import { ConformanceMsp } from '../../../../core/policy/conformance-msp';
import { FabricPolicyManager, FabricSignaturePolicy } from '../../../../plugins/policy-fabric';

const DATA = new TextEncoder().encode('tx bytes');
const sd = (id: SigningIdentity): SignedData => ({ data: DATA, identity: id.serialized, signature: id.sign(DATA) });
const forged = (id: SigningIdentity): SignedData => ({ data: DATA, identity: id.serialized, signature: id.sign(new TextEncoder().encode('other')) });
const reasonOf = (r: PolicyEvaluation): string => (r.satisfied ? '' : r.reason);

describe('FabricSignaturePolicy', () => {
  const msp = new ConformanceMsp();
  const peerA1 = msp.createIdentity('Org1MSP', 'peer');
  const peerA2 = msp.createIdentity('Org1MSP', 'peer');
  const peerA3 = msp.createIdentity('Org1MSP', 'peer');
  const clientA = msp.createIdentity('Org1MSP', 'client');
  const peerB = msp.createIdentity('Org2MSP', 'peer');
  const peerC = msp.createIdentity('Org3MSP', 'peer');
  const policy = (expr: string) => FabricSignaturePolicy.fromBytes(compilePolicyExpression(expr), msp);

  describe("Fabric's greedy evaluation, reproduced exactly", () => {
    it('each signed_by takes the first unused matching identity, even when another assignment would work', () => {
      // Fabric: 'member' grabs the peer listed first, then 'peer' finds nothing left.
      expect(policy("AND('Org1MSP.member', 'Org1MSP.peer')").evaluate([sd(peerA1), sd(clientA)]).satisfied).toBe(false);
      expect(policy("AND('Org1MSP.member', 'Org1MSP.peer')").evaluate([sd(clientA), sd(peerA1)]).satisfied).toBe(true);
    });

    it('a gate keeps consuming identities after reaching n (no short cut), starving later siblings', () => {
      const p = policy("AND(OR('Org1MSP.member', 'Org1MSP.member'), 'Org1MSP.member')");
      expect(p.evaluate([sd(peerA1), sd(peerA2)]).satisfied).toBe(false);
      expect(p.evaluate([sd(peerA1), sd(peerA2), sd(peerA3)]).satisfied).toBe(true);
      expect(policy("AND(OutOf(0, 'Org1MSP.member'), 'Org1MSP.member')").evaluate([sd(peerA1)]).satisfied).toBe(false);
    });

    it('a failed nested gate gives back the identities it consumed', () => {
      const p = policy("OR(AND('Org1MSP.peer', 'Org2MSP.peer'), 'Org1MSP.peer')");
      expect(p.evaluate([sd(peerA1)]).satisfied).toBe(true);
    });

    it('OutOf(n+1, …) is never satisfied; OutOf(0, …) always is', () => {
      expect(policy("OutOf(3, 'Org1MSP.peer', 'Org2MSP.peer')").evaluate([sd(peerA1), sd(peerB)]).satisfied).toBe(false);
      expect(policy("OutOf(0, 'Org1MSP.peer', 'Org2MSP.peer')").evaluate([]).satisfied).toBe(true);
    });
  });

  describe('signature checks', () => {
    it('verifies only signatures whose identity matches a principal being tried', () => {
      const before = msp.verifications;
      expect(policy("OR('Org1MSP.peer')").evaluate([sd(peerB), sd(peerC), sd(peerA1)]).satisfied).toBe(true);
      expect(msp.verifications - before).toBe(1);
    });

    it('checks a signer repeated many times once', () => {
      const before = msp.verifications;
      const set = Array.from({ length: 100 }, () => sd(peerA1));
      expect(policy("AND('Org1MSP.peer', 'Org1MSP.peer')").evaluate(set).satisfied).toBe(false);
      expect(msp.verifications - before).toBe(1);
    });

    it('a bad first signature of an identity does not hide a good second one (Fabric dedups after verifying)', () => {
      expect(policy("OR('Org1MSP.peer')").evaluate([forged(peerA1), sd(peerA1)]).satisfied).toBe(true);
      expect(policy("AND('Org1MSP.peer', 'Org1MSP.peer')").evaluate([forged(peerA1), sd(peerA1)]).satisfied).toBe(false);
    });

    it('treats two encodings of one identity as one signer', () => {
      const alias: SignedData = { ...sd(peerA1), identity: msp.aliasOf(peerA1) };
      expect(policy("AND('Org1MSP.peer', 'Org1MSP.peer')").evaluate([sd(peerA1), alias]).satisfied).toBe(false);
    });

    it('skips entries that are not bytes instead of throwing', () => {
      const junk = { data: 'x', identity: undefined, signature: null } as unknown as SignedData;
      expect(policy("OR('Org1MSP.peer')").evaluate([junk, sd(peerA1)]).satisfied).toBe(true);
      expect(policy("OR('Org1MSP.peer')").evaluate(undefined as unknown as SignedData[]).satisfied).toBe(false);
    });

    it('a principal the MSP cannot interpret is not satisfied, and does not throw', () => {
      const env = new SignaturePolicyEnvelope();
      const anonymity = new MSPPrincipal();
      anonymity.setPrincipalClassification(MSPPrincipal.Classification.ANONYMITY);
      env.setIdentitiesList([anonymity]);
      env.setRule(nOutOf(1, [signedByRule(0)]));
      const p = FabricSignaturePolicy.fromBytes(env.serializeBinary(), msp);
      expect(p.evaluate([sd(peerA1)]).satisfied).toBe(false);
    });

    it('deserializes each entry once per evaluation, even across an implicit meta policy’s sub-policies', () => {
      const manager = FabricPolicyManager.fromConfig(sampleChannelConfig(['Org1MSP', 'Org2MSP', 'Org3MSP']), msp);
      const endorsement = manager.getPolicy('/Channel/Application/Endorsement');
      const d0 = msp.deserializations;
      const v0 = msp.verifications;
      expect(endorsement?.evaluate([sd(peerC), sd(peerB), sd(peerA1)]).satisfied).toBe(true);
      expect(msp.deserializations - d0).toBe(3);
      expect(msp.verifications - v0).toBeLessThanOrEqual(3);
      const v1 = msp.verifications;
      expect(endorsement?.evaluate([sd(peerC), forged(peerB), forged(peerA1)]).satisfied).toBe(false);
      expect(msp.verifications - v1).toBeLessThanOrEqual(3);
    });
  });

  describe('reasons', () => {
    it('names the principals nobody satisfied and the signatures skipped, and why', () => {
      const stranger: SignedData = { data: DATA, identity: msp.foreignIdentity('Org9MSP'), signature: new Uint8Array(8) };
      const r = policy("AND('Org1MSP.peer', 'Org2MSP.peer', 'Org3MSP.peer')").evaluate([stranger, sd(peerA1), sd(peerA1), forged(peerB)]);
      const reason = reasonOf(r);
      expect(reason).toContain("AND('Org1MSP.peer', 'Org2MSP.peer', 'Org3MSP.peer')");
      expect(reason).toContain("no valid signature from 'Org2MSP.peer', 'Org3MSP.peer'");
      expect(reason).toContain('#0 identity does not deserialize (MSP_UNKNOWN');
      expect(reason).toContain('#2 duplicate of signature #1');
      expect(reason).toContain('#3 invalid signature by Org2MSP identity');
    });

    it('says when every principal had a signer but not enough distinct ones', () => {
      expect(reasonOf(policy("AND('Org1MSP.member', 'Org1MSP.peer')").evaluate([sd(peerA1)]))).toContain('not enough distinct ones');
    });

    it('says when no signatures were given, and names revoked identities', () => {
      expect(reasonOf(policy("OR('Org1MSP.peer')").evaluate([]))).toContain('no signatures given');
      const revoked = msp.createIdentity('Org1MSP', 'peer');
      msp.revoke(revoked);
      expect(reasonOf(policy("OR('Org1MSP.peer')").evaluate([sd(revoked)]))).toContain('is not valid (MSP_REVOKED');
    });

    it('renders the policy in the policy language', () => {
      expect(policy("OutOf(2, 'A.peer', OR('B.admin', 'C.client'), 'D.orderer')").toString()).toBe(
        "OutOf(2, 'A.peer', OR('B.admin', 'C.client'), 'D.orderer')",
      );
      expect(policy("AND('A.member', 'B.member')").toString()).toBe("AND('A.member', 'B.member')");
    });
  });

  describe('compile errors', () => {
    it('names the field of an empty nested rule', () => {
      const env = SignaturePolicyEnvelope.deserializeBinary(compilePolicyExpression("OR('A.member')"));
      env.setRule(nOutOf(1, [signedByRule(0), new SignaturePolicy()]));
      expect(() => FabricSignaturePolicy.fromBytes(env.serializeBinary(), msp)).toThrow(PolicyError);
      expect(() => FabricSignaturePolicy.fromBytes(env.serializeBinary(), msp)).toThrow('rule.n_out_of.rules[1]: unknown rule type');
    });

    it.each([
      ['truncated', Uint8Array.from([0x12, 0x0c, 0x12, 0x0a, 0x08])],
      ['wrong wire type', Uint8Array.from([0x0f, 0x01])],
      ['random', Uint8Array.from([0xde, 0xad, 0xbe, 0xef, 0x01, 0x02])],
      ['empty', new Uint8Array()],
    ])('rejects %s envelope bytes with PolicyError POLICY_MALFORMED', (_name, bytes) => {
      try {
        FabricSignaturePolicy.fromBytes(bytes, msp);
        throw new Error('accepted');
      } catch (err) {
        expect(err).toBeInstanceOf(PolicyError);
        expect((err as PolicyError).code).toBe('POLICY_MALFORMED');
      }
    });
  });
});
