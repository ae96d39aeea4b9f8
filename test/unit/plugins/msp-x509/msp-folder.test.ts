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
  X509Msp,
  generateOrg,
  loadMspConfig,
  loadSigningIdentity,
  manifest,
  module as mspModule,
  mspOptionsFrom,
  type GeneratedOrg,
} from '../../../../plugins/msp-x509';
import { serializeIdentity } from '../../../../core/protocol/serialized-identity';
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

/**
 * Fabric's configtxgen reads an MSP folder with getPemMaterialFromDir/readPemFile
 * (msp/configbuilder.go): one config entry per file, its bytes as read. Its MSP then reads the first
 * PEM block of an entry (getCertFromPem: pem.Decode), so a bundle's other certificates count for nothing.
 */
describe('MSP folder entries as Fabric reads them', () => {
  let dir: string;
  let org1: GeneratedOrg;
  let org2: GeneratedOrg;
  let bundled: string;
  let bundle: Buffer;

  beforeAll(async () => {
    dir = tempDir('folder-bundle');
    org1 = await generateOrg({ domain: 'org1.example.com', mspId: 'Org1MSP', kind: 'peer' }, dir);
    org2 = await generateOrg({ domain: 'org2.example.com', mspId: 'Org2MSP', kind: 'peer' }, dir);
    // fabric-ca's ca-chain.pem: several certificates in one file, here without a final newline.
    bundled = copyDir(org1.mspDir, path.join(dir, 'bundled-msp'));
    fs.rmSync(path.join(bundled, 'cacerts'), { recursive: true });
    fs.mkdirSync(path.join(bundled, 'cacerts'));
    bundle = Buffer.from(`${fs.readFileSync(org1.caCertPath, 'utf8')}${fs.readFileSync(org2.caCertPath, 'utf8').trimEnd()}`);
    fs.writeFileSync(path.join(bundled, 'cacerts', 'ca-chain.pem'), bundle);
    // NodeOUs without a certificate (config.yaml's named the removed file): roles for any chain of the roots, so that only the roots decide.
    const yaml = fs.readFileSync(path.join(bundled, 'config.yaml'), 'utf8').replace(/^\s*Certificate: .*\n/gm, '');
    fs.writeFileSync(path.join(bundled, 'config.yaml'), yaml);
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('makes a bundle file one entry holding the file byte for byte', () => {
    const config = loadMspConfig(bundled, 'Org1MSP');
    expect(config.getRootCertsList_asU8().map((b) => Buffer.from(b))).toEqual([bundle]);
  });

  it('trusts the first certificate of a bundle entry only, as Fabric\'s getCertFromPem', () => {
    const msp = new X509Msp(loadMspConfig(bundled, 'Org1MSP'));
    const identity = (member: { signCertPath: string }) => msp.deserializeIdentity(serializeIdentity('Org1MSP', new Uint8Array(fs.readFileSync(member.signCertPath))));
    expect(codeOf(() => identity(org1.users.User1!).validate())).toBe('no error');
    // Issued by the bundle's second certificate: Fabric's MSP never took it as a root.
    expect(codeOf(() => identity(org2.users.User1!).validate())).not.toBe('no error');
  });

  it('gives every file of a generated org folder as one entry with its bytes', () => {
    const files = (sub: string): Buffer[] => fs.readdirSync(path.join(org1.mspDir, sub)).sort().map((f) => fs.readFileSync(path.join(org1.mspDir, sub, f)));
    const config = loadMspConfig(org1.mspDir, 'Org1MSP');
    expect(config.getRootCertsList_asU8().map((b) => Buffer.from(b))).toEqual(files('cacerts'));
    expect(config.getTlsRootCertsList_asU8().map((b) => Buffer.from(b))).toEqual(files('tlscacerts'));
  });

  it('refuses a file with no PEM block, naming it', () => {
    const stray = copyDir(org1.mspDir, path.join(dir, 'stray-msp'));
    fs.writeFileSync(path.join(stray, 'tlscacerts', 'README'), 'not a certificate');
    expect(() => loadMspConfig(stray, 'Org1MSP')).toThrow(/tlscacerts\/README holds no PEM block/);
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
