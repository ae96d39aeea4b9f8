import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ImplicitMetaPolicy } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { Config } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { chooseSubmitter, submitterCandidates } from '../../../../cli/services/network/config-submitter';
import { expiredMembers } from '../../../../cli/services/network/expired-ca-recovery';
import { signerIgnoringExpiry } from '../../../../cli/services/network/expired-signer';
import { openNetwork } from '../../../../cli/services/network/network-access';
import { DEFAULT_INIT_OPTIONS, initNetwork } from '../../../../cli/services/network/network-init';
import { renewOrgCas } from '../../../../cli/services/network/org-ca-renewal';
import { resolveMspOrg } from '../../../../cli/services/network/org-msp-channels';
import { parseConfigBlock, type ParsedChannelConfig } from '../../../../core/protocol/config-parse';
import { encodeTime } from '../../../../plugins/msp-x509/crypto-material/certificate-builder';
import { loadOrgCa } from '../../../../plugins/msp-x509/crypto-material/org-authority';
import { X509MspProvider } from '../../../../plugins/msp-x509/x509-msp-provider';
import { reissue } from '../../plugins/msp-x509/cert-forge';
import { fileTreeOf } from '../../../support/file-tree';

const DAY_MS = 86_400_000;
const ORG1 = 'org1.example.com';
const quiet = (): void => {};

/**
 * Recovering an expired CA: who may carry the config update (the org's own Admin expired with its
 * CA), every refusal that comes before anything is sent or written, and the signer that still signs
 * for an expired Admin.
 */
describe('network renew --ca of an expired CA: the submitter, refusals before anything changes', () => {
  let tmp: string;
  let net: string;
  const peerOrgDir = (domain: string): string => path.join(net, 'organizations', 'peerOrganizations', domain);
  const ordererOrgDir = (): string => path.join(net, 'organizations', 'ordererOrganizations', 'example.com');
  /** Every file under organizations/ with its bytes. */
  const snapshot = (): Record<string, string> => fileTreeOf(path.join(net, 'organizations'));
  /**
   * Replaces `file` (a certificate) by one with the same key, subject and issuer that ended
   * yesterday (or over `validity`); returns how to undo it.
   */
  const expire = async (file: string, issuerKeyOrgDir: string, which: 'ca' | 'tlsca' = 'ca', validity = { from: new Date(Date.now() - 730 * DAY_MS), to: new Date(Date.now() - DAY_MS) }): Promise<() => void> => {
    const original = fs.readFileSync(file);
    const ca = loadOrgCa(issuerKeyOrgDir, which);
    const expired = await reissue(new X509Certificate(original).raw, undefined, {
      selfSignKey: ca.signer.privateKey,
      mutate: (c) => {
        c.notBefore = encodeTime(validity.from);
        c.notAfter = encodeTime(validity.to);
      },
    });
    fs.writeFileSync(file, expired.pem);
    return () => fs.writeFileSync(file, original);
  };
  const caFile = (orgDir: string, which: 'ca' | 'tlsca' = 'ca'): string => path.join(orgDir, which, loadOrgCa(orgDir, which).fileName);
  const genesis = (): ParsedChannelConfig => {
    const network = openNetwork(net);
    return parseConfigBlock(fs.readFileSync(network.genesisBlockFileOf('mychannel')));
  };

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-expired-ca-'));
    net = path.join(tmp, 'net');
    await initNetwork(net, { ...DEFAULT_INIT_OPTIONS, basePort: 41100 });
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("a peer org's recovery is carried by the orderer org's Admin, the orderer org's by a peer org Admin: each one a writer of the channel", () => {
    const network = openNetwork(net);
    const org1 = resolveMspOrg(network, 'Org1');
    const ordererOrg = resolveMspOrg(network, 'OrdererOrg');
    const now = new Date();
    expect(chooseSubmitter(org1, submitterCandidates(network, org1, now), [genesis()])).toMatchObject({ mspId: 'OrdererMSP' });
    expect(chooseSubmitter(ordererOrg, submitterCandidates(network, ordererOrg, now), [genesis()])).toMatchObject({ mspId: 'Org1MSP' });
  });

  it("the orderer org's recovery, when the channel's /Channel/Writers needs every group (ALL): NO_CONFIG_SUBMITTER naming each peer org Admin and the policy", () => {
    const network = openNetwork(net);
    const ordererOrg = resolveMspOrg(network, 'OrdererOrg');
    const current = genesis();
    const config = Config.deserializeBinary(current.config.serializeBinary());
    const writers = config.getChannelGroup()!.getPoliciesMap().get('Writers')!.getPolicy()!;
    const meta = ImplicitMetaPolicy.deserializeBinary(writers.getValue_asU8());
    meta.setRule(ImplicitMetaPolicy.Rule.ALL);
    writers.setValue(meta.serializeBinary());
    let thrown: unknown;
    try {
      chooseSubmitter(ordererOrg, submitterCandidates(network, ordererOrg, new Date()), [{ ...current, config }]);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({
      code: 'NO_CONFIG_SUBMITTER',
      details: {
        field: '--org',
        candidates: [
          { id: `Admin@${ORG1}`, why: expect.stringContaining('/Channel/Writers') },
          { id: 'Admin@org2.example.com', why: expect.stringContaining('/Channel/Writers') },
        ],
      },
    });
  });

  it("Org1's CA expired and no Admin here may submit (the orderer org's expired, Org2's key absent): NO_CONFIG_SUBMITTER, nothing written", async () => {
    const undoCa = await expire(caFile(peerOrgDir(ORG1)), peerOrgDir(ORG1));
    const ordererAdminCert = path.join(ordererOrgDir(), 'users', 'Admin@example.com', 'msp', 'signcerts', 'Admin@example.com-cert.pem');
    const undoAdmin = await expire(ordererAdminCert, ordererOrgDir());
    const org2Key = path.join(peerOrgDir('org2.example.com'), 'users', 'Admin@org2.example.com', 'msp', 'keystore', 'priv_sk');
    const key = fs.readFileSync(org2Key);
    fs.rmSync(org2Key);
    const before = snapshot();
    try {
      await expect(renewOrgCas(net, { org: 'Org1', ca: true, tlsCa: false }, quiet)).rejects.toMatchObject({
        code: 'NO_CONFIG_SUBMITTER',
        details: {
          field: '--org',
          candidates: [
            { id: 'Admin@example.com', why: expect.stringContaining('expired') },
            { id: 'Admin@org2.example.com', why: expect.stringContaining(org2Key) },
          ],
        },
      });
      expect(snapshot()).toEqual(before);
      expect(fs.existsSync(path.join(net, 'backups'))).toBe(false);
    } finally {
      fs.writeFileSync(org2Key, key, { mode: 0o600 });
      undoAdmin();
      undoCa();
    }
  });

  it("the orderer org's CA expired with no orderer running: ORDERERS_DOWN (an orderer cannot come back first), nothing written", async () => {
    const undo = await expire(caFile(ordererOrgDir()), ordererOrgDir());
    const before = snapshot();
    try {
      await expect(renewOrgCas(net, { org: 'OrdererOrg', ca: true, tlsCa: false }, quiet)).rejects.toMatchObject({
        code: 'ORDERERS_DOWN',
        message: expect.stringContaining('does not start with an expired signing certificate'),
        details: { field: '--org', orderers: ['orderer.example.com'] },
      });
      expect(snapshot()).toEqual(before);
    } finally {
      undo();
    }
  });

  it("an org whose CA and TLS CA both expired, a peer org or the orderer org: either flag alone is RENEW_TARGET naming --ca --tls-ca; both, with no Admin here that may submit, NO_CONFIG_SUBMITTER; nothing written, no node stopped", async () => {
    const undoCa = await expire(caFile(peerOrgDir(ORG1)), peerOrgDir(ORG1));
    const undoTls = await expire(caFile(peerOrgDir(ORG1), 'tlsca'), peerOrgDir(ORG1), 'tlsca');
    const before = snapshot();
    try {
      for (const [flags, field] of [[{ ca: true, tlsCa: false }, '--ca'], [{ ca: false, tlsCa: true }, '--tls-ca']] as const) {
        await expect(renewOrgCas(net, { org: 'Org1', ...flags }, quiet)).rejects.toMatchObject({
          code: 'RENEW_TARGET',
          message: expect.stringContaining('both expired'),
          details: { field, suggestions: [expect.stringContaining('--org Org1 --ca --tls-ca')] },
        });
      }
      // Both named: the recovery's first check, before any channel is read (the orderer org's Admin expired, Org2's key absent).
      const ordererAdminCert = path.join(ordererOrgDir(), 'users', 'Admin@example.com', 'msp', 'signcerts', 'Admin@example.com-cert.pem');
      const undoAdmin = await expire(ordererAdminCert, ordererOrgDir());
      const org2Key = path.join(peerOrgDir('org2.example.com'), 'users', 'Admin@org2.example.com', 'msp', 'keystore', 'priv_sk');
      const key = fs.readFileSync(org2Key);
      fs.rmSync(org2Key);
      try {
        await expect(renewOrgCas(net, { org: 'Org1', ca: true, tlsCa: true }, quiet)).rejects.toMatchObject({
          code: 'NO_CONFIG_SUBMITTER',
          details: { field: '--org', candidates: [{ id: 'Admin@example.com', why: expect.stringContaining('expired') }, { id: 'Admin@org2.example.com', why: expect.stringContaining(org2Key) }] },
        });
      } finally {
        fs.writeFileSync(org2Key, key, { mode: 0o600 });
        undoAdmin();
      }
      expect(snapshot()).toEqual(before);
    } finally {
      undoTls();
      undoCa();
    }
    const undoOrdererCa = await expire(caFile(ordererOrgDir()), ordererOrgDir());
    const undoOrdererTls = await expire(caFile(ordererOrgDir(), 'tlsca'), ordererOrgDir(), 'tlsca');
    // The orderer org: recovered with both flags (a peer org's Admin carrying the updates), refused alone; with no peer org Admin here that may submit, refused before any node stops.
    const admins = [ORG1, 'org2.example.com'].map((d) => path.join(peerOrgDir(d), 'users', `Admin@${d}`, 'msp', 'keystore', 'priv_sk'));
    const keys = admins.map((k) => fs.readFileSync(k));
    for (const k of admins) fs.rmSync(k);
    const beforeOrderer = snapshot();
    try {
      for (const [flags, field] of [[{ ca: true, tlsCa: false }, '--ca'], [{ ca: false, tlsCa: true }, '--tls-ca']] as const) {
        await expect(renewOrgCas(net, { org: 'OrdererOrg', ...flags }, quiet)).rejects.toMatchObject({
          code: 'RENEW_TARGET',
          message: expect.stringContaining('both expired'),
          details: { field, suggestions: [expect.stringContaining('--org OrdererOrg --ca --tls-ca')] },
        });
      }
      await expect(renewOrgCas(net, { org: 'OrdererOrg', ca: true, tlsCa: true }, quiet)).rejects.toMatchObject({
        code: 'NO_CONFIG_SUBMITTER',
        details: { field: '--org', candidates: [{ id: `Admin@${ORG1}`, why: expect.stringContaining(admins[0]) }, { id: 'Admin@org2.example.com', why: expect.stringContaining(admins[1]) }] },
      });
      expect(snapshot()).toEqual(beforeOrderer);
      expect(fs.existsSync(path.join(net, 'backups'))).toBe(false);
      expect(fs.existsSync(path.join(net, 'run', 'renew-stopped.json'))).toBe(false);
    } finally {
      admins.forEach((k, i) => fs.writeFileSync(k, keys[i]!, { mode: 0o600 }));
      undoOrdererTls();
      undoOrdererCa();
    }
  });

  it("expiredMembers lists the org's members whose certificates ended, and an expired Admin still signs (its signature verifies under its MSP)", async () => {
    const network = openNetwork(net);
    const org1 = resolveMspOrg(network, 'Org1');
    expect(expiredMembers(network, org1, new Date())).toEqual([]);
    const admin = network.user(network.spec.orgs[0]!, 'Admin');
    // Issued after its CA's start (init's, five minutes back), so its chain verifies at its own start.
    const undo = await expire(admin.certPath, peerOrgDir(ORG1), 'ca', { from: new Date(Date.now() - 60_000), to: new Date(Date.now() - 1_000) });
    try {
      expect(expiredMembers(network, org1, new Date())).toEqual([{ id: `Admin@${ORG1}`, ended: ['enrollment'], renew: { org: 'Org1', user: 'Admin' } }]);
      const signer = signerIgnoringExpiry(admin);
      expect(signer.notAfter.getTime()).toBeLessThan(Date.now());
      const msp = new X509MspProvider().createMsp(new X509MspProvider().loadMspConfig(path.join(peerOrgDir(ORG1), 'msp'), 'Org1MSP'));
      const identity = msp.deserializeIdentity(signer.serialized);
      const message = Buffer.from('config update');
      for (let i = 0; i < 20; i++) expect(identity.verify(message, signer.sign(message))).toBe(true);
      expect(() => identity.validate()).not.toThrow();
    } finally {
      undo();
    }
  });
});
