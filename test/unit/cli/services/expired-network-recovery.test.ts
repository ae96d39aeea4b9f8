import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { expiredMembers } from '../../../../cli/services/network/expired-ca-recovery';
import { backdatedStart, reissueBackdated } from '../../../../cli/services/network/expired-member-backdate';
import { recoverExpiredNetwork } from '../../../../cli/services/network/expired-network-recovery';
import { openNetwork } from '../../../../cli/services/network/network-access';
import { DEFAULT_INIT_OPTIONS, initNetwork } from '../../../../cli/services/network/network-init';
import { resolveMspOrg } from '../../../../cli/services/network/org-msp-channels';
import { encodeTime } from '../../../../plugins/msp-x509/crypto-material/certificate-builder';
import { loadOrgCa } from '../../../../plugins/msp-x509/crypto-material/org-authority';
import { reissue } from '../../plugins/msp-x509/cert-forge';
import { fileTreeOf } from '../../../support/file-tree';

const DAY_MS = 86_400_000;
const ORG1 = 'org1.example.com';
const quiet = (): void => {};

/** `weft network renew --all-expired`: every refusal comes before anything is written. */
describe('network renew --all-expired: refusals before anything changes; members re-issued from their old start', () => {
  let tmp: string;
  let net: string;
  const org1Dir = (): string => path.join(net, 'organizations', 'peerOrganizations', ORG1);
  const snapshot = (): Record<string, string> => fileTreeOf(path.join(net, 'organizations'));
  const caFile = (which: 'ca' | 'tlsca'): string => path.join(org1Dir(), which, loadOrgCa(org1Dir(), which).fileName);
  /** Org1's CA (or TLS CA) certificate replaced by one of the same key and subject that ended yesterday; returns how to undo it. */
  const expireOrg1 = async (which: 'ca' | 'tlsca'): Promise<() => void> => {
    const file = caFile(which);
    const original = fs.readFileSync(file);
    const expired = await reissue(new X509Certificate(original).raw, undefined, {
      selfSignKey: loadOrgCa(org1Dir(), which).signer.privateKey,
      mutate: (c) => {
        c.notBefore = encodeTime(new Date(Date.now() - 730 * DAY_MS));
        c.notAfter = encodeTime(new Date(Date.now() - DAY_MS));
      },
    });
    fs.writeFileSync(file, expired.pem);
    return () => fs.writeFileSync(file, original);
  };

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-all-expired-'));
    net = path.join(tmp, 'net');
    await initNetwork(net, { ...DEFAULT_INIT_OPTIONS, basePort: 45200 });
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('some CAs expired, not all: RENEW_TARGET naming them and the per-org command, nothing written', async () => {
    const undo = [await expireOrg1('ca'), await expireOrg1('tlsca')];
    try {
      const before = snapshot();
      const err = await recoverExpiredNetwork(net, {}, quiet).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'RENEW_TARGET', details: { field: '--all-expired', expired: ['Org1 CA', 'Org1 TLS CA'], suggestions: [`weft network renew ${net} --org Org1 --ca --tls-ca`] } });
      expect((err as Error).message).toContain('OrdererOrg CA');
      expect(snapshot()).toEqual(before);
    } finally {
      for (const u of undo) u();
    }
  });

  it("a node whose keys are not here: NODES_ELSEWHERE naming it, nothing written", async () => {
    const keystore = path.join(org1Dir(), 'peers', `peer0.${ORG1}`, 'msp', 'keystore');
    const moved = path.join(tmp, 'keystore-elsewhere');
    fs.renameSync(keystore, moved);
    try {
      const before = snapshot();
      const err = await recoverExpiredNetwork(net, {}, quiet).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'NODES_ELSEWHERE', details: { field: '--all-expired', nodesElsewhere: [`peer0.${ORG1}`] } });
      expect(snapshot()).toEqual(before);
    } finally {
      fs.renameSync(moved, keystore);
    }
  });

  it('--days 0: BAD_DAYS naming the flag', async () => {
    await expect(recoverExpiredNetwork(net, { days: 0 }, quiet)).rejects.toMatchObject({ code: 'BAD_DAYS', details: { field: '--days' } });
  });

  it("a member issued nine years ago is re-issued from its old start, new key, valid ten years from now: not from its start", async () => {
    const userDir = path.join(org1Dir(), 'users', `User1@${ORG1}`);
    const certFile = path.join(userDir, 'msp', 'signcerts', `User1@${ORG1}-cert.pem`);
    const oldStart = new Date(Date.now() - 9 * 365 * DAY_MS + 12_345);
    const old = await reissue(new X509Certificate(fs.readFileSync(certFile)).raw, undefined, {
      selfSignKey: loadOrgCa(org1Dir(), 'ca').signer.privateKey,
      mutate: (c) => {
        c.notBefore = encodeTime(oldStart);
        c.notAfter = encodeTime(new Date(Date.now() - DAY_MS));
      },
    });
    fs.writeFileSync(certFile, old.pem);
    const oldKey = fs.readFileSync(path.join(userDir, 'msp', 'keystore', 'priv_sk'));
    const network = openNetwork(net);
    const org1 = resolveMspOrg(network, 'Org1');
    const member = expiredMembers(network, org1, new Date()).find((m) => m.id === `User1@${ORG1}`)!;
    const issued = await reissueBackdated(network, org1, member, undefined, quiet);

    const renewed = new X509Certificate(fs.readFileSync(certFile));
    const start = new Date(renewed.validFrom);
    expect(start.toISOString()).toBe(issued.enrollment.notBefore);
    expect(start.toISOString()).toBe(backdatedStart(old.pem).toISOString());
    // X.509 times are whole seconds: the old certificate's start, to the second.
    expect(start.getTime()).toBe(Math.floor(oldStart.getTime() / 1000) * 1000);
    expect(new Date(renewed.validTo).getTime()).toBeGreaterThan(Date.now() + 3000 * DAY_MS);
    expect(renewed.verify(new X509Certificate(fs.readFileSync(caFile('ca'))).publicKey)).toBe(true);
    expect(fs.readFileSync(path.join(userDir, 'msp', 'keystore', 'priv_sk')).equals(oldKey)).toBe(false);
    expect(fs.readFileSync(path.join(issued.backupDir, 'msp', 'signcerts', `User1@${ORG1}-cert.pem`), 'utf8')).toBe(old.pem);
  });
});
