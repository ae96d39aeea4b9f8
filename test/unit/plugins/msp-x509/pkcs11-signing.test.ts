import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, verify as cryptoVerify, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Container } from '../../../../core/di';
import { ConfigError, MspError } from '../../../../core/errors';
import { MspProvider } from '../../../../core/msp/msp';
import { NodeConfigToken } from '../../../../core/node/config';
import { MspErrorCode } from '../../../../core/msp/msp-error-code';
import {
  CURVE_ORDERS,
  PKCS11_PIN_ENV,
  Pkcs11ErrorCode,
  X509MspProvider,
  closeAllTokenSessions,
  generateOrg,
  importTokenKey,
  isLowS,
  loadSigningIdentity,
  module as mspModule,
  mspOptionsFrom,
  openToken,
  openTokenSessions,
  parseEcdsaSignature,
  subjectKeyIdentifier,
  type GeneratedOrg,
  type X509MspOptions,
} from '../../../../plugins/msp-x509';
import { buildCertificate } from '../../../../plugins/msp-x509/crypto-material/certificate-builder';
import { loadOrgCa } from '../../../../plugins/msp-x509/crypto-material/org-authority';
import { tempDir } from './fixtures';
import { SOFTHSM_LIBRARY, softHsm, type SoftHsm } from './softhsm';

const PIN = '98765432';

function errorOf(fn: () => unknown): MspError | ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof MspError || err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected an error');
}

/** `load` on a provider with `options`, its token sessions closed after. */
function withProvider<T>(options: X509MspOptions, load: (provider: X509MspProvider) => T): T {
  const provider = new X509MspProvider(options);
  try {
    return load(provider);
  } finally {
    provider.close();
  }
}

function pkcs11(label: string, extra: Record<string, unknown> = {}): X509MspOptions {
  return { bccsp: { default: 'PKCS11', pkcs11: { library: SOFTHSM_LIBRARY, label, pin: PIN, ...extra } } } as X509MspOptions;
}

/** A copy of `mspDir` whose keystore key went into the token `label` and whose keystore/ is gone. */
function tokenMsp(root: string, mspDir: string, label: string, name: string, altId?: string): string {
  const dir = path.join(root, name);
  fs.cpSync(mspDir, dir, { recursive: true });
  const keyFile = path.join(dir, 'keystore', 'priv_sk');
  const lease = openToken({ library: SOFTHSM_LIBRARY, label, pin: PIN });
  try {
    importTokenKey(lease.token, createPrivateKey(fs.readFileSync(keyFile)), { keyIds: [], altId });
  } finally {
    lease.release();
  }
  fs.rmSync(path.join(dir, 'keystore'), { recursive: true });
  return dir;
}

describe('msp-x509 signing with a PKCS#11 token (SoftHSM)', () => {
  let hsm: SoftHsm;
  let dir: string;
  let org: GeneratedOrg;
  let peerMsp: string;
  let adminMsp: string;
  let peerKeyFile: string;
  let node: string;
  let empty: string;
  let alt: string;

  beforeAll(async () => {
    hsm = softHsm('sign');
    node = hsm.initToken('node', PIN);
    empty = hsm.initToken('empty', PIN);
    alt = hsm.initToken('alt', PIN);
    dir = tempDir('pkcs11');
    org = await generateOrg({ domain: 'org1.example.com', mspId: 'Org1MSP', kind: 'peer' }, dir);
    peerKeyFile = path.join(org.nodes.peer0!.mspDir, 'keystore', 'priv_sk');
    peerMsp = tokenMsp(dir, org.nodes.peer0!.mspDir, node, 'peer-token');
    tokenMsp(dir, org.nodes.peer0!.mspDir, alt, 'peer-alt', 'shared-id');
    adminMsp = org.users.Admin!.mspDir;
  });

  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    hsm.remove();
  });

  afterEach(() => expect(openTokenSessions()).toBe(0));

  it('signs in the token: DER, low-S, verifying under the certificate, with no keystore/ folder', () => {
    const provider = new X509MspProvider(pkcs11(node));
    try {
      const signer = provider.loadSigningIdentity(peerMsp, 'Org1MSP');
      const publicKey = signer.certificate.publicKey;
      for (let i = 0; i < 24; i++) {
        const message = Buffer.from(`message ${i}`);
        const der = signer.sign(message);
        const sig = parseEcdsaSignature(der);
        expect(sig).toBeDefined();
        expect(isLowS(sig!, CURVE_ORDERS.prime256v1!)).toBe(true);
        expect(cryptoVerify('sha256', message, { key: publicKey, dsaEncoding: 'der' }, der)).toBe(true);
        expect(signer.verify(message, der)).toBe(true);
      }
      expect(openTokenSessions()).toBe(1);
    } finally {
      provider.close();
    }
  });

  it('re-uses one session for every load of a provider (a SIGHUP reload) and of other providers, closing it with the last', () => {
    const a = new X509MspProvider(pkcs11(node));
    const b = new X509MspProvider(pkcs11(node));
    const first = a.loadLocalMsp(peerMsp, 'Org1MSP').signer;
    const reloaded = a.loadLocalMsp(peerMsp, 'Org1MSP').signer;
    const other = b.loadLocalMsp(peerMsp, 'Org1MSP').signer;
    expect(openTokenSessions()).toBe(1);
    a.close();
    expect(openTokenSessions()).toBe(1);
    expect(other.verify(Buffer.from('x'), other.sign(Buffer.from('x')))).toBe(true);
    b.close();
    expect(openTokenSessions()).toBe(0);
    expect(() => first.sign(Buffer.from('after stop'))).toThrow(MspError);
    expect(reloaded.id).toBe(first.id);
  });

  it('closes the token session when a node unbinds its container at stop (the module binds MspProvider with onDeactivation)', async () => {
    const container = new Container({ defaultScope: 'Singleton' });
    container.bind(NodeConfigToken).toConstantValue({ plugins: { msp: { plugin: 'msp-x509', options: pkcs11(node) } } });
    container.load(mspModule);
    const signer = container.get<MspProvider>(MspProvider).loadLocalMsp(peerMsp, 'Org1MSP').signer;
    expect(signer.verify(Buffer.from('m'), signer.sign(Buffer.from('m')))).toBe(true);
    expect(openTokenSessions()).toBe(1);
    await container.unbindAll();
    expect(openTokenSessions()).toBe(0);
  });

  it('closes every session at once for shutdown, and a lease released afterwards leaves a newer session open', () => {
    const address = { library: SOFTHSM_LIBRARY, label: node, pin: PIN };
    const old = openToken(address);
    closeAllTokenSessions();
    expect(openTokenSessions()).toBe(0);
    const fresh = openToken(address);
    old.release();
    expect(openTokenSessions()).toBe(1);
    expect(fresh.token.findObjects(3, Buffer.from('no such id'))).toEqual([]);
    fresh.release();
  });

  it('finds the same token key for a renewed certificate of that key (a SIGHUP reload), on the session already open', async () => {
    const renewedMsp = path.join(dir, 'peer-renewed');
    fs.cpSync(peerMsp, renewedMsp, { recursive: true });
    const provider = new X509MspProvider(pkcs11(node));
    try {
      const before = provider.loadLocalMsp(renewedMsp, 'Org1MSP').signer;
      const [certFile] = fs.readdirSync(path.join(renewedMsp, 'signcerts'));
      const old = new X509Certificate(fs.readFileSync(path.join(renewedMsp, 'signcerts', certFile!)));
      const ca = loadOrgCa(org.orgDir, 'ca');
      const renewed = await buildCertificate({
        subject: { ...ca.subject, organizationalUnits: ['peer'], commonName: 'peer0.org1.example.com' },
        publicKey: old.publicKey,
        issuer: ca.signer,
        notBefore: new Date(Date.now() - 60_000),
        notAfter: new Date(Date.now() + 86_400_000),
        isCa: false,
        keyUsage: ['digitalSignature'],
      });
      fs.writeFileSync(path.join(renewedMsp, 'signcerts', certFile!), renewed.pem);
      const after = provider.loadLocalMsp(renewedMsp, 'Org1MSP').signer;
      expect(Buffer.from(after.serialized).equals(Buffer.from(before.serialized))).toBe(false);
      expect(after.verify(Buffer.from('renewed'), after.sign(Buffer.from('renewed')))).toBe(true);
      expect(openTokenSessions()).toBe(1);
    } finally {
      provider.close();
    }
  });

  it('reads the PIN from WEFT_PKCS11_PIN when the YAML has none, and refuses a missing or wrong PIN without showing it', () => {
    const noPin = { bccsp: { default: 'PKCS11', pkcs11: { library: SOFTHSM_LIBRARY, label: node } } } as X509MspOptions;
    const missing = errorOf(() => loadSigningIdentity(peerMsp, 'Org1MSP', noPin));
    expect(missing.code).toBe(Pkcs11ErrorCode.Login);
    expect(missing.message).toContain(PKCS11_PIN_ENV);
    process.env[PKCS11_PIN_ENV] = PIN;
    const provider = new X509MspProvider(noPin);
    try {
      expect(provider.loadSigningIdentity(peerMsp, 'Org1MSP').sign(Buffer.from('m')).length).toBeGreaterThan(8);
    } finally {
      provider.close();
      delete process.env[PKCS11_PIN_ENV];
    }
    const wrongPin = '11112222';
    const wrong = errorOf(() => withProvider(pkcs11(node, { pin: wrongPin }), (p) => p.loadSigningIdentity(peerMsp, 'Org1MSP')));
    expect(wrong.code).toBe(Pkcs11ErrorCode.Login);
    expect(wrong.message).toContain(`"${node}"`);
    expect(JSON.stringify({ m: wrong.message, d: wrong.details })).not.toContain(wrongPin);
  });

  it('refuses a missing token, a bad library and a key not in the token, naming the label and the SKI', () => {
    const noToken = errorOf(() => loadSigningIdentity(peerMsp, 'Org1MSP', pkcs11('absent')));
    expect(noToken.code).toBe(Pkcs11ErrorCode.TokenNotFound);
    expect(noToken.message).toContain('"absent"');
    expect(noToken.message).toContain(`"${node}"`);
    const badLibrary = errorOf(() => loadSigningIdentity(peerMsp, 'Org1MSP', { bccsp: { default: 'PKCS11', pkcs11: { library: path.join(dir, 'nope.so'), label: node, pin: PIN } } }));
    expect(badLibrary.code).toBe(Pkcs11ErrorCode.BadLibrary);

    const ski = subjectKeyIdentifier(loadSigningIdentity(adminMsp, 'Org1MSP').certificate.publicKey).toString('hex');
    const notFound = errorOf(() => withProvider(pkcs11(empty), (p) => p.loadSigningIdentity(adminMsp, 'Org1MSP')));
    expect(notFound.code).toBe(Pkcs11ErrorCode.KeyNotFound);
    expect(notFound.message).toContain(ski);
    expect(notFound.message).toContain(`"${empty}"`);

  });

  it('finds the key under altId, or the keyIds entry for the SKI first (Fabric skiMapper), and refuses a key that is not the certificate\'s', () => {
    const peerSki = subjectKeyIdentifier(createPublicKey(createPrivateKey(fs.readFileSync(peerKeyFile)))).toString('hex');
    const byAltId = new X509MspProvider(pkcs11(alt, { altId: 'shared-id' }));
    const byKeyIds = new X509MspProvider(pkcs11(alt, { altId: 'elsewhere', keyIds: [{ ski: peerSki.toUpperCase(), id: 'shared-id' }] }));
    try {
      for (const provider of [byAltId, byKeyIds]) {
        const signer = provider.loadSigningIdentity(peerMsp, 'Org1MSP');
        expect(signer.verify(Buffer.from('m'), signer.sign(Buffer.from('m')))).toBe(true);
      }
      // The admin's certificate mapped to the peer's key: found, but a test signature does not verify.
      const mismatch = errorOf(() => byAltId.loadSigningIdentity(adminMsp, 'Org1MSP'));
      expect(mismatch.code).toBe(MspErrorCode.KeyMismatch);
      expect(mismatch.message).toContain(`"${alt}"`);
    } finally {
      byAltId.close();
      byKeyIds.close();
    }
  });

  it('imports a key non-extractable and sensitive, idempotently, and refuses another key under the same CKA_ID', () => {
    const lease = openToken({ library: SOFTHSM_LIBRARY, label: node, pin: PIN });
    try {
      const peerKey = createPrivateKey(fs.readFileSync(peerKeyFile));
      expect(importTokenKey(lease.token, peerKey, { keyIds: [] }).created).toBe(false);
      const adminKey = createPrivateKey(fs.readFileSync(path.join(adminMsp, 'keystore', 'priv_sk')));
      const peerSki = subjectKeyIdentifier(createPublicKey(peerKey));
      const altLease = openToken({ library: SOFTHSM_LIBRARY, label: alt, pin: PIN });
      try {
        // The alt token holds the peer's key under 'shared-id'.
        const clash = errorOf(() => importTokenKey(altLease.token, adminKey, { keyIds: [], altId: 'shared-id' }));
        expect(clash.code).toBe(Pkcs11ErrorCode.KeyExists);
      } finally {
        altLease.release();
      }
      const [handle] = lease.token.findObjects(3, peerSki, 1);
      const [sensitive, extractable] = lease.token.attributes(handle!, [0x103, 0x162]);
      expect([sensitive![0], extractable![0]]).toEqual([1, 0]);
    } finally {
      lease.release();
    }
  });

  it('validates plugins.msp.options.bccsp, naming the field', () => {
    const where = (raw: Record<string, unknown>): string => (errorOf(() => mspOptionsFrom(raw)).details as { path: string }).path;
    expect(where({ bccsp: { default: 'HSM' } })).toBe('plugins.msp.options.bccsp.default');
    expect(where({ bccsp: { default: 'PKCS11' } })).toBe('plugins.msp.options.bccsp.pkcs11');
    expect(where({ bccsp: { default: 'PKCS11', pkcs11: { library: SOFTHSM_LIBRARY } } })).toBe('plugins.msp.options.bccsp.pkcs11.label');
    expect(where({ bccsp: { default: 'PKCS11', pkcs11: { library: SOFTHSM_LIBRARY, label: 'l', security: 512 } } })).toBe('plugins.msp.options.bccsp.pkcs11.security');
    expect(where({ bccsp: { pkcs11: { library: 'x', label: 'l', keyIds: [{ ski: 'zz', id: 'a' }] } } })).toBe('plugins.msp.options.bccsp.pkcs11.keyIds.0.ski');
    expect(where({ bccsp: { pkcs11: { library: 'x', label: 'l', Pin: '1' } } })).toBe('plugins.msp.options.bccsp.pkcs11');
    expect(mspOptionsFrom({ bccsp: { default: 'SW' } }).bccsp?.default).toBe('SW');
  });

  it('loads pkcs11js only once a token is opened, not with the plugin (a node without PKCS11 never loads it)', () => {
    const repo = path.resolve(__dirname, '../../../..');
    const loaded = (script: string): string =>
      execFileSync(process.execPath, ['--no-node-snapshot', '-r', path.join(repo, 'test/support/ts-register.js'), '-e', `${script}; console.log(Object.keys(require.cache).some((f) => f.includes('/pkcs11js/')))`], { cwd: repo, encoding: 'utf8' }).trim();
    expect(loaded("const p = require('./plugins/msp-x509'); new p.X509MspProvider({})")).toBe('false');
    expect(loaded("require('./plugins/msp-x509/pkcs11-library').newPkcs11()")).toBe('true');
  });

  it('says to build pkcs11js when the optional dependency cannot be loaded', () => {
    jest.isolateModules(() => {
      jest.doMock('pkcs11js', () => {
        throw new Error("Cannot find module './build/Release/pkcs11.node'");
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a fresh module registry with pkcs11js missing
      const { newPkcs11 } = require('../../../../plugins/msp-x509/pkcs11-library') as typeof import('../../../../plugins/msp-x509/pkcs11-library');
      // This registry has its own MspError class: the error is checked by its fields.
      expect(() => newPkcs11()).toThrow(expect.objectContaining({ code: 'MSP_PKCS11_UNAVAILABLE', message: expect.stringContaining('npm rebuild pkcs11js') }));
    });
  });
});
