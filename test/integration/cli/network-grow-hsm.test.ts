import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse as parseYaml, stringify } from 'yaml';
import { userTokenOptions } from '../../../cli/services/client/cli-token';
import { openNetwork } from '../../../cli/services/network/network-access';
import { addOrg } from '../../../cli/services/network/network-add-org';
import { addPeer } from '../../../cli/services/network/network-add-peer';
import { joinNetwork } from '../../../cli/services/network/network-join';
import { createOwnOrg } from '../../../cli/services/network/network-new-org';
import { NETWORK_FILE } from '../../../cli/services/network/network-spec';
import { addUsers } from '../../../cli/services/network/network-users';
import { nodeKeysHere, signingKeyHere } from '../../../cli/services/network/org-keys';
import { loadNodeConfig, slotOptions } from '../../../core/node/config';
import { PKCS11_PIN_ENV } from '../../../plugins/msp-x509';
import { CK } from '../../../plugins/msp-x509/pkcs11-library';
import { SOFTHSM_LIBRARY, type SoftHsm } from '../../unit/plugins/msp-x509/softhsm';
import { expectKeyInToken, expectSigns, initTokenNetwork, keystoreFiles, TOKEN_PIN, tokenObjects, tokenOptions, type TokenNetwork } from './token-keys';

const PIN = TOKEN_PIN;
const quiet = (): void => {};
const BASE_PORT = 46500;

/** `weft network add-peer`, `add-user` and `new-org` on a network whose keys are in a SoftHSM token; no processes. */
describe('a network inited into a PKCS#11 token grows in it', () => {
  let net: TokenNetwork;
  let hsm: SoftHsm;
  let tmp: string;
  let label: string;
  let dir: string;

  beforeAll(async () => {
    net = await initTokenNetwork('grow', { basePort: BASE_PORT });
    ({ hsm, label, dir } = net);
    tmp = path.dirname(dir);
  }, 60_000);
  afterAll(() => net?.close());

  it("add-peer puts the new peer's key in its org's token and its YAML signs there; a peer signing in a token is run from here, so it needs an operations port", async () => {
    const before = tokenObjects(label, CK.CKO_PRIVATE_KEY);
    const result = await addPeer(dir, { org: 'Org1', start: false }, quiet);
    expect(result.signingKeyToken).toEqual({ library: SOFTHSM_LIBRARY, label });
    expect(keystoreFiles(dir)).toEqual([]);
    expect(tokenObjects(label, CK.CKO_PRIVATE_KEY)).toBe(before + 1);

    const layout = openNetwork(dir);
    const peer = layout.peers().find((p) => p.id === result.peer.id)!;
    expectKeyInToken(label, peer.mspDir);
    const config = loadNodeConfig(peer.configFile);
    expect(config.plugins.msp).toEqual({ plugin: 'msp-x509', options: tokenOptions(label) });
    expect(fs.readFileSync(peer.configFile, 'utf8')).not.toContain(PIN);
    expect(nodeKeysHere(layout, peer)).toBe(true);
    expectSigns(slotOptions(config, 'msp'), peer.mspDir, peer.mspId);

    // network.yaml without that peer's operations port: refused, since its YAML says it runs from here.
    const file = path.join(dir, NETWORK_FILE);
    const text = fs.readFileSync(file, 'utf8');
    const spec = parseYaml(text) as { orgs: { peers: { name: string; operationsPort?: number }[] }[] };
    delete spec.orgs[0]!.peers.find((p) => p.name === result.peer.name)!.operationsPort;
    fs.writeFileSync(file, stringify(spec));
    try {
      expect(() => openNetwork(dir)).toThrow(expect.objectContaining({ code: 'NETWORK_SPEC_INVALID', message: expect.stringContaining(`${result.peer.id} is run from this directory`) }));
    } finally {
      fs.writeFileSync(file, text);
    }
  }, 60_000);

  it("add-user puts the users' keys in the CLI's token when its variables name one, else in the nodes' token; the CLI signs as them with the usual variables", async () => {
    const cliLabel = hsm.initToken('cli', PIN);
    const inNodes = await addUsers(dir, { org: 'Org2', names: ['Auditor'] }, quiet);
    expect(inNodes.signingKeyToken).toEqual({ library: SOFTHSM_LIBRARY, label });
    const env = { WEFT_PKCS11_LIBRARY: SOFTHSM_LIBRARY, WEFT_PKCS11_LABEL: cliLabel };
    Object.assign(process.env, env);
    try {
      const inCli = await addUsers(dir, { org: 'Org2', names: ['Carol'] }, quiet);
      expect(inCli.signingKeyToken).toEqual({ library: SOFTHSM_LIBRARY, label: cliLabel });
      const carol = openNetwork(dir).users().find((u) => u.id === 'Carol@org2.example.com')!;
      expectKeyInToken(cliLabel, carol.mspDir);
      expect(tokenObjects(cliLabel, CK.CKO_PRIVATE_KEY)).toBe(1);
      expect(signingKeyHere(carol)).toBe(true);
      expect(userTokenOptions(carol.mspDir)).toEqual(tokenOptions(cliLabel));
      expectSigns(userTokenOptions(carol.mspDir)!, carol.mspDir, carol.mspId);
    } finally {
      delete process.env.WEFT_PKCS11_LIBRARY;
      delete process.env.WEFT_PKCS11_LABEL;
    }
    const auditor = openNetwork(dir).users().find((u) => u.id === 'Auditor@org2.example.com')!;
    expectKeyInToken(label, auditor.mspDir);
    expectSigns(userTokenOptions(auditor.mspDir, { WEFT_PKCS11_LIBRARY: SOFTHSM_LIBRARY, WEFT_PKCS11_LABEL: label })!, auditor.mspDir, auditor.mspId);
    expect(keystoreFiles(dir)).toEqual([]);
  }, 60_000);

  it('--hsm-library/--hsm-label name the token outright, over the one the org signs in', async () => {
    const otherLabel = hsm.initToken('other', PIN);
    const peer = await addPeer(dir, { org: 'Org2', start: false, hsmLibrary: SOFTHSM_LIBRARY, hsmLabel: otherLabel }, quiet);
    expect(peer.signingKeyToken).toEqual({ library: SOFTHSM_LIBRARY, label: otherLabel });
    const users = await addUsers(dir, { org: 'Org2', names: ['Dave'], hsmLibrary: SOFTHSM_LIBRARY, hsmLabel: otherLabel }, quiet);
    expect(users.signingKeyToken).toEqual({ library: SOFTHSM_LIBRARY, label: otherLabel });
    const layout = openNetwork(dir);
    const node = layout.peers().find((p) => p.id === peer.peer.id)!;
    expectKeyInToken(otherLabel, node.mspDir);
    expectKeyInToken(otherLabel, layout.users().find((u) => u.id === 'Dave@org2.example.com')!.mspDir);
    expect(tokenObjects(otherLabel, CK.CKO_PRIVATE_KEY)).toBe(2);
    const config = loadNodeConfig(node.configFile);
    expect(config.plugins.msp).toEqual({ plugin: 'msp-x509', options: tokenOptions(otherLabel) });
    expectSigns(slotOptions(config, 'msp'), node.mspDir, node.mspId);
    expect(keystoreFiles(dir)).toEqual([]);
  }, 60_000);

  it("new-org with --hsm-library/--hsm-label generates the org's node and user keys in the token, no keystore file", async () => {
    const orgLabel = hsm.initToken('org3', PIN);
    const orgDir = path.join(tmp, 'org3');
    const result = await createOwnOrg(orgDir, { name: 'Org3', basePort: BASE_PORT + 200, hsmLibrary: SOFTHSM_LIBRARY, hsmLabel: orgLabel }, quiet);
    expect(result.signingKeyToken).toEqual({ library: SOFTHSM_LIBRARY, label: orgLabel });
    expect(keystoreFiles(orgDir)).toEqual([]);
    const members = ['peers/peer0.org3.example.com', 'users/Admin@org3.example.com', 'users/User1@org3.example.com'];
    for (const member of members) expectKeyInToken(orgLabel, path.join(orgDir, 'organizations', 'peerOrganizations', 'org3.example.com', member, 'msp'));
    expect(tokenObjects(orgLabel, CK.CKO_PRIVATE_KEY)).toBe(members.length);

    // join writes its peers' configs: without the token named they could not load their keys, so it refuses; named, they sign there.
    expect(() => joinNetwork(orgDir, dir, quiet)).toThrow(expect.objectContaining({ code: 'MEMBER_KEY_NOT_HERE', details: expect.objectContaining({ field: '--hsm-library' }) }));
    expect(fs.existsSync(path.join(orgDir, NETWORK_FILE))).toBe(false);
    const joined = joinNetwork(orgDir, dir, quiet, { hsmLibrary: SOFTHSM_LIBRARY, hsmLabel: orgLabel });
    const peer = openNetwork(orgDir).nodes().find((n) => n.id === joined.peers[0])!;
    const config = loadNodeConfig(peer.configFile);
    expect(config.plugins.msp).toEqual({ plugin: 'msp-x509', options: tokenOptions(orgLabel) });
    expectSigns(slotOptions(config, 'msp'), peer.mspDir, peer.mspId);
  }, 60_000);

  it('refuses a missing PIN and one flag without the other, writing nothing and leaving no key; a user that fails part-way takes its keys out of the token', async () => {
    const keysBefore = tokenObjects(label, CK.CKO_PRIVATE_KEY);
    const networkFile = fs.readFileSync(path.join(dir, NETWORK_FILE), 'utf8');
    const org1Peers = fs.readdirSync(path.join(dir, 'organizations', 'peerOrganizations', 'org1.example.com', 'peers'));
    delete process.env[PKCS11_PIN_ENV];
    try {
      await expect(addPeer(dir, { org: 'Org1', start: false }, quiet)).rejects.toMatchObject({ code: 'HSM_PIN_MISSING', details: { field: PKCS11_PIN_ENV } });
      await expect(addUsers(dir, { org: 'Org1', names: ['User9'] }, quiet)).rejects.toMatchObject({ code: 'HSM_PIN_MISSING', details: { field: PKCS11_PIN_ENV } });
      // add-org refuses before it reads the channel: no network runs in this test.
      await expect(addOrg(dir, { hsmLibrary: SOFTHSM_LIBRARY, hsmLabel: label }, quiet)).rejects.toMatchObject({ code: 'HSM_PIN_MISSING', details: { field: PKCS11_PIN_ENV } });
    } finally {
      process.env[PKCS11_PIN_ENV] = PIN;
    }
    await expect(addPeer(dir, { org: 'Org1', start: false, hsmLibrary: SOFTHSM_LIBRARY }, quiet)).rejects.toMatchObject({ code: 'INIT_OPTIONS_INVALID', details: { field: '--hsm-label' } });
    await expect(addUsers(dir, { org: 'Org1', names: ['User9'], hsmLabel: label }, quiet)).rejects.toMatchObject({ code: 'INIT_OPTIONS_INVALID', details: { field: '--hsm-library' } });
    await expect(addOrg(dir, { hsmLabel: label }, quiet)).rejects.toMatchObject({ code: 'INIT_OPTIONS_INVALID', details: { field: '--hsm-library' } });
    // An org defined elsewhere made its keys there: nothing here to put in a token.
    await expect(addOrg(dir, { definition: path.join(tmp, 'org3', 'org-definition.json'), hsmLibrary: SOFTHSM_LIBRARY }, quiet)).rejects.toMatchObject({ code: 'CONFLICTING_FLAGS', details: { field: '--hsm-library' } });
    const refusedOrg = path.join(tmp, 'org4');
    await expect(createOwnOrg(refusedOrg, { name: 'Org4', hsmLibrary: SOFTHSM_LIBRARY }, quiet)).rejects.toMatchObject({ code: 'INIT_OPTIONS_INVALID', details: { field: '--hsm-label' } });
    expect(fs.existsSync(refusedOrg)).toBe(false);

    // The second user's folder name is too long for the file system (ENAMETOOLONG) after the first user's key was made.
    await expect(addUsers(dir, { org: 'Org1', names: ['User8', `U${'x'.repeat(300)}`] }, quiet)).rejects.toMatchObject({ code: 'ENAMETOOLONG' });

    expect(fs.readFileSync(path.join(dir, NETWORK_FILE), 'utf8')).toBe(networkFile);
    expect(fs.readdirSync(path.join(dir, 'organizations', 'peerOrganizations', 'org1.example.com', 'peers'))).toEqual(org1Peers);
    expect(fs.existsSync(path.join(dir, 'organizations', 'peerOrganizations', 'org1.example.com', 'users', 'User8@org1.example.com'))).toBe(false);
    expect(tokenObjects(label, CK.CKO_PRIVATE_KEY)).toBe(keysBefore);
    expect(tokenObjects(label, CK.CKO_PUBLIC_KEY)).toBe(keysBefore);
  }, 60_000);
});
