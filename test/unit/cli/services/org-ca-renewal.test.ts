import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEFAULT_INIT_OPTIONS, initNetwork } from '../../../../cli/services/network/network-init';
import { renewMember } from '../../../../cli/services/network/network-renew';
import { revokeNodeEarlierCertificates } from '../../../../cli/services/network/node-revocation';
import { renewOrgCas } from '../../../../cli/services/network/org-ca-renewal';
import { revokeUser } from '../../../../cli/services/network/org-revocation';
import { encodeTime } from '../../../../plugins/msp-x509/crypto-material/certificate-builder';
import { loadOrgCa } from '../../../../plugins/msp-x509/crypto-material/org-authority';
import { reissue } from '../../plugins/msp-x509/cert-forge';
import { fileTreeOf } from '../../../support/file-tree';

const DAY_MS = 86_400_000;

const quiet = (): void => {};

/** renew --ca/--tls-ca, --revoke-old and revoke --node: every refusal that comes before the network is asked anything. */
describe('network renew --ca / --revoke-old, revoke --node: refusals, nothing written', () => {
  let tmp: string;
  let net: string;
  /** Every file under organizations/ with its bytes. */
  const snapshot = (): Record<string, string> => fileTreeOf(path.join(net, 'organizations'));

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-ca-renew-'));
    net = path.join(tmp, 'net');
    await initNetwork(net, { ...DEFAULT_INIT_OPTIONS, basePort: 23100 });
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('renew --ca: an unknown org, no CA named, bad --days, a CA key or Admin key not here', async () => {
    const before = snapshot();
    await expect(renewOrgCas(net, { org: 'Org9', ca: true, tlsCa: false }, quiet)).rejects.toMatchObject({ code: 'UNKNOWN_ORG', details: { field: '--org' } });
    await expect(renewOrgCas(net, { org: 'Org1', ca: false, tlsCa: false }, quiet)).rejects.toMatchObject({ code: 'RENEW_TARGET', details: { field: '--ca' } });
    await expect(renewOrgCas(net, { org: 'Org1', ca: true, tlsCa: false, days: 0 }, quiet)).rejects.toMatchObject({ code: 'BAD_DAYS', details: { field: '--days' } });
    const tlsCaKey = path.join(net, 'organizations', 'ordererOrganizations', 'example.com', 'tlsca', 'priv_sk');
    const key = fs.readFileSync(tlsCaKey);
    fs.rmSync(tlsCaKey);
    try {
      await expect(renewOrgCas(net, { org: 'OrdererOrg', ca: true, tlsCa: true }, quiet)).rejects.toMatchObject({ code: 'CA_KEY_NOT_HERE', details: { file: tlsCaKey } });
    } finally {
      fs.writeFileSync(tlsCaKey, key, { mode: 0o600 });
    }
    const adminKey = path.join(net, 'organizations', 'peerOrganizations', 'org1.example.com', 'users', 'Admin@org1.example.com', 'msp', 'keystore', 'priv_sk');
    const admin = fs.readFileSync(adminKey);
    fs.rmSync(adminKey);
    try {
      await expect(renewOrgCas(net, { org: 'Org1', ca: true, tlsCa: false }, quiet)).rejects.toMatchObject({ code: 'KEY_NOT_HERE' });
      await expect(renewMember(net, { node: 'peer0.org1.example.com', revokeOld: true }, quiet)).rejects.toMatchObject({ code: 'KEY_NOT_HERE' });
    } finally {
      fs.writeFileSync(adminKey, admin, { mode: 0o600 });
    }
    expect(snapshot()).toEqual(before);
    expect(fs.existsSync(path.join(net, 'backups'))).toBe(false);
  });

  it('renew --tls-ca of an expired TLS CA that a node not run from here trusts: refused before anything changes (CA_EXPIRED naming the flag, the file, its end and that node); an expired CA with --tls-ca: one at a time', async () => {
    const orgDir = path.join(net, 'organizations', 'peerOrganizations', 'org1.example.com');
    /** Org1's CA (or TLS CA) certificate in its folder as if it had ended yesterday: same key and subject. */
    const expire = async (which: 'ca' | 'tlsca'): Promise<{ file: string; restore: () => void }> => {
      const ca = loadOrgCa(orgDir, which);
      const file = path.join(orgDir, which, ca.fileName);
      const original = fs.readFileSync(file);
      const expired = await reissue(ca.certificate.raw, undefined, {
        selfSignKey: ca.signer.privateKey,
        mutate: (c) => {
          c.notBefore = encodeTime(new Date(Date.now() - 730 * DAY_MS));
          c.notAfter = encodeTime(new Date(Date.now() - DAY_MS));
        },
      });
      fs.writeFileSync(file, expired.pem);
      return { file, restore: () => fs.writeFileSync(file, original) };
    };
    // An expired TLS CA is recovered in place only when every node trusting it runs from here (the
    // recovery itself: network-ca-renew.test.ts). The orderer's TLS key elsewhere, as in a directory
    // it was exported from, means it runs elsewhere: this directory cannot bring it onto the renewed root.
    {
      const { file, restore } = await expire('tlsca');
      const ordererTlsKey = path.join(net, 'organizations', 'ordererOrganizations', 'example.com', 'orderers', 'orderer.example.com', 'tls', 'server.key');
      const key = fs.readFileSync(ordererTlsKey);
      fs.rmSync(ordererTlsKey);
      const before = snapshot();
      try {
        await expect(renewOrgCas(net, { org: 'Org1', ca: false, tlsCa: true }, quiet)).rejects.toMatchObject({
          code: 'CA_EXPIRED',
          message: expect.stringContaining('orderer.example.com does not (keys elsewhere, or on another host)'),
          details: {
            field: '--tls-ca',
            file,
            notAfter: expect.any(String),
            nodesElsewhere: ['orderer.example.com'],
            suggestions: expect.arrayContaining([expect.stringContaining('orderer.example.com included'), expect.stringContaining('tls_root_certs')]),
          },
        });
        // Both named, the expired one refused even when the other is fine; and when both expired (their one-run recovery has the same condition).
        await expect(renewOrgCas(net, { org: 'Org1', ca: true, tlsCa: true }, quiet)).rejects.toMatchObject({ code: 'CA_EXPIRED', details: { field: '--tls-ca', nodesElsewhere: ['orderer.example.com'] } });
        const ca = await expire('ca');
        try {
          await expect(renewOrgCas(net, { org: 'Org1', ca: true, tlsCa: true }, quiet)).rejects.toMatchObject({ code: 'CA_EXPIRED', details: { field: '--tls-ca', nodesElsewhere: ['orderer.example.com'] } });
        } finally {
          ca.restore();
        }
        expect(snapshot()).toEqual(before);
      } finally {
        fs.writeFileSync(ordererTlsKey, key, { mode: 0o600 });
        restore();
      }
    }
    // The orderer's keys here, but network.yaml puts it on another machine (TEST-NET-1): it runs there.
    {
      const { restore } = await expire('tlsca');
      const specFile = path.join(net, 'network.yaml');
      const spec = fs.readFileSync(specFile, 'utf8');
      fs.writeFileSync(specFile, spec.replace(/(- name: orderer\n(?:\s+#.*\n)*\s+host: )127\.0\.0\.1/, '$1192.0.2.10'));
      try {
        await expect(renewOrgCas(net, { org: 'Org1', ca: false, tlsCa: true }, quiet)).rejects.toMatchObject({ code: 'CA_EXPIRED', details: { field: '--tls-ca', nodesElsewhere: ['orderer.example.com'] } });
      } finally {
        fs.writeFileSync(specFile, spec);
        restore();
      }
    }
    // Every node here: --ca --tls-ca on an expired TLS CA, and --ca with it expired, say to recover the TLS CA alone first.
    {
      const { restore } = await expire('tlsca');
      const before = snapshot();
      try {
        await expect(renewOrgCas(net, { org: 'Org1', ca: true, tlsCa: true }, quiet)).rejects.toMatchObject({ code: 'RENEW_TARGET', details: { field: '--ca' } });
        await expect(renewOrgCas(net, { org: 'Org1', ca: true, tlsCa: false }, quiet)).rejects.toMatchObject({ code: 'RENEW_TARGET', details: { field: '--ca', suggestions: [expect.stringContaining('--tls-ca')] } });
        expect(snapshot()).toEqual(before);
        // The CA expired too: the members are re-issued from it and its Admin signs, so both are recovered in one run.
        const ca = await expire('ca');
        try {
          await expect(renewOrgCas(net, { org: 'Org1', ca: false, tlsCa: true }, quiet)).rejects.toMatchObject({
            code: 'RENEW_TARGET',
            details: { field: '--tls-ca', suggestions: [expect.stringContaining('--ca --tls-ca')] },
          });
        } finally {
          ca.restore();
        }
      } finally {
        restore();
      }
    }
    // An expired CA is recovered alone: with --tls-ca too, RENEW_TARGET says to run them one at a time.
    const { restore } = await expire('ca');
    const before = snapshot();
    try {
      await expect(renewOrgCas(net, { org: 'Org1', ca: true, tlsCa: true }, quiet)).rejects.toMatchObject({ code: 'RENEW_TARGET', details: { field: '--tls-ca' } });
      expect(snapshot()).toEqual(before);
    } finally {
      restore();
    }
  });

  it('revoke --node with nothing renewed; revoke of the orderer org\'s Admin', async () => {
    await expect(revokeNodeEarlierCertificates(net, { node: 'peer0.org1.example.com' }, quiet)).rejects.toMatchObject({ code: 'NOTHING_TO_REVOKE', details: { field: '--node' } });
    await expect(revokeUser(net, { org: 'OrdererOrg', user: 'Admin' }, quiet)).rejects.toMatchObject({ code: 'CANNOT_REVOKE_ADMIN', details: { field: '--user' } });
    await expect(revokeUser(net, { org: '', user: '' }, quiet)).rejects.toMatchObject({ code: 'REVOKE_TARGET', details: { field: '--org' } });
  });
});
