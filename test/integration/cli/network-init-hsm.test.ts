import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { stringify } from 'yaml';
import { userTokenOptions } from '../../../cli/services/client/cli-token';
import type { HsmKeyFlags } from '../../../cli/services/network/member-token';
import { DEFAULT_INIT_OPTIONS, initNetwork, initNetworkFromFile, specFromOptions, type InitResult } from '../../../cli/services/network/network-init';
import { openNetwork } from '../../../cli/services/network/network-access';
import { renewMember } from '../../../cli/services/network/network-renew';
import { exportNetwork } from '../../../cli/services/network/network-export';
import type { UserLayout } from '../../../cli/services/network/network-layout';
import { assertOrgAdminHere, resolveMspOrg } from '../../../cli/services/network/org-msp-channels';
import { nodeKeysHere, signingKeyHere } from '../../../cli/services/network/org-keys';
import { loadNodeConfig, slotOptions } from '../../../core/node/config';
import { closeAllTokenSessions, PKCS11_PIN_ENV } from '../../../plugins/msp-x509';
import { CK } from '../../../plugins/msp-x509/pkcs11-library';
import { SOFTHSM_LIBRARY, softHsm, type SoftHsm } from '../../unit/plugins/msp-x509/softhsm';
import { expectKeyInToken, expectSigns, keystoreFiles, signcertOf, TOKEN_PIN, tokenObjects, tokenOptions } from './token-keys';

const PIN = TOKEN_PIN;
const quiet = (): void => {};
const BASE_PORT = 45500;

/** `weft network init --hsm-library --hsm-label` into a real SoftHSM token, no processes. */
describe('network init with every signing key generated in a PKCS#11 token', () => {
  let hsm: SoftHsm;
  let tmp: string;
  const keys = (label: string): HsmKeyFlags => ({ hsmLibrary: SOFTHSM_LIBRARY, hsmLabel: label });

  beforeAll(() => {
    hsm = softHsm('init');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-init-hsm-'));
    process.env[PKCS11_PIN_ENV] = PIN;
  });
  afterAll(() => {
    closeAllTokenSessions();
    delete process.env[PKCS11_PIN_ENV];
    hsm.remove();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('writes no keystore file; each private key is sensitive, never extractable, filed under its SKI; each node loads from its YAML and signs what its certificate verifies', async () => {
    const label = hsm.initToken('net', PIN);
    const dir = path.join(tmp, 'net');
    const result = await initNetwork(dir, { ...DEFAULT_INIT_OPTIONS, basePort: BASE_PORT }, quiet, keys(label));
    expect(result.signingKeyToken).toEqual({ library: SOFTHSM_LIBRARY, label });

    expect(keystoreFiles(dir)).toEqual([]);
    const layout = openNetwork(dir);
    const members = [...layout.nodes(), layout.ordererAdmin(), ...layout.users()];
    // Orderer, Admin of the orderer org; a peer, Admin and User1 of each of the two peer orgs.
    expect(members).toHaveLength(8);
    expect(tokenObjects(label, CK.CKO_PRIVATE_KEY)).toBe(members.length);
    expect(tokenObjects(label, CK.CKO_PUBLIC_KEY)).toBe(members.length);

    for (const member of members) expectKeyInToken(label, member.mspDir);
    // CA and TLS keys stay files, as Fabric never puts TLS keys in the BCCSP.
    for (const node of layout.nodes()) expect(fs.existsSync(path.join(node.tlsDir, 'server.key'))).toBe(true);
    for (const user of [layout.ordererAdmin(), ...layout.users()]) expect(fs.existsSync(user.tlsKeyPath)).toBe(true);
    for (const org of ['ordererOrganizations/example.com', 'peerOrganizations/org1.example.com', 'peerOrganizations/org2.example.com']) {
      expect(fs.existsSync(path.join(dir, 'organizations', org, 'ca', 'priv_sk'))).toBe(true);
      expect(fs.existsSync(path.join(dir, 'organizations', org, 'tlsca', 'priv_sk'))).toBe(true);
    }

    for (const node of layout.nodes()) {
      expect(fs.readFileSync(node.configFile, 'utf8')).not.toContain(PIN);
      const config = loadNodeConfig(node.configFile);
      expect(config.plugins.msp).toEqual({ plugin: 'msp-x509', options: tokenOptions(label) });
      expect(nodeKeysHere(layout, node)).toBe(true);
      expectSigns(slotOptions(config, 'msp'), node.mspDir, node.mspId);
    }
    // The CLI's users: in the token once the shell names it.
    const user = layout.users()[0]!;
    expect(userTokenOptions(user.mspDir, {})).toBeUndefined();
    expect(userTokenOptions(user.mspDir, { WEFT_PKCS11_LIBRARY: SOFTHSM_LIBRARY, WEFT_PKCS11_LABEL: label })).toEqual(tokenOptions(label));

    // Renewal keeps a key born in the token: its YAML says PKCS11, so no new key is made.
    const orderer = layout.orderers()[0]!;
    const keyBefore = signcertOf(orderer.mspDir).publicKey.export({ format: 'der', type: 'spki' });
    expect(await renewMember(dir, { node: orderer.id }, quiet)).toMatchObject({ keyInToken: true });
    expect(signcertOf(orderer.mspDir).publicKey.export({ format: 'der', type: 'spki' })).toEqual(keyBefore);
    expect(keystoreFiles(dir)).toEqual([]);
    expect(tokenObjects(label, CK.CKO_PRIVATE_KEY)).toBe(members.length);

    // Admin commands take a token Admin; an export carries Org1's empty keystores, so its users still sign from the copy.
    const org1 = resolveMspOrg(layout, 'Org1MSP');
    expect(() => assertOrgAdminHere(layout, org1)).toThrow(expect.objectContaining({ code: 'KEY_NOT_HERE' }));
    process.env.WEFT_PKCS11_LIBRARY = SOFTHSM_LIBRARY;
    process.env.WEFT_PKCS11_LABEL = label;
    try {
      assertOrgAdminHere(layout, org1);
      const exported = openNetwork(exportNetwork(dir, path.join(tmp, 'export-org1'), ['Org1MSP'], quiet).dir);
      const userOf = (mspId: string): UserLayout => exported.users().find((u) => u.mspId === mspId)!;
      expect(signingKeyHere(userOf('Org1MSP'))).toBe(true);
      expect(signingKeyHere(userOf('Org2MSP'))).toBe(false);
    } finally {
      delete process.env.WEFT_PKCS11_LIBRARY;
      delete process.env.WEFT_PKCS11_LABEL;
    }
  }, 60_000);

  it('refuses one flag without the other, a missing PIN, a wrong PIN, a token or library not there: typed, naming the library or label and never the PIN, with no folder written and no key left in the token', async () => {
    const label = hsm.initToken('refuse', PIN);
    const dir = path.join(tmp, 'refused');
    const init = (k: HsmKeyFlags): Promise<InitResult> => initNetwork(dir, { ...DEFAULT_INIT_OPTIONS, basePort: BASE_PORT }, quiet, k);

    await expect(init({ hsmLibrary: SOFTHSM_LIBRARY })).rejects.toMatchObject({ code: 'INIT_OPTIONS_INVALID', details: { field: '--hsm-label' } });
    await expect(init({ hsmLabel: label })).rejects.toMatchObject({ code: 'INIT_OPTIONS_INVALID', details: { field: '--hsm-library' } });
    delete process.env[PKCS11_PIN_ENV];
    try {
      await expect(init(keys(label))).rejects.toMatchObject({ code: 'HSM_PIN_MISSING', details: { field: PKCS11_PIN_ENV } });
      process.env[PKCS11_PIN_ENV] = '11112222';
      const wrongPin = (await init(keys(label)).catch((err: unknown) => err)) as { message: string; details: unknown };
      expect(wrongPin).toMatchObject({ code: 'MSP_PKCS11_LOGIN', details: { library: SOFTHSM_LIBRARY, label } });
      expect(`${wrongPin.message} ${JSON.stringify(wrongPin.details)}`).not.toContain('11112222');
    } finally {
      process.env[PKCS11_PIN_ENV] = PIN;
    }
    await expect(init(keys('no-such-token'))).rejects.toMatchObject({ code: 'MSP_PKCS11_TOKEN_NOT_FOUND', details: { library: SOFTHSM_LIBRARY, label: 'no-such-token' } });
    const missingLibrary = path.join(tmp, 'no-such-module.so');
    await expect(init({ hsmLibrary: missingLibrary, hsmLabel: label })).rejects.toMatchObject({ code: 'MSP_PKCS11_LIBRARY', details: { library: missingLibrary } });

    expect(fs.existsSync(dir)).toBe(false);
    expect(fs.readdirSync(tmp).filter((f) => f.includes('refused'))).toEqual([]);
    expect(tokenObjects(label, CK.CKO_PRIVATE_KEY)).toBe(0);
  }, 60_000);

  it('a failure after some orgs were generated (a user name too long for a folder) leaves no network folder and removes the keys already made from the token', async () => {
    const label = hsm.initToken('midway', PIN);
    const spec = specFromOptions({ ...DEFAULT_INIT_OPTIONS, basePort: BASE_PORT });
    // network.yaml puts no length limit on a user name; the file system does (ENAMETOOLONG), in the last org.
    const file = path.join(tmp, 'midway.yaml');
    fs.writeFileSync(file, stringify({ ...spec, orgs: spec.orgs.map((org, i) => (i === spec.orgs.length - 1 ? { ...org, users: ['Admin', `U${'x'.repeat(300)}`] } : org)) }));
    const dir = path.join(tmp, 'midway');

    const steps: string[] = [];
    await expect(initNetworkFromFile(dir, file, (m) => steps.push(m), keys(label))).rejects.toMatchObject({ code: 'TARGET_WRITE_FAILED', details: { errno: 'ENAMETOOLONG' } });
    // The keys of the orderer org and Org1 were made in the token before Org2 failed.
    expect(steps).toContain(`generating crypto material for 3 organizations, signing keys in PKCS#11 token "${label}"`);
    expect(fs.existsSync(dir)).toBe(false);
    expect(tokenObjects(label, CK.CKO_PRIVATE_KEY)).toBe(0);
    expect(tokenObjects(label, CK.CKO_PUBLIC_KEY)).toBe(0);
  }, 60_000);
});
