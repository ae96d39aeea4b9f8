import { X509Certificate, createPrivateKey } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../../../../core/errors';
import { parseConfigBlock } from '../../../../core/protocol/config-parse';
import { loadLocalMsp } from '../../../../plugins/msp-x509';
import { DEFAULT_PIN_ENV } from '../../../../cli/services/hsm-key-import';
import { newOrgMaking } from '../../../../cli/services/network/org-making';
import { addPeer } from '../../../../cli/services/network/network-add-peer';
import { createOwnOrg } from '../../../../cli/services/network/network-new-org';
import { DEFAULT_INIT_OPTIONS, initNetwork, initNetworkFromFile } from '../../../../cli/services/network/network-init';
import { addUsers } from '../../../../cli/services/network/network-users';
import { NetworkLayout } from '../../../../cli/services/network/network-layout';
import { loadNetworkSpec } from '../../../../cli/services/network/network-spec';
import { writeNetworkFile } from './network-file-fixture';
import { configErrorOf } from '../../../support/config-error-of';

const MESSAGE = new TextEncoder().encode('a proposal, signed as a node');

function keyFilesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('priv_sk') || f.endsWith('.key'))
    .map((f) => path.join(dir, f));
}

const keyType = (file: string): string | undefined => createPrivateKey(fs.readFileSync(file)).asymmetricKeyType;

/** `weft network init --key-algorithm`: every org's keys as Fabric 3's cryptogen makes them for `PublicKeyAlgorithm`. */
describe('initNetwork --key-algorithm', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-init-ed-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('ed25519 makes every key of every org Ed25519; nodes load their local MSP and sign; network.yaml stays as for ecdsa', async () => {
    const dir = path.join(tmp, 'net');
    await initNetwork(dir, { ...DEFAULT_INIT_OPTIONS, basePort: 46100, keyAlgorithm: 'ed25519' });
    const keys = keyFilesUnder(path.join(dir, 'organizations'));
    expect(keys.length).toBeGreaterThan(10);
    for (const key of keys) expect([path.relative(dir, key), keyType(key)]).toEqual([path.relative(dir, key), 'ed25519']);

    const layout = new NetworkLayout(dir, loadNetworkSpec(dir));
    for (const node of layout.nodes()) {
      const { signer } = loadLocalMsp(node.mspDir, node.mspId);
      expect([node.id, signer.keyType]).toEqual([node.id, 'ed25519']);
      expect(signer.verify(MESSAGE, signer.sign(MESSAGE))).toBe(true);
    }
    // The genesis block carries the Ed25519 CAs, and channel capability V3_0, which Ed25519 identities need.
    const config = parseConfigBlock(fs.readFileSync(layout.genesisBlockFile));
    expect(config.applicationOrgs.map((o) => o.mspId)).toEqual(['Org1MSP', 'Org2MSP']);
    const ca = new X509Certificate(fs.readFileSync(path.join(dir, 'organizations/peerOrganizations/org1.example.com/ca/ca.org1.example.com-cert.pem')));
    expect(ca.publicKey.asymmetricKeyType).toBe('ed25519');
    expect(fs.readFileSync(path.join(dir, 'network.yaml'), 'utf8')).not.toMatch(/keyAlgorithm/);
  });

  it("add-user and add-peer follow the org's algorithm, read from its CA; add-peer refuses a token for it", async () => {
    const dir = path.join(tmp, 'later');
    await initNetwork(dir, { ...DEFAULT_INIT_OPTIONS, basePort: 46150, keyAlgorithm: 'ed25519' });
    await addUsers(dir, { org: 'Org1', names: ['User2'] }, () => {});
    await addPeer(dir, { org: 'Org1', name: 'peer1', start: false }, () => {}, async () => true);
    const layout = new NetworkLayout(dir, loadNetworkSpec(dir));
    const org1 = path.join(dir, 'organizations/peerOrganizations/org1.example.com');
    for (const member of ['users/User2@org1.example.com', 'peers/peer1.org1.example.com']) {
      for (const key of keyFilesUnder(path.join(org1, member))) expect([key, keyType(key)]).toEqual([key, 'ed25519']);
    }
    const peer1 = layout.peers().find((p) => p.id === 'peer1.org1.example.com')!;
    expect(loadLocalMsp(peer1.mspDir, peer1.mspId).signer.keyType).toBe('ed25519');

    // The PIN set, so that the token's flags pass their own checks and the org's algorithm is what refuses them.
    const pin = process.env[DEFAULT_PIN_ENV];
    process.env[DEFAULT_PIN_ENV] = '1234';
    try {
      const refused = await configErrorOf(addPeer(dir, { org: 'Org1', name: 'peer2', start: false, hsmLibrary: '/usr/lib/softhsm/libsofthsm2.so', hsmLabel: 'weft' }, () => {}, async () => true));
      expect(refused.code).toBe('INIT_OPTIONS_INVALID');
      expect(refused.message).toMatch(/^--hsm-library: ca\.org1\.example\.com is an Ed25519 CA/);
    } finally {
      if (pin === undefined) delete process.env[DEFAULT_PIN_ENV];
      else process.env[DEFAULT_PIN_ENV] = pin;
    }
    expect(fs.existsSync(path.join(org1, 'peers/peer2.org1.example.com'))).toBe(false);
  });

  it('init --from takes an org\'s keyAlgorithm from the file, the flag for the orgs that leave it out', async () => {
    const file = path.join(tmp, 'mixed.yaml');
    writeNetworkFile(file, 46200, [{ keyAlgorithm: 'ecdsa' }, {}]);
    const dir = path.join(tmp, 'from');
    await initNetworkFromFile(dir, file, () => {}, {}, { keyAlgorithm: 'ed25519' });
    const types = (org: string): Set<string | undefined> => new Set(keyFilesUnder(path.join(dir, 'organizations', org)).map(keyType));
    expect(types('peerOrganizations/org1.example.com')).toEqual(new Set(['ec']));
    expect(types('peerOrganizations/org2.example.com')).toEqual(new Set(['ed25519']));
    expect(types('ordererOrganizations/example.com')).toEqual(new Set(['ed25519']));
    // network.yaml keeps what the file said (and a later command re-rendering it keeps it too).
    expect(loadNetworkSpec(dir).orgs.map((o) => o.keyAlgorithm)).toEqual(['ecdsa', undefined]);
  });

  it('new-org --key-algorithm ed25519 makes every key of the org Ed25519', async () => {
    const dir = path.join(tmp, 'org3');
    await createOwnOrg(dir, { name: 'Org3', keyAlgorithm: 'ed25519' }, () => {});
    const keys = keyFilesUnder(path.join(dir, 'organizations', 'peerOrganizations', 'org3.example.com'));
    expect(keys.length).toBeGreaterThan(4);
    expect(new Set(keys.map(keyType))).toEqual(new Set(['ed25519']));
  });

  it('refuses a value cryptogen does not name, naming the flag and the accepted values, writing nothing', async () => {
    const dir = path.join(tmp, 'bad');
    const err = await configErrorOf(initNetwork(dir, { ...DEFAULT_INIT_OPTIONS, keyAlgorithm: 'rsa' }));
    expect(err.code).toBe('INIT_OPTIONS_INVALID');
    expect(err.message).toBe("--key-algorithm rsa: expected one of ecdsa, ed25519 (cryptogen's PublicKeyAlgorithm names)");
    expect(err.details).toMatchObject({ field: '--key-algorithm', value: 'rsa' });
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('refuses ed25519 with --hsm-library (the token makes P-256 keys), from the flag or from the file, writing nothing', async () => {
    const dir = path.join(tmp, 'hsm');
    const keys = { hsmLibrary: '/usr/lib/softhsm/libsofthsm2.so', hsmLabel: 'weft' };
    const err = await configErrorOf(initNetwork(dir, { ...DEFAULT_INIT_OPTIONS, keyAlgorithm: 'ed25519' }, () => {}, keys));
    expect(err.code).toBe('INIT_OPTIONS_INVALID');
    expect(err.message).toMatch(/^--key-algorithm ed25519 and --hsm-library\/--hsm-label cannot go together/);
    expect(err.details).toMatchObject({ field: '--key-algorithm', conflictsWith: '--hsm-library' });

    const file = path.join(tmp, 'hsm.yaml');
    writeNetworkFile(file, 46300, [{ keyAlgorithm: 'ed25519' }]);
    const fromFile = await configErrorOf(initNetworkFromFile(dir, file, () => {}, keys));
    expect(fromFile.message).toMatch(/^orgs\.0\.keyAlgorithm ed25519 \(Org1MSP\) and --hsm-library/);
    expect(fs.existsSync(dir)).toBe(false);
  });
});

/** `--key-algorithm` and `--intermediate-ca` of add-org and new-org, checked before anything is read or written. */
describe('newOrgMaking (add-org, new-org)', () => {
  const token = { hsmLibrary: '/usr/lib/softhsm/libsofthsm2.so', hsmLabel: 'weft' };
  const thrown = (fn: () => unknown): ConfigError => {
    try {
      fn();
    } catch (err) {
      if (err instanceof ConfigError) return err;
      throw err;
    }
    throw new Error('expected a ConfigError');
  };

  it("takes cryptogen's names, and nothing when the flag is not given", () => {
    const making = (keyAlgorithm: string | undefined, intermediateCa = false, keys = {}, madeElsewhereBy?: string) =>
      newOrgMaking({ keyAlgorithm, intermediateCa }, keys, 'ADD_ORG_OPTIONS_INVALID', madeElsewhereBy);
    expect(making('ed25519')).toEqual({ keyAlgorithm: 'ed25519' });
    expect(making('ecdsa', true, token)).toEqual({ keyAlgorithm: 'ecdsa', intermediateCa: true });
    expect(making(undefined, false, token, '--definition')).toEqual({});
  });

  it("refuses another value with the command's code, naming the flag and the accepted values", () => {
    const err = thrown(() => newOrgMaking({ keyAlgorithm: 'ED25519', intermediateCa: false }, {}, 'ADD_ORG_OPTIONS_INVALID'));
    expect([err.code, err.message]).toEqual(['ADD_ORG_OPTIONS_INVALID', "--key-algorithm ED25519: expected one of ecdsa, ed25519 (cryptogen's PublicKeyAlgorithm names)"]);
  });

  it('refuses ed25519 with --hsm-library/--hsm-label, naming both', () => {
    const err = thrown(() => newOrgMaking({ keyAlgorithm: 'ed25519', intermediateCa: false }, { hsmLabel: 'weft' }, 'INIT_OPTIONS_INVALID'));
    expect(err.code).toBe('INIT_OPTIONS_INVALID');
    expect(err.message).toMatch(/^--key-algorithm ed25519 and --hsm-library\/--hsm-label cannot go together/);
  });

  it.each(['--definition', '--from-file'])('refuses either flag with %s, whose org was made already', (flag) => {
    const err = thrown(() => newOrgMaking({ keyAlgorithm: 'ecdsa', intermediateCa: false }, {}, 'ADD_ORG_OPTIONS_INVALID', flag));
    expect([err.code, err.message]).toEqual(['CONFLICTING_FLAGS', `--key-algorithm chooses how an org made here is made; with ${flag} the org's keys and CAs were made already`]);
    const both = thrown(() => newOrgMaking({ keyAlgorithm: 'ecdsa', intermediateCa: true }, {}, 'ADD_ORG_OPTIONS_INVALID', flag));
    expect([both.code, both.details.field]).toEqual(['CONFLICTING_FLAGS', '--key-algorithm']);
    expect(both.message).toMatch(/^--key-algorithm and --intermediate-ca choose/);
    expect(thrown(() => newOrgMaking({ intermediateCa: true }, {}, 'ADD_ORG_OPTIONS_INVALID', flag)).details.field).toBe('--intermediate-ca');
  });
});
