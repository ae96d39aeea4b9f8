import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseDocument } from 'yaml';
import { DEFAULT_INIT_OPTIONS, initNetwork } from '../../../../cli/services/network/network-init';
import { renewMember } from '../../../../cli/services/network/network-renew';
import { X509MspProvider, closeAllTokenSessions, importMspKey, subjectKeyIdentifier, type X509MspOptions } from '../../../../plugins/msp-x509';
import { fileTreeOf } from '../../../support/file-tree';
import { SOFTHSM_LIBRARY, softHsm, type SoftHsm } from '../../plugins/msp-x509/softhsm';

const PIN = '24681357';
const quiet = (): void => {};
const PEER = 'peer0.org1.example.com';

/** `weft network renew` of a member whose signing key is in a PKCS#11 token (SoftHSM): the same key is kept. */
describe('network renew: a member whose key is in a PKCS#11 token keeps that key', () => {
  let tmp: string;
  let net: string;
  let hsm: SoftHsm;
  let label: string;
  const org1 = (): string => path.join(net, 'organizations', 'peerOrganizations', 'org1.example.com');
  const peerMsp = (): string => path.join(org1(), 'peers', PEER, 'msp');
  const userMsp = (user: string): string => path.join(org1(), 'users', `${user}@org1.example.com`, 'msp');
  const signcert = (mspDir: string): X509Certificate => {
    const dir = path.join(mspDir, 'signcerts');
    return new X509Certificate(fs.readFileSync(path.join(dir, fs.readdirSync(dir)[0]!)));
  };
  const tokenOptions = (): X509MspOptions => ({ bccsp: { default: 'PKCS11', pkcs11: { library: SOFTHSM_LIBRARY, label, pin: PIN } } }) as X509MspOptions;
  const moveKey = (mspDir: string): void => {
    importMspKey({ mspDir, library: SOFTHSM_LIBRARY, label, pin: PIN });
  };

  beforeAll(async () => {
    hsm = softHsm('renew');
    label = hsm.initToken('org1', PIN);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-hsm-renew-'));
    net = path.join(tmp, 'net');
    await initNetwork(net, { ...DEFAULT_INIT_OPTIONS, basePort: 44500 });
  });
  afterAll(() => {
    closeAllTokenSessions();
    hsm.remove();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('a node on the token: the new enrollment certificate is for the same public key, keystore/ stays empty, TLS gets a new file key, and a reload by the same provider signs with the same token key', async () => {
    moveKey(peerMsp());
    const configPath = path.join(net, 'nodes', PEER, 'peer.yaml');
    const doc = parseDocument(fs.readFileSync(configPath, 'utf8'));
    doc.setIn(['plugins', 'msp', 'options', 'bccsp'], { default: 'PKCS11', pkcs11: { library: SOFTHSM_LIBRARY, label } });
    fs.writeFileSync(configPath, doc.toString());

    const provider = new X509MspProvider(tokenOptions());
    try {
      const before = signcert(peerMsp());
      const tlsKeyBefore = fs.readFileSync(path.join(peerMsp(), '..', 'tls', 'server.key'));
      expect(provider.loadLocalMsp(peerMsp(), 'Org1MSP').signer.sign(Buffer.from('x')).length).toBeGreaterThan(0);

      const result = await renewMember(net, { node: PEER }, quiet);

      expect(result.keyInToken).toBe(true);
      const after = signcert(peerMsp());
      expect(after.serialNumber).not.toBe(before.serialNumber);
      expect(after.publicKey.equals(before.publicKey)).toBe(true);
      expect(subjectKeyIdentifier(after.publicKey)).toEqual(subjectKeyIdentifier(before.publicKey));
      expect(fs.readdirSync(path.join(peerMsp(), 'keystore'))).toEqual([]);
      expect(fs.readFileSync(path.join(peerMsp(), '..', 'tls', 'server.key')).equals(tlsKeyBefore)).toBe(false);
      // What the node's SIGHUP reload does: the same provider loads the folder again.
      const reloaded = provider.loadLocalMsp(peerMsp(), 'Org1MSP').signer;
      expect(Buffer.from(reloaded.serialized).includes(Buffer.from(after.toString()))).toBe(true);
      const message = Buffer.from('signed after renewal');
      expect(reloaded.verify(message, reloaded.sign(message))).toBe(true);
    } finally {
      provider.close();
    }
  });

  it('a user: renewed for its token key with WEFT_PKCS11_LIBRARY and WEFT_PKCS11_LABEL set; without them MEMBER_KEY_NOT_HERE names them and nothing is written', async () => {
    moveKey(userMsp('User1'));
    const before = signcert(userMsp('User1'));
    const tree = fileTreeOf(path.join(net, 'organizations'));
    const backups = fs.readdirSync(path.join(net, 'backups'));
    await expect(renewMember(net, { org: 'Org1', user: 'User1' }, quiet)).rejects.toMatchObject({
      code: 'MEMBER_KEY_NOT_HERE',
      message: expect.stringContaining('WEFT_PKCS11_LIBRARY and WEFT_PKCS11_LABEL'),
      details: { file: path.join(userMsp('User1'), 'keystore') },
    });
    expect(fileTreeOf(path.join(net, 'organizations'))).toEqual(tree);
    expect(fs.readdirSync(path.join(net, 'backups'))).toEqual(backups);

    process.env.WEFT_PKCS11_LIBRARY = SOFTHSM_LIBRARY;
    process.env.WEFT_PKCS11_LABEL = label;
    try {
      const result = await renewMember(net, { org: 'Org1', user: 'User1' }, quiet);
      expect(result.keyInToken).toBe(true);
    } finally {
      delete process.env.WEFT_PKCS11_LIBRARY;
      delete process.env.WEFT_PKCS11_LABEL;
    }
    const after = signcert(userMsp('User1'));
    expect(after.serialNumber).not.toBe(before.serialNumber);
    expect(after.publicKey.equals(before.publicKey)).toBe(true);
    expect(fs.readdirSync(path.join(userMsp('User1'), 'keystore'))).toEqual([]);
  });

  it('a node whose keystore is empty but whose YAML does not say PKCS11: MEMBER_KEY_NOT_HERE names its config file; a member with its file key still gets a new key', async () => {
    const peer1 = 'peer0.org2.example.com';
    const keystore = path.join(net, 'organizations', 'peerOrganizations', 'org2.example.com', 'peers', peer1, 'msp', 'keystore');
    const keyFile = path.join(keystore, fs.readdirSync(keystore)[0]!);
    const key = fs.readFileSync(keyFile);
    fs.rmSync(keyFile);
    try {
      await expect(renewMember(net, { node: peer1 }, quiet)).rejects.toMatchObject({ code: 'MEMBER_KEY_NOT_HERE', message: expect.stringContaining('bccsp.default: PKCS11') });
    } finally {
      fs.writeFileSync(keyFile, key, { mode: 0o600 });
    }
    const before = signcert(userMsp('Admin'));
    const result = await renewMember(net, { org: 'Org1', user: 'Admin' }, quiet);
    expect(result.keyInToken).toBe(false);
    expect(signcert(userMsp('Admin')).publicKey.equals(before.publicKey)).toBe(false);
    expect(fs.readdirSync(path.join(userMsp('Admin'), 'keystore'))).toEqual(['priv_sk']);
  });
});
