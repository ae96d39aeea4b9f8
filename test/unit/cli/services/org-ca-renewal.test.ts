import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEFAULT_INIT_OPTIONS, initNetwork } from '../../../../cli/services/network/network-init';
import { renewMember } from '../../../../cli/services/network/network-renew';
import { revokeNodeEarlierCertificates } from '../../../../cli/services/network/node-revocation';
import { renewOrgCas } from '../../../../cli/services/network/org-ca-renewal';
import { revokeUser } from '../../../../cli/services/network/org-revocation';

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

  it('revoke --node with nothing renewed; revoke of the orderer org\'s Admin', async () => {
    await expect(revokeNodeEarlierCertificates(net, { node: 'peer0.org1.example.com' }, quiet)).rejects.toMatchObject({ code: 'NOTHING_TO_REVOKE', details: { field: '--node' } });
    await expect(revokeUser(net, { org: 'OrdererOrg', user: 'Admin' }, quiet)).rejects.toMatchObject({ code: 'CANNOT_REVOKE_ADMIN', details: { field: '--user' } });
    await expect(revokeUser(net, { org: '', user: '' }, quiet)).rejects.toMatchObject({ code: 'REVOKE_TARGET', details: { field: '--org' } });
  });
});
