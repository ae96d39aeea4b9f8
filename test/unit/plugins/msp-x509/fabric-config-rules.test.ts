import * as asn1js from 'asn1js';
import { FabricNodeOUs } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { MSPPrincipal, MSPRole } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import { MspError } from '../../../../core/errors';
import { MspErrorCode } from '../../../../core/msp/msp-error-code';
import { MspManagerImpl, X509Msp, createTestOrg, toPem, type TestOrg } from '../../../../plugins/msp-x509';
import { encodeDer } from '../../../../core/protocol/der';
import { DerReader, TAG } from '../../../../core/protocol/der-reader';
import { OIDS, ext, reissue, setExtensions, withoutExtension } from './cert-forge';

/**
 * Setup rules of Fabric's MSP (`setupCAs`, `setupCRLs`, `finalizeSetupCAs`, `setupNodeOUsV142`,
 * `setupAdminsV142`, `postSetupV142`, `setupTLSCAs`) and CRL handling as Go's `x509.ParseCRL` reads
 * CRLs. A config one peer accepts and another refuses is a fork at the config block.
 */

function codeOf(fn: () => unknown, reason?: string): string {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof MspError)) throw err;
    if (reason !== undefined) expect(err.message).toContain(reason);
    return err.code;
  }
  return 'ok';
}

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

function rolePrincipal(mspId: string, role: keyof MSPRole.MSPRoleTypeMap): MSPPrincipal {
  const r = new MSPRole();
  r.setMspIdentifier(mspId);
  r.setRole(MSPRole.MSPRoleType[role]);
  const p = new MSPPrincipal();
  p.setPrincipalClassification(MSPPrincipal.Classification.ROLE);
  p.setPrincipal(r.serializeBinary());
  return p;
}

/** The CRL with `f` applied to its signature BIT STRING contents. */
function withCrlSignature(pem: string, f: (sig: Uint8Array) => Uint8Array): string {
  const outer = new DerReader(new DerReader(new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64'))).read(TAG.SEQUENCE).content);
  const tbs = outer.read(TAG.SEQUENCE).raw;
  const alg = outer.read(TAG.SEQUENCE).raw;
  const sig = outer.read(TAG.BIT_STRING).content.subarray(1);
  return toPem('X509 CRL', encodeDer(TAG.SEQUENCE, tbs, alg, encodeDer(TAG.BIT_STRING, Uint8Array.of(0), f(sig))));
}

describe('X509Msp setup and CRLs as Fabric', () => {
  let org: TestOrg;

  beforeAll(async () => {
    org = await createTestOrg({ mspId: 'Org1MSP' });
  });

  describe('CRLs', () => {
    it('reads CRL PEM as x509.ParseCRL does: headers allowed, leading text refused', async () => {
      const victim = await org.issue('crl-victim');
      victim.issuedBy.revoke(victim.serialNumber);
      const crl = await victim.issuedBy.crl();
      const withHeader = crl.replace('-----BEGIN X509 CRL-----\n', '-----BEGIN X509 CRL-----\nComment: issued for a test\n\n');
      const config = org.mspConfig();
      config.setRevocationListList([bytes(withHeader)]);
      expect(codeOf(() => new X509Msp(config).deserializeIdentity(victim.serialized).validate())).toBe(MspErrorCode.Revoked);
      config.setRevocationListList([bytes(`# revoked on Monday\n${crl}`)]);
      expect(codeOf(() => new X509Msp(config), 'revocation_list[0]')).toBe(MspErrorCode.BadCrl);
    });

    it('re-marshals the CRL ECDSA signature as Fabric setupCRLs does, so bytes after (r, s) do not void the CRL', async () => {
      const victim = await org.issue('crl-trailing');
      victim.issuedBy.revoke(victim.serialNumber);
      const padded = withCrlSignature(await victim.issuedBy.crl(), (sig) => new Uint8Array([...sig, 0, 0]));
      const config = org.mspConfig();
      config.setRevocationListList([bytes(padded)]);
      expect(codeOf(() => new X509Msp(config).deserializeIdentity(victim.serialized).validate())).toBe(MspErrorCode.Revoked);
      const zeroR = withCrlSignature(await victim.issuedBy.crl(), () => encodeDer(TAG.SEQUENCE, encodeDer(TAG.INTEGER, Uint8Array.of(0)), encodeDer(TAG.INTEGER, Uint8Array.of(1))));
      config.setRevocationListList([bytes(zeroR)]);
      expect(codeOf(() => new X509Msp(config))).toBe(MspErrorCode.BadCrl);
    });

    it('accepts a CRL without an AuthorityKeyIdentifier at setup but then fails every identity, as Fabric', async () => {
      const noAki = { pem: await org.ca.crl(new Date(), { omitAuthorityKeyId: true }) };
      const config = org.mspConfig();
      config.setRevocationListList([bytes(noAki.pem)]);
      const member = await org.issue('aki-less');
      expect(codeOf(() => new X509Msp(config).deserializeIdentity(member.serialized).validate())).toBe(MspErrorCode.BadCrl);
      const deep = await createTestOrg({ mspId: 'DeepMSP', intermediate: true });
      const deepConfig = deep.mspConfig();
      deepConfig.setRevocationListList([bytes(noAki.pem)]);
      expect(codeOf(() => new X509Msp(deepConfig), 'Authority Key Identifier')).toBe(MspErrorCode.BadConfig);
    });

    it('refuses a config whose intermediate CA is revoked by a CRL of the MSP (finalizeSetupCAs)', async () => {
      const deep = await createTestOrg({ mspId: 'DeepMSP', intermediate: true });
      deep.ca.revoke(deep.intermediateCa!.serialNumber);
      const config = deep.mspConfig();
      config.setRevocationListList([bytes(await deep.ca.crl())]);
      expect(codeOf(() => new X509Msp(config), 'has been revoked')).toBe(MspErrorCode.BadConfig);
    });

    it('never carries a positive validation across a config change that revokes', async () => {
      const member = await org.issue('cache-victim', { role: 'peer' });
      const before = new MspManagerImpl([new X509Msp(org.mspConfig())]);
      expect(before.deserializeIdentity(member.serialized).satisfiesPrincipal(rolePrincipal('Org1MSP', 'MEMBER'))).toBe(true);
      member.issuedBy.revoke(member.serialNumber);
      const config = org.mspConfig();
      config.setRevocationListList([bytes(await member.issuedBy.crl())]);
      const after = new MspManagerImpl([new X509Msp(config)]);
      expect(after.deserializeIdentity(member.serialized).satisfiesPrincipal(rolePrincipal('Org1MSP', 'MEMBER'))).toBe(false);
    });
  });

  describe('CAs', () => {
    it('refuses a CA without SubjectKeyIdentifier, and one whose ExtKeyUsage excludes serverAuth', async () => {
      const noSki = await reissue(new Uint8Array(org.ca.certificate.raw), undefined, { selfSignKey: org.ca.privateKey, mutate: (c) => withoutExtension(c, OIDS.subjectKeyId) });
      const a = org.mspConfig();
      a.setRootCertsList([bytes(noSki.pem)]);
      a.setFabricNodeOus(undefined);
      expect(codeOf(() => new X509Msp(a), 'has no SubjectKeyIdentifier')).toBe(MspErrorCode.BadConfig);
      const clientOnly = await reissue(new Uint8Array(org.ca.certificate.raw), undefined, {
        selfSignKey: org.ca.privateKey,
        mutate: (c) => setExtensions(c, ext('2.5.29.37', false, new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: OIDS.clientAuth })] }))),
      });
      const b = org.mspConfig();
      b.setRootCertsList([bytes(clientOnly.pem)]);
      b.setFabricNodeOus(undefined);
      expect(codeOf(() => new X509Msp(b), 'incompatible key usage')).toBe(MspErrorCode.BadConfig);
    });

    it('refuses TLS intermediates that do not chain to a TLS root', async () => {
      const other = await createTestOrg({ mspId: 'Org2MSP', intermediate: true });
      const config = org.mspConfig();
      config.setTlsIntermediateCertsList([bytes(other.intermediateCa!.certPem)]);
      expect(codeOf(() => new X509Msp(config), 'tls_intermediate_certs[0] is not valid')).toBe(MspErrorCode.BadConfig);
    });
  });

  describe('NodeOUs and admins', () => {
    it('turns NodeOU enforcement off when enabled without any role identifier (setupNodeOUsV142)', async () => {
      const config = org.mspConfig();
      const ous = new FabricNodeOUs();
      ous.setEnable(true);
      config.setFabricNodeOus(ous);
      const admin = await org.issue('listed', { organizationalUnits: [] });
      config.setAdminsList([admin.credentials]);
      const msp = new X509Msp(config);
      expect(msp.nodeOusEnabled).toBe(false);
      const plain = msp.deserializeIdentity((await org.issue('no-ou', { organizationalUnits: [] })).serialized);
      expect(codeOf(() => plain.validate())).toBe('ok');
      expect(plain.satisfiesPrincipal(rolePrincipal('Org1MSP', 'MEMBER'))).toBe(true);
      expect(plain.satisfiesPrincipal(rolePrincipal('Org1MSP', 'CLIENT'))).toBe(false);
    });

    it('requires admins without an admin OU, admins of this MSP, and admins that are clients or admins under NodeOUs', async () => {
      const noAdmins = org.mspConfig();
      noAdmins.setFabricNodeOus(undefined);
      expect(codeOf(() => new X509Msp(noAdmins), 'administrators must be declared')).toBe(MspErrorCode.BadConfig);
      const stranger = await createTestOrg({ mspId: 'StrangerMSP' });
      const foreignAdmin = org.mspConfig();
      foreignAdmin.setAdminsList([(await stranger.issue('intruder', { role: 'admin' })).credentials]);
      expect(codeOf(() => new X509Msp(foreignAdmin), 'admins[0]')).toBe(MspErrorCode.BadConfig);
      const peerAdmin = org.mspConfig();
      peerAdmin.setAdminsList([(await org.issue('peer-as-admin', { role: 'peer' })).credentials]);
      expect(codeOf(() => new X509Msp(peerAdmin), 'neither the client nor the admin NodeOU')).toBe(MspErrorCode.BadConfig);
      const clientAdmin = org.mspConfig();
      clientAdmin.setAdminsList([(await org.issue('client-admin', { role: 'client' })).credentials]);
      expect(codeOf(() => new X509Msp(clientAdmin))).toBe('ok');
    });
  });
});
