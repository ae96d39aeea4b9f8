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

const DAY_MS = 86_400_000;

const quiet = (): void => {};

/** renew --ca/--tls-ca, --revoke-old and revoke --node: every refusal that comes before the network is asked anything. */
describe('network renew --ca / --revoke-old, revoke --node: refusals, nothing written', () => {
  let tmp: string;
  let net: string;
  /** Every file under organizations/ with its bytes. */
  const snapshot = (): Record<string, string> => {
    const root = path.join(net, 'organizations');
    return Object.fromEntries(
      fs
        .readdirSync(root, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => [path.relative(root, path.join(e.parentPath, e.name)), fs.readFileSync(path.join(e.parentPath, e.name), 'base64')]),
    );
  };

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

  it('renew --tls-ca of an expired TLS CA: refused before anything changes (CA_EXPIRED naming the flag, the file and its end); an expired CA with --tls-ca: one at a time', async () => {
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
    // An expired TLS CA is not recovered in place (an expired CA is: see expired-ca-recovery.test.ts).
    {
      const { file, restore } = await expire('tlsca');
      const before = snapshot();
      try {
        await expect(renewOrgCas(net, { org: 'Org1', ca: false, tlsCa: true }, quiet)).rejects.toMatchObject({
          code: 'CA_EXPIRED',
          message: expect.stringContaining('cannot recover an expired TLS CA'),
          details: { field: '--tls-ca', file, notAfter: expect.any(String) },
        });
        // Both named, the expired one refused even when the other is fine.
        await expect(renewOrgCas(net, { org: 'Org1', ca: true, tlsCa: true }, quiet)).rejects.toMatchObject({ code: 'CA_EXPIRED', details: { field: '--tls-ca' } });
        expect(snapshot()).toEqual(before);
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
