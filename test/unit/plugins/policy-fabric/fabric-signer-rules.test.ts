/**
 * Where Weft's policy engine used to part from Fabric's peers on which signers count, checked with
 * real X.509 identities: Fabric's `SignatureSetToValidIdentities` drops signers that do not
 * deserialize or whose signature fails, but leaves validity to `SatisfiesPrincipal`, which skips it
 * for an admin listed in the MSP config and for an ANONYMITY NOMINAL principal.
 */
import { sign as cryptoSign } from 'node:crypto';
import { MSPIdentityAnonymity, MSPPrincipal } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import { SignaturePolicyEnvelope } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import type { IdentityDeserializer } from '../../../../core/msp';
import { nOutOf, signedBy as signedByRule, type SignedData } from '../../../../core/policy';
import { createTestOrg, CURVE_ORDERS, serializeIdentity, toLowS, X509MspProvider, type TestIdentity } from '../../../../plugins/msp-x509';
import { FabricPolicyProvider, FabricSignaturePolicy } from '../../../../plugins/policy-fabric';

const DATA = new TextEncoder().encode('a config update');

function signedBy(id: TestIdentity, serialized: Uint8Array = id.serialized): SignedData {
  const der = new Uint8Array(cryptoSign('sha256', DATA, { key: id.privateKey, dsaEncoding: 'der' }));
  return { data: DATA, identity: serialized, signature: toLowS(der, CURVE_ORDERS.prime256v1) };
}

function nominalPolicy(): Uint8Array {
  const anonymity = new MSPIdentityAnonymity();
  anonymity.setAnonymityType(MSPIdentityAnonymity.MSPIdentityAnonymityType.NOMINAL);
  const principal = new MSPPrincipal();
  principal.setPrincipalClassification(MSPPrincipal.Classification.ANONYMITY);
  principal.setPrincipal(anonymity.serializeBinary());
  const envelope = new SignaturePolicyEnvelope();
  envelope.setIdentitiesList([principal]);
  envelope.setRule(nOutOf(1, [signedByRule(0)]));
  return envelope.serializeBinary();
}

describe('which signers count (Fabric SignatureSetToValidIdentities + SatisfiesPrincipal)', () => {
  const provider = new FabricPolicyProvider();
  const mspProvider = new X509MspProvider();
  let deserializer: IdentityDeserializer;
  let listedAdmin: TestIdentity;
  let revokedPeer: TestIdentity;
  let peer: TestIdentity;
  let foreignAsOrg1: SignedData;

  beforeAll(async () => {
    const org = await createTestOrg({ mspId: 'Org1MSP' });
    const stranger = await createTestOrg({ mspId: 'Org9MSP' });
    // An admin named in the MSP's admins list (a client under NodeOUs, as Fabric's setup requires), then revoked.
    listedAdmin = await org.issue('Admin2@org1', { role: 'client' });
    revokedPeer = await org.issue('peer9.org1', { role: 'peer' });
    peer = await org.issue('peer0.org1', { role: 'peer' });
    await org.revoke(listedAdmin, revokedPeer);
    const config = org.mspConfig();
    config.setAdminsList([new TextEncoder().encode(listedAdmin.certPem)]);
    deserializer = mspProvider.createManager([mspProvider.createMsp(config)]);
    const outsider = await stranger.issue('peer0.org9', { role: 'peer' });
    foreignAsOrg1 = signedBy(outsider, serializeIdentity('Org1MSP', outsider.certPem));
  });

  const holds = (expression: string, set: readonly SignedData[]): boolean =>
    provider.newSignaturePolicy(provider.compileExpression(expression), deserializer).evaluate(set).satisfied;

  it('a listed admin whose certificate was revoked still satisfies the admin role, and nothing that needs validity', () => {
    expect(holds("OR('Org1MSP.admin')", [signedBy(listedAdmin)])).toBe(true);
    expect(holds("OR('Org1MSP.member')", [signedBy(listedAdmin)])).toBe(false);
    expect(holds("OR('Org1MSP.client')", [signedBy(listedAdmin)])).toBe(false);
    expect(holds("AND('Org1MSP.admin', 'Org1MSP.peer')", [signedBy(listedAdmin), signedBy(peer)])).toBe(true);
  });

  it('an ANONYMITY NOMINAL principal takes any signer that deserializes, revoked or not, but not one without a chain', () => {
    const nominal = provider.newSignaturePolicy(nominalPolicy(), deserializer);
    expect(nominal.evaluate([signedBy(peer)]).satisfied).toBe(true);
    expect(nominal.evaluate([signedBy(revokedPeer)]).satisfied).toBe(true);
    // Fabric's MSP cannot sanitize a certificate with no chain to its roots: it does not deserialize.
    expect(nominal.evaluate([foreignAsOrg1]).satisfied).toBe(false);
    const reason = nominal.evaluate([foreignAsOrg1]);
    expect(reason.satisfied ? '' : reason.reason).toContain('#0 identity does not deserialize (MSP_UNTRUSTED_CHAIN');
  });

  it('a revoked signer that satisfies nothing is named in the reason', () => {
    const r = provider.newSignaturePolicy(provider.compileExpression("OR('Org1MSP.peer')"), deserializer).evaluate([signedBy(revokedPeer)]);
    expect(r.satisfied).toBe(false);
    expect(r.satisfied ? '' : r.reason).toContain('#0 identity of Org1MSP is not valid (MSP_REVOKED');
  });
});

describe('envelope versions (Fabric: checked for config policies only)', () => {
  const provider = new FabricPolicyProvider();
  let deserializer: IdentityDeserializer;
  let peer: TestIdentity;
  let version1: Uint8Array;

  beforeAll(async () => {
    const mspProvider = new X509MspProvider();
    const org = await createTestOrg({ mspId: 'Org1MSP' });
    peer = await org.issue('peer0.org1', { role: 'peer' });
    deserializer = mspProvider.createManager([mspProvider.createMsp(org.mspConfig())]);
    const envelope = SignaturePolicyEnvelope.deserializeBinary(provider.compileExpression("OR('Org1MSP.peer')"));
    envelope.setVersion(1);
    version1 = envelope.serializeBinary();
  });

  it("a key-level or collection policy of version 1 is evaluated, as Fabric's EnvelopeBasedPolicyProvider does", () => {
    const policy = provider.newSignaturePolicy(version1, deserializer);
    expect(policy.evaluate([signedBy(peer)]).satisfied).toBe(true);
    expect(policy.evaluate([]).satisfied).toBe(false);
  });

  it('a config policy of version 1 is refused, as cauthdsl.NewPolicyProvider refuses it', () => {
    expect(() => FabricSignaturePolicy.fromBytes(version1, deserializer, '/Channel/Application/Org1MSP/Endorsement')).toThrow(
      /only understands SignaturePolicyEnvelope version 0, but version was 1/,
    );
  });
});
