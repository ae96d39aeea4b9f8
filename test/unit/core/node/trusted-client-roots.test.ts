import { X509Certificate } from 'node:crypto';
import type { experimental } from '@grpc/grpc-js';
import { TrustedClientRoots } from '../../../../core/node/trusted-client-roots';
import { createTestOrg, type TestOrg } from '../../../../plugins/msp-x509/crypto-material/test-org';

const pemOf = (org: TestOrg): string => new X509Certificate(org.tlsCa.certPem).toString();
/** The common names of the certificates in a PEM bundle, in order. */
const subjects = (bundle: Buffer): string[] =>
  (bundle.toString().match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []).map((p) => /CN=(.*)/.exec(new X509Certificate(p).subject)?.[1] ?? '');

describe('TrustedClientRoots', () => {
  let org1: TestOrg;
  let org2: TestOrg;
  let org3: TestOrg;

  beforeAll(async () => {
    [org1, org2, org3] = await Promise.all(['Org1MSP', 'Org2MSP', 'Org3MSP'].map((mspId) => createTestOrg({ mspId })));
  });

  it("trusts the static roots plus each channel's orgs' TLS roots and intermediates, each certificate once", () => {
    const roots = new TrustedClientRoots([Buffer.from(pemOf(org1))]);
    const withIntermediate = org2.mspConfig();
    withIntermediate.setTlsIntermediateCertsList([Buffer.from(org3.tlsCa.certPem)]);
    roots.setChannel('a', [org1.mspConfig(), withIntermediate]);
    roots.setChannel('b', [org2.mspConfig()]);
    expect(subjects(roots.pem())).toEqual([org1, org2, org3].map((o) => `tlsca.${o.domain}`));
  });

  it("drops a removed channel's roots unless the YAML or another channel names them too", () => {
    const roots = new TrustedClientRoots([Buffer.from(pemOf(org1))]);
    roots.setChannel('a', [org1.mspConfig(), org2.mspConfig(), org3.mspConfig()]);
    roots.setChannel('b', [org2.mspConfig()]);
    roots.removeChannel('a');
    expect(subjects(roots.pem())).toEqual([org1, org2].map((o) => `tlsca.${o.domain}`));
    // A config block removing the org from the last channel naming it.
    roots.setChannel('b', []);
    expect(subjects(roots.pem())).toEqual([`tlsca.${org1.domain}`]);
  });

  it('trusts nothing (not the system CAs) with no roots at all', () => {
    expect(new TrustedClientRoots([]).pem().length).toBe(0);
  });

  it('leaves out a certificate that does not parse, with a warning, and keeps the others', () => {
    const warnings: unknown[] = [];
    const logger = { warn: (o: unknown) => warnings.push(o) } as never;
    const roots = new TrustedClientRoots([], logger);
    const bad = org1.mspConfig();
    bad.setTlsRootCertsList([Buffer.from('-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n'), Buffer.from(org1.tlsCa.certPem)]);
    roots.setChannel('a', [bad]);
    expect(subjects(roots.pem())).toEqual([`tlsca.${org1.domain}`]);
    expect(warnings).toEqual([expect.objectContaining({ where: 'channel a MSP Org1MSP tls_root_certs[0]' })]);
  });

  it('tells the server credentials each change as it happens, after the first update on the next tick, and only real changes', async () => {
    const roots = new TrustedClientRoots([Buffer.from(pemOf(org1))]);
    const provider = roots.certificateProvider({ cert: Buffer.from('cert'), key: Buffer.from('key') });
    const updates: (string[] | undefined)[] = [];
    const identities: unknown[] = [];
    const listener: experimental.CaCertificateUpdateListener = (u) => updates.push(u === null ? undefined : subjects(u.caCertificate));
    provider.addCaCertificateListener(listener);
    provider.addIdentityCertificateListener((u) => identities.push(u));
    // grpc-js adds its server watcher only after registering: nothing may arrive synchronously.
    expect(updates).toEqual([]);
    await new Promise((r) => process.nextTick(r));
    expect(updates).toEqual([[`tlsca.${org1.domain}`]]);
    expect(identities).toEqual([{ certificate: Buffer.from('cert'), privateKey: Buffer.from('key') }]);

    roots.setChannel('a', [org2.mspConfig()]);
    expect(updates).toHaveLength(2);
    roots.setChannel('a', [org2.mspConfig()]);
    roots.setChannel('b', [org1.mspConfig()]);
    roots.removeChannel('missing');
    expect(updates).toHaveLength(2);
    roots.removeChannel('a');
    expect(updates.at(-1)).toEqual([`tlsca.${org1.domain}`]);

    provider.removeCaCertificateListener(listener);
    roots.setChannel('a', [org3.mspConfig()]);
    expect(updates).toHaveLength(3);
  });
});
