import { createHash } from 'node:crypto';
import { FabricOUIdentifier } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { CombinedPrincipal, MSPPrincipal, MSPRole, OrganizationUnit } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import { MspError } from '../../../../core/errors';
import { assertNotExpired } from '../../../../core/msp/expiry';
import { MspErrorCode } from '../../../../core/msp/msp-error-code';
import {
  CURVE_ORDERS,
  MspManagerImpl,
  X509Msp,
  createTestOrg,
  encodeEcdsaSignature,
  parseEcdsaSignature,
  serializeIdentity,
  type TestOrg,
} from '../../../../plugins/msp-x509';
import * as asn1js from 'asn1js';
import { cat, len, vint } from '../../../support/raw-protobuf';
import { reissue } from './cert-forge';
import { mspCodeOf, signWith } from './fixtures';

const MESSAGE = new TextEncoder().encode('proposal bytes exactly as signed');
const P256_ORDER = CURVE_ORDERS.prime256v1;

const codeOf = (fn: () => unknown): string => mspCodeOf(fn, 'no error');

function rolePrincipal(mspId: string, role: keyof MSPRole.MSPRoleTypeMap): MSPPrincipal {
  const r = new MSPRole();
  r.setMspIdentifier(mspId);
  r.setRole(MSPRole.MSPRoleType[role]);
  const p = new MSPPrincipal();
  p.setPrincipalClassification(MSPPrincipal.Classification.ROLE);
  p.setPrincipal(r.serializeBinary());
  return p;
}

function principal(classification: number, bytes: Uint8Array): MSPPrincipal {
  const p = new MSPPrincipal();
  p.setPrincipalClassification(classification as MSPPrincipal.ClassificationMap[keyof MSPPrincipal.ClassificationMap]);
  p.setPrincipal(bytes);
  return p;
}

describe('X509Msp hostile inputs', () => {
  let org: TestOrg;
  let msp: X509Msp;

  beforeAll(async () => {
    org = await createTestOrg({ mspId: 'Org1MSP' });
    msp = new X509Msp(org.mspConfig());
  });

  it('rejects id_bytes in which pem.Decode and x509.ParseCertificate find no certificate with MSP_BAD_PEM', async () => {
    const good = await org.issue('pem-user');
    const cases: string[] = [
      'not a pem at all',
      good.keyPem, // a PEM, but of a private key
      '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', // base64 of garbage DER
      `text${good.certPem}`, // BEGIN neither first nor after a line break
      good.certPem.replace('END CERTIFICATE', 'END CERT'), // END of another type
      good.certPem.replace(/[A-Za-z0-9]{10}\n/, '!!!!!!!!!!\n'),
    ];
    for (const pem of cases) expect(codeOf(() => msp.deserializeIdentity(serializeIdentity('Org1MSP', pem)))).toBe(MspErrorCode.BadPem);
    expect(codeOf(() => msp.deserializeIdentity(serializeIdentity('Org1MSP', new Uint8Array())))).toBe(MspErrorCode.BadPem);
  });

  it('rejects truncated SerializedIdentity bytes with a typed error at every cut', async () => {
    const id = await org.issue('cut-user');
    const bytes = id.serialized;
    const codes = new Set<string>();
    for (let cut = 0; cut < bytes.length; cut++) codes.add(codeOf(() => msp.deserializeIdentity(bytes.subarray(0, cut))));
    // Cuts inside a length-delimited field fail to decode; a cut between the fields leaves no certificate.
    expect([...codes].sort()).toEqual([MspErrorCode.BadIdentity, MspErrorCode.BadPem].sort());
    expect(codeOf(() => msp.deserializeIdentity(bytes.subarray(0, bytes.length - 1)))).toBe(MspErrorCode.BadIdentity);
    expect(codeOf(() => msp.deserializeIdentity(bytes.subarray(0, 0)))).toBe(MspErrorCode.BadIdentity);
  });

  it('rejects oversized SerializedIdentity bytes', () => {
    const small = new X509Msp(org.mspConfig(), { maxIdentityBytes: 100 });
    expect(codeOf(() => small.deserializeIdentity(new Uint8Array(101)))).toBe(MspErrorCode.BadIdentity);
  });

  it('rejects wrong-curve keys (secp256k1) with MSP_UNSUPPORTED_KEY and accepts P-384 and Ed25519', async () => {
    const k1 = await org.issue('k1-user', { keyAlgorithm: 'secp256k1' });
    expect(codeOf(() => msp.deserializeIdentity(k1.serialized))).toBe(MspErrorCode.UnsupportedKey);
    for (const keyAlgorithm of ['P-384', 'Ed25519'] as const) {
      const ok = await org.issue(`${keyAlgorithm}-user`, { keyAlgorithm });
      const id = msp.deserializeIdentity(ok.serialized);
      expect(() => id.validate()).not.toThrow();
      const sig = signWith(ok.privateKey, MESSAGE);
      expect(id.verify(MESSAGE, sig)).toBe(true);
      expect(id.verify(new TextEncoder().encode('other'), sig)).toBe(false);
    }
  });

  it('refuses high-S ECDSA signatures (s → n − s) with MSP_HIGH_S and accepts the low-S twin', async () => {
    const user = await org.issue('high-s-user');
    const id = msp.deserializeIdentity(user.serialized);
    const low = signWith(user.privateKey, MESSAGE);
    const { r, s } = parseEcdsaSignature(low)!;
    expect(s <= P256_ORDER / 2n).toBe(true);
    const high = encodeEcdsaSignature({ r, s: P256_ORDER - s });
    expect(id.verify(MESSAGE, low)).toBe(true);
    expect(id.verify(MESSAGE, high)).toBe(false);
    expect(codeOf(() => id.checkSignature(MESSAGE, high))).toBe(MspErrorCode.HighS);
    expect(codeOf(() => id.checkSignature(MESSAGE, low.subarray(1)))).toBe(MspErrorCode.MalformedSignature);
    expect(codeOf(() => id.checkSignature(new TextEncoder().encode('x'), low))).toBe(MspErrorCode.BadSignature);
    expect(() => id.checkSignature(MESSAGE, low)).not.toThrow();
  });

  it('keeps expired identities valid for the MSP but assertNotExpired rejects them with MSP_EXPIRED', async () => {
    const old = await org.issue('expired-user', { notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2021-01-01T00:00:00Z') });
    const id = msp.deserializeIdentity(old.serialized);
    expect(id.expiresAt.toISOString()).toBe('2021-01-01T00:00:00.000Z');
    expect(() => id.validate()).not.toThrow(); // Fabric: the MSP revokes by CRL, not by date
    expect(codeOf(() => assertNotExpired(id))).toBe(MspErrorCode.Expired);
    expect(() => assertNotExpired(id, new Date('2020-06-01T00:00:00Z'))).not.toThrow();
  });

  it('rejects identities from a foreign CA, CA certificates and other MSPs', async () => {
    const impostor = await createTestOrg({ mspId: 'Org1MSP', domain: 'evil.example.com' });
    const foreign = await impostor.issue('User1@org1.example.com', { role: 'admin' });
    expect(codeOf(() => msp.deserializeIdentity(foreign.serialized))).toBe(MspErrorCode.UntrustedChain);
    expect(codeOf(() => msp.deserializeIdentity(serializeIdentity('Org1MSP', org.ca.certPem)).validate())).toBe(MspErrorCode.CaAsIdentity);
    const other = await org.issue('x');
    expect(codeOf(() => msp.deserializeIdentity(serializeIdentity('Org2MSP', other.certPem)))).toBe(MspErrorCode.IdMismatch);
  });

  it("refuses at deserialization, as Fabric's newIdentity does, an ECDSA-signed certificate with no unique chain to sanitize it against", async () => {
    const impostor = await createTestOrg({ mspId: 'Org1MSP', domain: 'impostor.example.com' });
    const foreign = await impostor.issue('peer0.org1.example.com', { role: 'peer' });
    const err = (() => {
      try {
        msp.deserializeIdentity(foreign.serialized);
      } catch (e) {
        return e as MspError;
      }
      throw new Error('deserialized');
    })();
    expect(err).toBeInstanceOf(MspError);
    expect(err.code).toBe(MspErrorCode.UntrustedChain);
    expect(err.message).toContain("the supplied identity is not valid: its certificate cannot be sanitized without a unique chain (Fabric's newIdentity)");
    // The refusal is kept with the bytes, as an identity would be: the same error, no second chain search.
    expect(() => msp.deserializeIdentity(Uint8Array.from(foreign.serialized))).toThrow(err);
    expect(() => new MspManagerImpl([msp]).deserializeIdentity(foreign.serialized)).toThrow(err);

    // A second root with the root's subject and key: every certificate of the CA has two chains.
    const twin = await reissue(new Uint8Array(org.ca.certificate.raw), undefined, {
      selfSignKey: org.ca.privateKey,
      mutate: (c) => (c.serialNumber = new asn1js.Integer({ value: 4242 })),
    });
    const config = org.mspConfig();
    config.setRootCertsList([...config.getRootCertsList_asU8(), new TextEncoder().encode(twin.pem)]);
    const twinned = new X509Msp(config);
    const peer = await org.issue('peer7.org1.example.com', { role: 'peer' });
    expect(codeOf(() => twinned.deserializeIdentity(peer.serialized))).toBe(MspErrorCode.AmbiguousChain);
    expect(() => msp.deserializeIdentity(peer.serialized).validate()).not.toThrow();
  });

  it('names unknown MSPs in the manager with MSP_UNKNOWN', async () => {
    const manager = new MspManagerImpl([msp]);
    const stranger = await createTestOrg({ mspId: 'StrangerMSP' });
    const err = (() => {
      try {
        manager.deserializeIdentity(serializeIdentity('StrangerMSP', stranger.ca.certPem));
      } catch (e) {
        return e as MspError;
      }
      return undefined;
    })();
    expect(err?.code).toBe(MspErrorCode.Unknown);
    expect(err?.message).toContain('Org1MSP');
    expect(() => new MspManagerImpl([msp, msp])).toThrow(MspError);
  });

  it('rejects a revoked identity once its CA publishes a CRL, leaving others valid', async () => {
    const victim = await org.issue('victim');
    const bystander = await org.issue('bystander');
    expect(() => new X509Msp(org.mspConfig()).deserializeIdentity(victim.serialized).validate()).not.toThrow();
    await org.revoke(victim);
    const updated = new X509Msp(org.mspConfig());
    expect(codeOf(() => updated.deserializeIdentity(victim.serialized).validate())).toBe(MspErrorCode.Revoked);
    expect(() => updated.deserializeIdentity(bystander.serialized).validate()).not.toThrow();
  });

  it('ignores a CRL signed by another CA', async () => {
    const other = await createTestOrg({ mspId: 'Org2MSP' });
    const theirs = await other.issue('theirs');
    await other.revoke(theirs);
    const config = org.mspConfig();
    config.setRevocationListList([...config.getRevocationListList_asU8(), new TextEncoder().encode(other.crlPems()[0])]);
    const mine = await org.issue('mine');
    expect(() => new X509Msp(config).deserializeIdentity(mine.serialized).validate()).not.toThrow();
  });

  it('enforces exactly one NodeOU role', async () => {
    const none = await org.issue('no-role', { organizationalUnits: [] });
    const two = await org.issue('two-roles', { organizationalUnits: ['peer', 'admin'] });
    const extra = await org.issue('dept-peer', { organizationalUnits: ['department1', 'peer'] });
    expect(codeOf(() => msp.deserializeIdentity(none.serialized).validate())).toBe(MspErrorCode.NodeOu);
    expect(codeOf(() => msp.deserializeIdentity(two.serialized).validate())).toBe(MspErrorCode.NodeOu);
    const ok = msp.deserializeIdentity(extra.serialized);
    expect(() => ok.validate()).not.toThrow();
    expect(ok.organizationalUnits).toEqual(['department1', 'peer']);
    expect(ok.satisfiesPrincipal(rolePrincipal('Org1MSP', 'PEER'))).toBe(true);
  });

  it('gives a client no peer, admin or orderer principal (wrong NodeOU role)', async () => {
    const client = msp.deserializeIdentity((await org.issue('c', { role: 'client' })).serialized);
    expect(client.satisfiesPrincipal(rolePrincipal('Org1MSP', 'CLIENT'))).toBe(true);
    for (const role of ['PEER', 'ADMIN', 'ORDERER'] as const) expect(client.satisfiesPrincipal(rolePrincipal('Org1MSP', role))).toBe(false);
  });

  it('rejects identities issued by an internal CA (not a leaf of the CA tree)', async () => {
    const deep = await createTestOrg({ mspId: 'DeepMSP', intermediate: true });
    const deepMsp = new X509Msp(deep.mspConfig());
    const leafIssued = await deep.issue('ok', { role: 'peer' });
    const rootIssued = await deep.issue('bad', { role: 'peer', issuer: 'root' });
    expect(() => deepMsp.deserializeIdentity(leafIssued.serialized).validate()).not.toThrow();
    expect(codeOf(() => deepMsp.deserializeIdentity(rootIssued.serialized).validate())).toBe(MspErrorCode.NotLeafCa);
    await deep.revoke(leafIssued);
    expect(codeOf(() => new X509Msp(deep.mspConfig()).deserializeIdentity(leafIssued.serialized).validate())).toBe(MspErrorCode.Revoked);
  });

  it('matches ORGANIZATION_UNIT principals on OU and certifiers identifier, as Fabric does', async () => {
    const peer = msp.deserializeIdentity((await org.issue('ou-peer', { role: 'peer' })).serialized);
    const certifiers = createHash('sha256').update(org.ca.certificate.raw).digest();
    const ou = (name: string, cid: Uint8Array): MSPPrincipal => {
      const o = new OrganizationUnit();
      o.setMspIdentifier('Org1MSP');
      o.setOrganizationalUnitIdentifier(name);
      o.setCertifiersIdentifier(cid);
      return principal(MSPPrincipal.Classification.ORGANIZATION_UNIT, o.serializeBinary());
    };
    expect(peer.satisfiesPrincipal(ou('peer', certifiers))).toBe(true);
    expect(peer.satisfiesPrincipal(ou('peer', new Uint8Array()))).toBe(false);
    expect(peer.satisfiesPrincipal(ou('client', certifiers))).toBe(false);
  });

  it('reads a principal as protobuf-go does: invalid UTF-8 refuses it, a mistyped field is skipped', async () => {
    // Fabric's MSP decodes principals with proto.Unmarshal: a proto3 string that is not UTF-8 fails
    // (google-protobuf read "Org1\xffMSP" with the byte dropped, which then named Org1MSP), and a
    // known field with another wire type is an unknown field (google-protobuf threw).
    const member = msp.deserializeIdentity((await org.issue('go-rules', { role: 'peer' })).serialized);
    const mspId = (bytes: number[]): Uint8Array => Uint8Array.from(bytes);
    const org1 = [...Buffer.from('Org1MSP')];
    const badUtf8 = principal(MSPPrincipal.Classification.ROLE, cat(len(1, mspId([...org1.slice(0, 4), 0xff, ...org1.slice(4)])), vint(2, 0)));
    expect(codeOf(() => member.satisfiesPrincipal(badUtf8))).toBe(MspErrorCode.BadPrincipal);
    const mistypedRole = principal(MSPPrincipal.Classification.ROLE, cat(len(1, mspId(org1)), len(2, Uint8Array.of(2))));
    expect(member.satisfiesPrincipal(mistypedRole)).toBe(true);
  });

  it('evaluates COMBINED principals as a conjunction and rejects empty ones', async () => {
    const peer = msp.deserializeIdentity((await org.issue('combo', { role: 'peer' })).serialized);
    const combined = (...parts: MSPPrincipal[]): MSPPrincipal => {
      const c = new CombinedPrincipal();
      c.setPrincipalsList(parts);
      return principal(MSPPrincipal.Classification.COMBINED, c.serializeBinary());
    };
    expect(peer.satisfiesPrincipal(combined(rolePrincipal('Org1MSP', 'MEMBER'), rolePrincipal('Org1MSP', 'PEER')))).toBe(true);
    expect(peer.satisfiesPrincipal(combined(rolePrincipal('Org1MSP', 'MEMBER'), rolePrincipal('Org1MSP', 'ADMIN')))).toBe(false);
    expect(codeOf(() => peer.satisfiesPrincipal(combined()))).toBe(MspErrorCode.BadPrincipal);
    expect(codeOf(() => peer.satisfiesPrincipal(principal(9, new Uint8Array())))).toBe(MspErrorCode.BadPrincipal);
  });

  it('without NodeOUs: admins come from the admins list and role principals beyond member/admin fail', async () => {
    const plain = await createTestOrg({ mspId: 'PlainMSP', nodeOUs: false });
    const admin = await plain.issue('admin', { organizationalUnits: [] });
    const user = await plain.issue('user', { organizationalUnits: ['client'] });
    const config = plain.mspConfig();
    config.setAdminsList([admin.credentials]);
    const plainMsp = new X509Msp(config);
    const a = plainMsp.deserializeIdentity(admin.serialized);
    const u = plainMsp.deserializeIdentity(user.serialized);
    expect(() => a.validate()).not.toThrow();
    expect(a.satisfiesPrincipal(rolePrincipal('PlainMSP', 'ADMIN'))).toBe(true);
    expect(u.satisfiesPrincipal(rolePrincipal('PlainMSP', 'ADMIN'))).toBe(false);
    expect(u.satisfiesPrincipal(rolePrincipal('PlainMSP', 'MEMBER'))).toBe(true);
    expect(u.satisfiesPrincipal(rolePrincipal('PlainMSP', 'CLIENT'))).toBe(false);
  });

  it('enforces OrganizationalUnitIdentifiers when NodeOUs are off', async () => {
    const plain = await createTestOrg({ mspId: 'OuMSP', nodeOUs: false });
    const config = plain.mspConfig();
    const id = new FabricOUIdentifier();
    id.setOrganizationalUnitIdentifier('engineering');
    id.setCertificate(new TextEncoder().encode(plain.ca.certPem));
    config.setOrganizationalUnitIdentifiersList([id]);
    // Without an admin OU Fabric requires listed admins, and they must be valid members (OU rules included).
    config.setAdminsList([(await plain.issue('eng-admin', { organizationalUnits: ['engineering'] })).credentials]);
    const ouMsp = new X509Msp(config);
    const eng = await plain.issue('eng', { organizationalUnits: ['engineering'] });
    const ops = await plain.issue('ops', { organizationalUnits: ['operations'] });
    expect(() => ouMsp.deserializeIdentity(eng.serialized).validate()).not.toThrow();
    expect(codeOf(() => ouMsp.deserializeIdentity(ops.serialized).validate())).toBe(MspErrorCode.OrganizationalUnit);
  });

  it('enforces OrganizationalUnitIdentifiers when NodeOUs are on too, before the NodeOU role (validateIdentityOUsV142)', async () => {
    const config = org.mspConfig();
    const id = new FabricOUIdentifier();
    id.setOrganizationalUnitIdentifier('dept1');
    id.setCertificate(new TextEncoder().encode(org.ca.certPem));
    config.setOrganizationalUnitIdentifiersList([id]);
    const ouMsp = new X509Msp(config);
    const inDept = await org.issue('dept1-client', { organizationalUnits: ['client', 'dept1'] });
    const outsider = await org.issue('no-dept-client', { organizationalUnits: ['client'] });
    const noRole = await org.issue('dept1-no-role', { organizationalUnits: ['dept1'] });
    expect(() => ouMsp.deserializeIdentity(inDept.serialized).validate()).not.toThrow();
    expect(codeOf(() => ouMsp.deserializeIdentity(outsider.serialized).validate())).toBe(MspErrorCode.OrganizationalUnit);
    expect(codeOf(() => ouMsp.deserializeIdentity(noRole.serialized).validate())).toBe(MspErrorCode.NodeOu);
  });

  it('rejects configs that cannot work with MSP_BAD_CONFIG / MSP_BAD_CRL', async () => {
    const noRoots = org.mspConfig();
    noRoots.setRootCertsList([]);
    expect(codeOf(() => new X509Msp(noRoots))).toBe(MspErrorCode.BadConfig);
    const noName = org.mspConfig();
    noName.setName('');
    expect(codeOf(() => new X509Msp(noName))).toBe(MspErrorCode.BadConfig);
    const leafRoot = org.mspConfig();
    leafRoot.setRootCertsList([(await org.issue('leaf')).credentials]);
    expect(codeOf(() => new X509Msp(leafRoot))).toBe(MspErrorCode.BadConfig);
    const strangerOu = org.mspConfig();
    const stranger = await createTestOrg({ mspId: 'S' });
    strangerOu.getFabricNodeOus()!.getPeerOuIdentifier()!.setCertificate(new TextEncoder().encode(stranger.ca.certPem));
    expect(codeOf(() => new X509Msp(strangerOu))).toBe(MspErrorCode.BadConfig);
    const leafTls = org.mspConfig();
    leafTls.setTlsRootCertsList([(await org.issue('tls-leaf')).credentials]);
    expect(codeOf(() => new X509Msp(leafTls))).toBe(MspErrorCode.BadConfig);
    const badCrl = org.mspConfig();
    badCrl.setRevocationListList([new TextEncoder().encode('-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n')]);
    expect(codeOf(() => new X509Msp(badCrl))).toBe(MspErrorCode.BadCrl);
  });

  it('caches identities by exact bytes within its bound', async () => {
    const small = new X509Msp(org.mspConfig(), { identityCacheSize: 2 });
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((n) => org.issue(`cache-${n}`)));
    const first = small.deserializeIdentity(a.serialized);
    expect(small.deserializeIdentity(Uint8Array.from(a.serialized))).toBe(first);
    small.deserializeIdentity(b.serialized);
    small.deserializeIdentity(c.serialized); // evicts a
    const again = small.deserializeIdentity(a.serialized);
    expect(again).not.toBe(first);
    expect(again.id).toBe(first.id);
  });
});
