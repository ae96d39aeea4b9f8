import { createHash, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import { MSPPrincipal, MSPRole, OrganizationUnit } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import type { FabricMSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { MspErrorCode } from '../../../../core/msp/msp-error-code';
import { transientSender } from '../../../../core/peer/privdata/transient-senders';
import { DerReader, TAG } from '../../../../core/protocol/der-reader';
import {
  CURVE_ORDERS,
  X509Msp,
  createTestOrg,
  encodeEcdsaSignature,
  generateOrg,
  loadMspConfig,
  loadSigningIdentity,
  goPemDecode,
  parseEcdsaSignature,
  serializeIdentity,
  subjectKeyIdOf,
  toPem,
  type TestIdentity,
  type TestOrg,
} from '../../../../plugins/msp-x509';
import { ecdsaSigner, highSTwin, resignCrl, type ForgeSigner, type Forged } from './cert-forge';
import { mspCodeOf as codeOf, signWith, tempDir } from './fixtures';

/**
 * Certificates whose ECDSA signature has a high S, as cryptogen (Go's `ecdsa.Sign`) and OpenSSL
 * write half of the time, read as Fabric 2.4.9's MSP reads them: Go's crypto/x509 takes either S
 * for a certificate or CRL signature, `sanitizeCert` (msp/cert.go) re-encodes every ECDSA-signed
 * certificate low-S before it is hashed or compared (setupCAs for roots and intermediates,
 * newIdentity for identities), and only transaction signatures must be low-S (bccsp `verifyECDSA`).
 * The CAs are P-384 and the identities P-256, so sanitizing over the wrong curve's order shows.
 */

const CA_CURVE = 'secp384r1';
const CA_ORDER = CURVE_ORDERS[CA_CURVE]!;
const MESSAGE = new TextEncoder().encode('proposal bytes');
const utf8 = new TextEncoder();

/** The S of a certificate's or CRL's ECDSA signature (the BIT STRING after TBS and AlgorithmIdentifier). */
function signatureS(der: Uint8Array): bigint {
  const outer = new DerReader(new DerReader(der).read(TAG.SEQUENCE).content);
  outer.read(TAG.SEQUENCE);
  outer.read(TAG.SEQUENCE);
  return parseEcdsaSignature(outer.read(TAG.BIT_STRING).content.subarray(1))!.s;
}

const isHighS = (der: Uint8Array, order: bigint): boolean => signatureS(der) > order >> 1n;

/** ECDSA under `hash` with S always in the upper half (n − S of the low-S signature). */
function highSSigner(hash: 'sha256' | 'sha384'): ForgeSigner {
  const low = ecdsaSigner(hash);
  return {
    algorithmId: low.algorithmId,
    sign: (key, tbs) => {
      const rs = parseEcdsaSignature(low.sign(key, tbs))!;
      return encodeEcdsaSignature({ r: rs.r, s: CURVE_ORDERS[key.asymmetricKeyDetails!.namedCurve!]! - rs.s });
    },
  };
}

function principal(classification: MSPPrincipal.ClassificationMap[keyof MSPPrincipal.ClassificationMap], bytes: Uint8Array): MSPPrincipal {
  const p = new MSPPrincipal();
  p.setPrincipalClassification(classification);
  p.setPrincipal(bytes);
  return p;
}

function rolePrincipal(role: MSPRole.MSPRoleTypeMap[keyof MSPRole.MSPRoleTypeMap]): MSPPrincipal {
  const r = new MSPRole();
  r.setMspIdentifier('Org1MSP');
  r.setRole(role);
  return principal(MSPPrincipal.Classification.ROLE, r.serializeBinary());
}

/** The peer OU certified by the chain whose DER (issuer first) is `chain`: Fabric's certifiers identifier is SHA-256 over it. */
function peerOuPrincipal(...chain: Uint8Array[]): MSPPrincipal {
  const ou = new OrganizationUnit();
  ou.setMspIdentifier('Org1MSP');
  ou.setOrganizationalUnitIdentifier('peer');
  const hash = createHash('sha256');
  for (const der of chain) hash.update(der);
  ou.setCertifiersIdentifier(hash.digest());
  return principal(MSPPrincipal.Classification.ORGANIZATION_UNIT, ou.serializeBinary());
}

const rawOf = (cert: X509Certificate): Uint8Array => new Uint8Array(cert.raw);

describe("X509Msp and high-S certificate signatures, as Fabric 2.4.9's MSP (sanitizeCert)", () => {
  let org: TestOrg;
  let peer: TestIdentity;
  let otherPeer: TestIdentity;
  let highRoot: Forged;
  let highIca: Forged;
  let highPeer: Forged;

  /** The org's MSP definition with its root, intermediate and TLS CAs (and NodeOU certificates) in their high-S form. */
  function highConfig(): FabricMSPConfig {
    const config = org.mspConfig();
    config.setRootCertsList([utf8.encode(highRoot.pem)]);
    config.setIntermediateCertsList([utf8.encode(highIca.pem)]);
    // setupTLSCAs checks TLS CAs with Go's Verify, unsanitized: a high-S TLS root is as good.
    config.setTlsRootCertsList([utf8.encode(highSTwin(rawOf(org.tlsCa.certificate), CA_CURVE).pem)]);
    const ous = config.getFabricNodeOus()!;
    for (const ou of [ous.getClientOuIdentifier()!, ous.getPeerOuIdentifier()!, ous.getAdminOuIdentifier()!, ous.getOrdererOuIdentifier()!]) ou.setCertificate(utf8.encode(highIca.pem));
    return config;
  }

  beforeAll(async () => {
    org = await createTestOrg({ mspId: 'Org1MSP', intermediate: true, caKeyAlgorithm: 'P-384' });
    peer = await org.issue('peer0', { role: 'peer' });
    otherPeer = await org.issue('peer1', { role: 'peer' });
    highRoot = highSTwin(rawOf(org.ca.certificate), CA_CURVE);
    highIca = highSTwin(rawOf(org.intermediateCa!.certificate), CA_CURVE);
    highPeer = highSTwin(rawOf(peer.certificate), CA_CURVE);
  });

  it('takes a self-signed root and an intermediate signed high-S, and chains identities through them as their low-S forms', () => {
    // Weft's issuer writes low-S; each twin is the same certificate signed (r, n − s), which Go's x509 verifies.
    for (const [low, high] of [
      [org.ca.certificate, highRoot],
      [org.intermediateCa!.certificate, highIca],
      [peer.certificate, highPeer],
    ] as const) {
      expect([isHighS(rawOf(low), CA_ORDER), isHighS(high.der, CA_ORDER)]).toEqual([false, true]);
    }
    expect([highRoot.x509.verify(highRoot.x509.publicKey), highIca.x509.verify(highRoot.x509.publicKey), highPeer.x509.verify(highIca.x509.publicKey)]).toEqual([true, true, true]);
    const msp = new X509Msp(highConfig());
    const identity = msp.deserializeIdentity(peer.serialized);
    expect(codeOf(() => identity.validate())).toBe('valid');
    // The NodeOU certificate (the high-S intermediate) names the CA setupCAs sanitized: the role resolves.
    expect(identity.satisfiesPrincipal(rolePrincipal(MSPRole.MSPRoleType.PEER))).toBe(true);
    // The certifiers identifier hashes the sanitized (low-S) CAs, not the bytes the config carries.
    expect(identity.satisfiesPrincipal(peerOuPrincipal(rawOf(org.intermediateCa!.certificate), rawOf(org.ca.certificate)))).toBe(true);
    expect(identity.satisfiesPrincipal(peerOuPrincipal(highIca.der, highRoot.der))).toBe(false);
    // And an MSP configured with the low-S CAs computes the same one: the two configs are one org.
    const lowMsp = new X509Msp(org.mspConfig());
    expect(lowMsp.deserializeIdentity(peer.serialized).satisfiesPrincipal(peerOuPrincipal(rawOf(org.intermediateCa!.certificate), rawOf(org.ca.certificate)))).toBe(true);
  });

  it('validates a leaf signed high-S by a high-S intermediate; sanitizeCert gives the low-S bytes, over the issuer curve, and the id hashes them', () => {
    const msp = new X509Msp(highConfig());
    const high = msp.deserializeIdentity(serializeIdentity('Org1MSP', highPeer.pem));
    expect(codeOf(() => high.validate())).toBe('valid');
    // IsWellFormed asks for a canonical DER signature, not a low S.
    expect(codeOf(() => msp.isWellFormed(high.serialized))).toBe('valid');
    expect(Buffer.from(high.sanitizedDer).equals(Buffer.from(rawOf(peer.certificate)))).toBe(true);
    expect(high.id).toBe(createHash('sha256').update(rawOf(peer.certificate)).digest('hex'));
    expect(high.satisfiesPrincipal(rolePrincipal(MSPRole.MSPRoleType.PEER))).toBe(true);
  });

  it('takes the same leaf re-encoded low-S as the same identity: one id, IDENTITY principals and listed admins match both ways', async () => {
    const msp = new X509Msp(highConfig());
    const high = msp.deserializeIdentity(serializeIdentity('Org1MSP', highPeer.pem));
    const low = msp.deserializeIdentity(peer.serialized);
    const other = msp.deserializeIdentity(otherPeer.serialized);
    expect(low.id).toBe(high.id);
    expect(low.satisfiesPrincipal(principal(MSPPrincipal.Classification.IDENTITY, high.serialized))).toBe(true);
    expect(high.satisfiesPrincipal(principal(MSPPrincipal.Classification.IDENTITY, low.serialized))).toBe(true);
    expect(other.satisfiesPrincipal(principal(MSPPrincipal.Classification.IDENTITY, high.serialized))).toBe(false);
    // One sender to the transient store's quotas, whichever encoding a peer pushes with.
    expect(transientSender(high)).toBe(transientSender(low));
    expect(transientSender(other)).not.toBe(transientSender(low));

    // An admin listed (admincerts) in its high-S form is the admin its low-S form signs as.
    const admin = await org.issue('Admin', { role: 'client' });
    const config = highConfig();
    config.setAdminsList([utf8.encode(highSTwin(rawOf(admin.certificate), CA_CURVE).pem)]);
    const withAdmins = new X509Msp(config);
    const lowAdmin = withAdmins.deserializeIdentity(admin.serialized);
    expect(withAdmins.isListedAdmin(lowAdmin)).toBe(true);
    expect(lowAdmin.satisfiesPrincipal(rolePrincipal(MSPRole.MSPRoleType.ADMIN))).toBe(true);
    expect(withAdmins.isListedAdmin(withAdmins.deserializeIdentity(otherPeer.serialized))).toBe(false);
  });

  it('revokes the leaf, in both encodings, by a CRL its CA signed high-S; a high-S CRL from another key is ignored', async () => {
    const ica = org.intermediateCa!;
    // Revoked on the CA alone (not TestOrg.revoke): the other tests' configs carry no CRL.
    ica.revoke(peer.serialNumber);
    const lowCrl = await ica.crl();
    const ski = subjectKeyIdOf(ica.certificate.publicKey);
    const highCrl = resignCrl(utf8.encode(lowCrl), ica.privateKey, highSSigner('sha384'), ski);
    expect(isHighS(goPemDecode(utf8.encode(highCrl))!.bytes, CA_ORDER)).toBe(true);
    const withCrl = (crl: string): X509Msp => {
      const config = highConfig();
      config.setRevocationListList([utf8.encode(crl)]);
      return new X509Msp(config);
    };
    const msp = withCrl(highCrl);
    expect(codeOf(() => msp.deserializeIdentity(serializeIdentity('Org1MSP', highPeer.pem)).validate())).toBe(MspErrorCode.Revoked);
    expect(codeOf(() => msp.deserializeIdentity(peer.serialized).validate())).toBe(MspErrorCode.Revoked);
    expect(codeOf(() => msp.deserializeIdentity(otherPeer.serialized).validate())).toBe('valid');
    // Fabric checks the CRL really is the issuer's (CheckCRLSignature) before it revokes: the root's key, under the intermediate's AKI, revokes nothing.
    const forged = withCrl(resignCrl(utf8.encode(lowCrl), org.ca.privateKey, highSSigner('sha384'), ski));
    expect(codeOf(() => forged.deserializeIdentity(serializeIdentity('Org1MSP', highPeer.pem)).validate())).toBe('valid');
  });

  it('refuses a transaction signature with a high S from such an identity (bccsp verifyECDSA) and takes its low-S twin', async () => {
    const msp = new X509Msp(highConfig());
    const high = msp.deserializeIdentity(serializeIdentity('Org1MSP', highPeer.pem));
    const lowSig = signWith(peer.privateKey, MESSAGE);
    const rs = parseEcdsaSignature(lowSig)!;
    const highSig = encodeEcdsaSignature({ r: rs.r, s: CURVE_ORDERS.prime256v1! - rs.s });
    expect(high.verify(MESSAGE, lowSig)).toBe(true);
    expect(high.verify(MESSAGE, highSig)).toBe(false);
    expect(await high.verifyAsync(MESSAGE, highSig)).toBe(false);
    expect(codeOf(() => high.checkSignature(MESSAGE, highSig))).toBe(MspErrorCode.HighS);
  });

  it("serializes a node's own signing identity whose signcert is high-S as sanitizeCert made it, as Fabric's SigningIdentity.Serialize does", async () => {
    // A cryptogen-style folder whose signcert is the high-S twin, as Go's ecdsa.Sign leaves half of cryptogen's.
    const dir = tempDir('high-s-signer');
    try {
      const generated = await generateOrg({ domain: 'org1.example.com', mspId: 'Org1MSP', kind: 'peer' }, dir);
      const node = generated.nodes.peer0!;
      const lowDer = new Uint8Array(new X509Certificate(fs.readFileSync(node.signCertPath)).raw);
      const highSigncert = highSTwin(lowDer);
      fs.writeFileSync(node.signCertPath, highSigncert.pem);
      const signer = loadSigningIdentity(node.mspDir, 'Org1MSP');
      const lowPem = utf8.encode(toPem('CERTIFICATE', lowDer));
      // What Fabric 2.4.9's GetDefaultSigningIdentity().Serialize() gives for this folder: the low-S certificate.
      expect(Buffer.from(signer.serialized).equals(Buffer.from(serializeIdentity('Org1MSP', lowPem)))).toBe(true);
      expect(Buffer.from(signer.idBytes).equals(Buffer.from(lowPem))).toBe(true);
      expect(signer.id).toBe(createHash('sha256').update(lowDer).digest('hex'));
      // The channel's MSP takes it as the same member, and its signatures verify.
      const channelMsp = new X509Msp(loadMspConfig(generated.mspDir, 'Org1MSP'));
      const seen = channelMsp.deserializeIdentity(signer.serialized);
      expect(codeOf(() => seen.validate())).toBe('valid');
      expect(seen.id).toBe(channelMsp.deserializeIdentity(serializeIdentity('Org1MSP', highSigncert.pem)).id);
      expect(seen.verify(MESSAGE, signer.sign(MESSAGE))).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
