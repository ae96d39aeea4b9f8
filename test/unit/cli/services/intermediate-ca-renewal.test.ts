import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CertificateAuthority, issueEndEntity } from '../../../../plugins/msp-x509/crypto-material/certificate-authority';
import { loadOrgCa } from '../../../../plugins/msp-x509/crypto-material/org-authority';
import { recoverExpiredNetwork } from '../../../../cli/services/network/expired-network-recovery';
import { exportNetwork } from '../../../../cli/services/network/network-export';
import { DEFAULT_INIT_OPTIONS, initNetwork } from '../../../../cli/services/network/network-init';
import { renewOrgCas } from '../../../../cli/services/network/org-ca-renewal';
import { configErrorOf } from '../../../support/config-error-of';

const DAY_MS = 86_400_000;
const ORG1 = 'organizations/peerOrganizations/org1.example.com';

/** Every file under `dir`, with its bytes: what a refused command must leave as it was. */
function snapshot(dir: string): Map<string, string> {
  return new Map(
    fs
      .readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => [path.join(e.parentPath, e.name), fs.readFileSync(path.join(e.parentPath, e.name), 'base64')]),
  );
}

/**
 * `weft network renew --org --ca/--root-ca` and `--all-expired` for orgs issuing from an
 * intermediate (`network init --intermediate-ca`): what each refuses before touching a channel or
 * a file. The renewal itself, against running nodes, is in test/e2e/cli/invoke-retry.test.ts.
 */
describe('CA renewal of an org issuing from an intermediate CA', () => {
  let tmp: string;
  let net: string;
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-ica-renew-'));
    net = path.join(tmp, 'net');
    await initNetwork(net, { ...DEFAULT_INIT_OPTIONS, basePort: 48300, intermediateCa: true });
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("refuses renewing the intermediate or the root while the root's key is offline, naming it; nothing changes", async () => {
    const key = path.join(net, ORG1, 'rootca', 'priv_sk');
    const kept = fs.readFileSync(key);
    fs.rmSync(key);
    try {
      const before = snapshot(path.join(net, 'organizations'));
      for (const flags of [{ ca: true, tlsCa: false }, { ca: false, tlsCa: false, rootCa: true }]) {
        const err = await configErrorOf(renewOrgCas(net, { org: 'Org1', ...flags }, () => {}));
        expect([flags, err.code]).toEqual([flags, 'ROOT_CA_KEY_NOT_HERE']);
        expect(err.message).toContain(key);
      }
      expect(snapshot(path.join(net, 'organizations'))).toEqual(before);
    } finally {
      fs.writeFileSync(key, kept, { mode: 0o600 });
    }
  });

  it('refuses an org with an ended CA or members holding ended certificates: the expired-CA recoveries do not take intermediates (CA_INTERMEDIATE_UNSUPPORTED)', async () => {
    const org2 = path.join(net, 'organizations/peerOrganizations/org2.example.com');
    const certFile = path.join(org2, 'users/User1@org2.example.com/msp/signcerts/User1@org2.example.com-cert.pem');
    const kept = fs.readFileSync(certFile);
    const ca = loadOrgCa(org2, 'ca');
    const ended = await issueEndEntity(ca.signer, ca.subject, {
      commonName: 'User1@org2.example.com',
      organizationalUnits: ['client'],
      notBefore: new Date(Date.now() - 3 * DAY_MS),
      notAfter: new Date(Date.now() - DAY_MS),
    });
    fs.writeFileSync(certFile, ended.certPem);
    // And, first, a TLS intermediate that ended: renewing the CA alone is refused too, naming the file.
    const tlsIntermediate = path.join(org2, 'msp/tlsintermediatecerts/tlsica.org2.example.com-cert.pem');
    const keptTls = fs.readFileSync(tlsIntermediate);
    const endedCa = await CertificateAuthority.createRoot({ commonName: 'tlsica.org2.example.com', organization: 'org2.example.com', notBefore: new Date(Date.now() - 3 * DAY_MS), notAfter: new Date(Date.now() - DAY_MS) });
    fs.writeFileSync(tlsIntermediate, endedCa.certPem);
    try {
      const err = await configErrorOf(renewOrgCas(net, { org: 'Org2', ca: true, tlsCa: false }, () => {}));
      expect(err.code).toBe('CA_INTERMEDIATE_UNSUPPORTED');
      expect(err.message).toMatch(/^Org2 issues from an intermediate CA, and its CA certificate tlsica\.org2\.example\.com-cert\.pem ended/);
      expect(err.details).toMatchObject({ field: '--ca', file: tlsIntermediate });
    } finally {
      fs.writeFileSync(tlsIntermediate, keptTls);
    }
    try {
      const before = snapshot(path.join(net, 'organizations'));
      const err = await configErrorOf(renewOrgCas(net, { org: 'Org2', ca: true, tlsCa: false }, () => {}));
      expect(err.code).toBe('CA_INTERMEDIATE_UNSUPPORTED');
      expect(err.message).toMatch(/^Org2 issues from an intermediate CA, and User1@org2\.example\.com holds ended certificates/);
      expect(snapshot(path.join(net, 'organizations'))).toEqual(before);
    } finally {
      fs.writeFileSync(certFile, kept);
    }
  });

  it('refuses --all-expired for a network with intermediate orgs, naming them, and --root-ca for an org issuing from its root', async () => {
    const all = await configErrorOf(recoverExpiredNetwork(net, {}, () => {}));
    expect(all.code).toBe('CA_INTERMEDIATE_UNSUPPORTED');
    expect(all.message).toMatch(/^OrdererOrg, Org1, Org2 issue from an intermediate CA/);

    const rootOnly = path.join(tmp, 'root-only');
    await initNetwork(rootOnly, { ...DEFAULT_INIT_OPTIONS, basePort: 48350 });
    const err = await configErrorOf(renewOrgCas(rootOnly, { org: 'Org1', ca: false, tlsCa: false, rootCa: true }, () => {}));
    expect(err.code).toBe('RENEW_TARGET');
    expect(err.details).toMatchObject({ field: '--root-ca', suggestions: [`weft network renew ${rootOnly} --org Org1 --ca`] });
  });

  it("network export leaves the roots' keys behind with the issuing CAs' keys, their certificates go along", () => {
    const out = path.join(tmp, 'org1-export');
    exportNetwork(net, out, ['Org1'], () => {});
    const org1 = path.join(out, ORG1);
    for (const dir of ['ca', 'tlsca', 'rootca', 'tlsrootca']) expect([dir, fs.existsSync(path.join(org1, dir, 'priv_sk'))]).toEqual([dir, false]);
    expect(fs.existsSync(path.join(org1, 'rootca', 'ca.org1.example.com-cert.pem'))).toBe(true);
    expect(fs.existsSync(path.join(org1, 'msp', 'intermediatecerts', 'ica.org1.example.com-cert.pem'))).toBe(true);
    expect(fs.existsSync(path.join(org1, 'users/User1@org1.example.com/msp/keystore/priv_sk'))).toBe(true);
  });
});
