import { X509Certificate, createPrivateKey } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FabricMSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { TlsRevocations } from '../../../../core/node/tls-revocation';
import { TrustedClientRoots } from '../../../../core/node/trusted-client-roots';
import { generateOrg, loadMspConfig, X509Msp, type GeneratedOrg } from '../../../../plugins/msp-x509';
import { nextOrgCrl, orgCrlIssued, orgCrlRevokes } from '../../../../plugins/msp-x509/crypto-material/org-authority';
import { serializeIdentity } from '../../../../core/protocol/serialized-identity';
import { parseGoCrl } from '../../../../plugins/msp-x509/go-crl';
import { ecdsaSigner, resignCrl } from '../../plugins/msp-x509/cert-forge';

/**
 * The TLS revocation set built from channel MSPs: only a CRL signed by one of the MSP's TLS CAs
 * counts, it revokes exactly the certificates of that CA it lists, and putting it into an MSP's
 * `revocation_list` revokes no identity (the MSP matches CRLs to the signing CA).
 */
describe('TLS revocations from MSP revocation lists', () => {
  let tmp: string;
  let org: GeneratedOrg;
  let other: GeneratedOrg;
  const ref = (o: GeneratedOrg): { orgDir: string; domain: string } => ({ orgDir: o.orgDir, domain: o.domain });
  const tlsCert = (o: GeneratedOrg, user: string): X509Certificate => new X509Certificate(fs.readFileSync(o.users[user]!.tlsCertPath));
  const mspWith = (o: GeneratedOrg, crls: readonly string[]): FabricMSPConfig => {
    const msp = loadMspConfig(o.mspDir, o.mspId);
    msp.setRevocationListList(crls.map((c) => Buffer.from(c)));
    return msp;
  };

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-tls-revocation-'));
    org = await generateOrg({ domain: 'org1.example.com', mspId: 'Org1MSP', kind: 'peer', users: ['Admin', 'User1', 'User2'] }, tmp);
    other = await generateOrg({ domain: 'org2.example.com', mspId: 'Org2MSP', kind: 'peer', users: ['Admin', 'User1'] }, tmp);
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("revokes the TLS certificates its TLS CA's CRL lists, and nothing else", async () => {
    const crl = await nextOrgCrl(ref(org), [fs.readFileSync(org.users.User1!.tlsCertPath)], [], 'tlsca');
    const set = TlsRevocations.fromMsps([mspWith(org, [crl.pem]), loadMspConfig(other.mspDir, other.mspId)], 'channel ch');
    expect(set.revocationOf(tlsCert(org, 'User1'))).toMatch(/^TLS certificate serial [0-9a-f]+ \(User1@org1\.example\.com\) is on the CRL of TLS CA tlsca\.org1\.example\.com \(channel ch, MSP Org1MSP\)$/);
    expect(set.revocationOf(tlsCert(org, 'User2'))).toBeUndefined();
    expect(set.revocationOf(tlsCert(other, 'User1'))).toBeUndefined();
    expect(set.revocationOfBytes(fs.readFileSync(org.users.User1!.tlsCertPath))).toBeDefined();
  });

  it('honours a TLS CRL signed with ecdsa-with-SHA1, as the MSP (Go\'s CheckCRLSignature) does', async () => {
    const crl = await nextOrgCrl(ref(org), [fs.readFileSync(org.users.User1!.tlsCertPath)], [], 'tlsca');
    const sha1 = resignCrl(Buffer.from(crl.pem), createPrivateKey(fs.readFileSync(org.tlsCaKeyPath)), ecdsaSigner('sha1'), parseGoCrl(Buffer.from(crl.pem)).authorityKeyId as Uint8Array);
    const set = TlsRevocations.fromMsps([mspWith(org, [sha1])], 'channel ch');
    expect(set.revocationOf(tlsCert(org, 'User1'))).toMatch(/is on the CRL of TLS CA tlsca\.org1\.example\.com/);
  });

  it("takes no CRL of the signing CA, nor a CRL of the TLS CA in another org's MSP", async () => {
    // The signing CA revokes User1's enrollment certificate; the TLS certificate's serial differs, but listing it there must not count either.
    const signing = await nextOrgCrl(ref(org), [fs.readFileSync(org.users.User1!.signCertPath)], []);
    expect(TlsRevocations.fromMsps([mspWith(org, [signing.pem])], 'ch').empty).toBe(true);
    const tls = await nextOrgCrl(ref(org), [fs.readFileSync(org.users.User1!.tlsCertPath)], [], 'tlsca');
    // In Org2's MSP, no TLS CA of that MSP signed it.
    expect(TlsRevocations.fromMsps([mspWith(other, [tls.pem])], 'ch').empty).toBe(true);
  });

  it('skips a CRL that does not parse, keeping the others', async () => {
    const tls = await nextOrgCrl(ref(org), [fs.readFileSync(org.users.User2!.tlsCertPath)], [], 'tlsca');
    const warnings: unknown[] = [];
    const logger = { warn: (o: unknown) => warnings.push(o) } as never;
    const set = TlsRevocations.fromMsps([mspWith(org, ['-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n', tls.pem])], 'ch', logger);
    expect(set.revocationOf(tlsCert(org, 'User2'))).toBeDefined();
    expect(warnings).toEqual([expect.objectContaining({ where: 'ch MSP Org1MSP revocation_list[0]' })]);
  });

  it("fromCrls takes an MSP folder's crls/ against the TLS CA as fromMsps takes revocation_list", async () => {
    const crl = await nextOrgCrl(ref(org), [fs.readFileSync(org.users.User1!.tlsCertPath)], [], 'tlsca');
    const signing = await nextOrgCrl(ref(org), [fs.readFileSync(org.users.User2!.signCertPath)], []);
    const set = TlsRevocations.fromCrls([fs.readFileSync(org.tlsCaCertPath)], [Buffer.from(signing.pem), Buffer.from(crl.pem)], 'peer0 crls/');
    expect(set.revocationOf(tlsCert(org, 'User1'))).toMatch(/is on the CRL of TLS CA tlsca\.org1\.example\.com \(peer0 crls\/\)$/);
    expect(set.revocationOf(tlsCert(org, 'User2'))).toBeUndefined();
    expect(set.digest).toBe(TlsRevocations.fromMsps([mspWith(org, [crl.pem])], 'ch').digest);
    expect(TlsRevocations.fromCrls([fs.readFileSync(other.tlsCaCertPath)], [Buffer.from(crl.pem)], 'x').empty).toBe(true);
  });

  it("reads a CRL's DER as the MSP does (Go's encoding/asn1): a non-minimal length is refused by both", async () => {
    const crl = await nextOrgCrl(ref(org), [fs.readFileSync(org.users.User1!.tlsCertPath)], [], 'tlsca');
    const der = Buffer.from(crl.pem.replace(/-----[A-Z0-9 ]+-----|\s/g, ''), 'base64');
    expect(der[0]).toBe(0x30);
    // The outer SEQUENCE's length written with one more byte than it needs (0x82 0x00 0xNN or 0x83 0x00 …): the signed TBS is untouched.
    const lengthBytes = der[1]! & 0x80 ? der[1]! & 0x7f : 0;
    const longer = lengthBytes === 0 ? Buffer.from([0x81, der[1]!]) : Buffer.concat([Buffer.from([0x80 | (lengthBytes + 1), 0]), der.subarray(2, 2 + lengthBytes)]);
    const stretched = Buffer.concat([Buffer.from([0x30]), longer, der.subarray(2 + lengthBytes)]);
    expect(TlsRevocations.fromCrls([fs.readFileSync(org.tlsCaCertPath)], [der], 'x').empty).toBe(false);
    expect(TlsRevocations.fromCrls([fs.readFileSync(org.tlsCaCertPath)], [stretched], 'x').empty).toBe(true);
    expect(() => parseGoCrl(stretched)).toThrow(/non-minimal length/);
  });

  it("the TLS CA's CRL in revocation_list revokes no identity: the MSP still validates User1's enrollment certificate", async () => {
    const tls = await nextOrgCrl(ref(org), [fs.readFileSync(org.users.User1!.tlsCertPath)], [], 'tlsca');
    expect(orgCrlIssued(ref(org), Buffer.from(tls.pem), 'tlsca')).toBe(true);
    expect(orgCrlIssued(ref(org), Buffer.from(tls.pem))).toBe(false);
    expect(orgCrlRevokes(ref(org), fs.readFileSync(org.users.User1!.tlsCertPath), [Buffer.from(tls.pem)], 'tlsca')).toBe(true);
    const msp = new X509Msp(mspWith(org, [tls.pem]));
    expect(() => msp.deserializeIdentity(serializeIdentity('Org1MSP', fs.readFileSync(org.users.User1!.signCertPath))).validate()).not.toThrow();
  });

  it('TrustedClientRoots recomputes the set with the channels and tells its listeners only when it changes', async () => {
    const roots = new TrustedClientRoots([]);
    const seen: TlsRevocations[] = [];
    roots.onRevocationsChanged((r) => seen.push(r));
    roots.setChannel('ch', [loadMspConfig(org.mspDir, org.mspId)]);
    expect(seen).toHaveLength(0);
    const crl = await nextOrgCrl(ref(org), [fs.readFileSync(org.users.User1!.tlsCertPath)], [], 'tlsca');
    roots.setChannel('ch', [mspWith(org, [crl.pem])]);
    roots.setChannel('ch', [mspWith(org, [crl.pem])]);
    expect(seen).toHaveLength(1);
    expect(roots.revocations().revocationOf(tlsCert(org, 'User1'))).toBeDefined();
    roots.setLocalMsp(mspWith(org, [crl.pem]));
    roots.removeChannel('ch');
    // Still revoked by the local MSP's CRL after the channel is gone.
    expect(roots.revocations().revocationOf(tlsCert(org, 'User1'))).toBeDefined();
    roots.setLocalMsp(undefined);
    expect(roots.revocations().empty).toBe(true);
  });
});
