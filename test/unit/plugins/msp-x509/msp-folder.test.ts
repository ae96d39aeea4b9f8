import * as fs from 'node:fs';
import * as path from 'node:path';
import { Container } from '../../../../core/di';
import { ConfigError, MspError } from '../../../../core/errors';
import { MspProvider } from '../../../../core/msp/msp';
import { MspErrorCode } from '../../../../core/msp/msp-error-code';
import { loadPlugin } from '../../../../core/node/plugin-loader';
import {
  X509MspProvider,
  X509SigningIdentity,
  generateOrg,
  loadMspConfig,
  loadSigningIdentity,
  manifest,
  module as mspModule,
  mspOptionsFrom,
  type GeneratedOrg,
} from '../../../../plugins/msp-x509';
import { tempDir } from './fixtures';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof MspError || err instanceof ConfigError) return err.code;
    throw err;
  }
  return 'no error';
}

function copyDir(from: string, to: string): string {
  fs.cpSync(from, to, { recursive: true });
  return to;
}

describe('MSP folders', () => {
  let dir: string;
  let org: GeneratedOrg;

  beforeAll(async () => {
    dir = tempDir('folder');
    org = await generateOrg({ domain: 'org1.example.com', mspId: 'Org1MSP', kind: 'peer' }, dir);
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads an org MSP folder into FabricMSPConfig with NodeOUs from config.yaml', () => {
    const config = loadMspConfig(org.mspDir, 'Org1MSP');
    expect(config.getName()).toBe('Org1MSP');
    expect(config.getRootCertsList_asU8().map((b) => Buffer.from(b).toString())).toEqual([fs.readFileSync(org.caCertPath, 'utf8')]);
    expect(config.getTlsRootCertsList_asU8().map((b) => Buffer.from(b).toString())).toEqual([fs.readFileSync(org.tlsCaCertPath, 'utf8')]);
    expect(config.getIntermediateCertsList()).toEqual([]);
    const ous = config.getFabricNodeOus()!;
    expect(ous.getEnable()).toBe(true);
    expect(ous.getPeerOuIdentifier()!.getOrganizationalUnitIdentifier()).toBe('peer');
    expect(Buffer.from(ous.getAdminOuIdentifier()!.getCertificate_asU8()).toString()).toBe(fs.readFileSync(org.caCertPath, 'utf8'));
    expect(config.getCryptoConfig()!.getSignatureHashFamily()).toBe('SHA2');
  });

  it('loads a signing identity with the keystore key matching signcerts', () => {
    const peer = loadSigningIdentity(org.nodes.peer0.mspDir, 'Org1MSP');
    expect(peer).toBeInstanceOf(X509SigningIdentity);
    expect(peer.organizationalUnits).toEqual(['peer']);
    const message = new TextEncoder().encode('block header');
    expect(peer.verify(message, peer.sign(message))).toBe(true);
  });

  it('picks the matching key among several keystore files (fabric-ca names them <ski>_sk)', () => {
    const msp = copyDir(org.users.User1.mspDir, path.join(dir, 'multi-key-msp'));
    fs.renameSync(path.join(msp, 'keystore/priv_sk'), path.join(msp, 'keystore/zz_sk'));
    fs.copyFileSync(org.users.Admin.keyPath, path.join(msp, 'keystore/aa_sk'));
    fs.writeFileSync(path.join(msp, 'keystore/README'), 'not a key');
    const user = loadSigningIdentity(msp, 'Org1MSP');
    const message = new TextEncoder().encode('m');
    expect(user.verify(message, user.sign(message))).toBe(true);
  });

  it('names what is missing or wrong in a broken folder', () => {
    const noSigncerts = copyDir(org.users.User1.mspDir, path.join(dir, 'no-signcerts'));
    fs.rmSync(path.join(noSigncerts, 'signcerts'), { recursive: true });
    expect(codeOf(() => loadSigningIdentity(noSigncerts, 'Org1MSP'))).toBe(MspErrorCode.BadFolder);

    const wrongKey = copyDir(org.users.User1.mspDir, path.join(dir, 'wrong-key'));
    fs.copyFileSync(org.users.Admin.keyPath, path.join(wrongKey, 'keystore/priv_sk'));
    expect(codeOf(() => loadSigningIdentity(wrongKey, 'Org1MSP'))).toBe(MspErrorCode.KeyMismatch);

    const badYaml = copyDir(org.users.User1.mspDir, path.join(dir, 'bad-yaml'));
    fs.writeFileSync(path.join(badYaml, 'config.yaml'), 'NodeOUs:\n  Enable: "yes please"\n');
    const err = (() => {
      try {
        loadMspConfig(badYaml, 'Org1MSP');
      } catch (e) {
        return e as MspError;
      }
      return undefined;
    })();
    expect(err?.code).toBe(MspErrorCode.BadFolder);
    expect(err?.message).toContain('NodeOUs.Enable');

    const noCacerts = copyDir(org.mspDir, path.join(dir, 'no-cacerts'));
    fs.rmSync(path.join(noCacerts, 'cacerts'), { recursive: true });
    expect(codeOf(() => loadMspConfig(noCacerts, 'Org1MSP'))).toBe(MspErrorCode.BadFolder);
  });

  it('refuses a signing identity that its own MSP does not validate', async () => {
    const other = await generateOrg({ domain: 'org2.example.com', mspId: 'Org2MSP', kind: 'peer' }, dir);
    const mixed = copyDir(org.users.User1.mspDir, path.join(dir, 'mixed'));
    fs.rmSync(path.join(mixed, 'signcerts'), { recursive: true });
    fs.cpSync(path.join(other.users.User1.mspDir, 'signcerts'), path.join(mixed, 'signcerts'), { recursive: true });
    fs.copyFileSync(other.users.User1.keyPath, path.join(mixed, 'keystore/priv_sk'));
    expect(codeOf(() => loadSigningIdentity(mixed, 'Org1MSP'))).toBe(MspErrorCode.UntrustedChain);
  });
});

describe('msp-x509 plugin', () => {
  it('declares the msp slot and binds MspProvider in its ContainerModule', async () => {
    expect(manifest).toMatchObject({ name: 'msp-x509', slots: ['msp'] });
    const container = new Container();
    await container.load(mspModule);
    expect(container.get(MspProvider)).toBeInstanceOf(X509MspProvider);
    expect(container.get(MspProvider)).toBe(container.get(MspProvider));
  });

  it('is loadable as a stock plugin by name', () => {
    const plugin = loadPlugin('msp-x509', process.cwd());
    expect(plugin.manifest.slots).toEqual(['msp']);
  });

  it('validates its node-config options and names the bad field', () => {
    expect(mspOptionsFrom({ identityCacheSize: 5 })).toMatchObject({ identityCacheSize: 5 });
    let err: ConfigError | undefined;
    try {
      mspOptionsFrom({ identityCacheSize: -1 });
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(err?.message).toContain('plugins.msp.options.identityCacheSize');
    expect(() => mspOptionsFrom({ cacheSize: 3 })).toThrow(ConfigError);
  });
});
