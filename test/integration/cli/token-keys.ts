import { verify, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from '@jest/globals';
import { DEFAULT_INIT_OPTIONS, initNetwork, type InitOptions } from '../../../cli/services/network/network-init';
import { closeAllTokenSessions, mspOptionsFrom, openToken, PKCS11_PIN_ENV, subjectKeyIdentifier, X509MspProvider } from '../../../plugins/msp-x509';
import { CK } from '../../../plugins/msp-x509/pkcs11-library';
import { SOFTHSM_LIBRARY, softHsm, type SoftHsm } from '../../unit/plugins/msp-x509/softhsm';

/** The user PIN the HSM network tests give their SoftHSM tokens. */
export const TOKEN_PIN = '86421357';

/** A network made into a SoftHSM token ({@link initTokenNetwork}). */
export interface TokenNetwork {
  /** The SoftHSM holding the token; tests may make more tokens in it. */
  readonly hsm: SoftHsm;
  /** The token every member's signing key was generated in. */
  readonly label: string;
  readonly dir: string;
  /** Ends the token sessions and removes the SoftHSM, the PIN variable and the network folder. */
  close(): void;
}

/**
 * `weft network init` (`init` over the defaults) with every member's signing key generated in the
 * token `net` of a fresh SoftHSM named `name`, its PIN ({@link TOKEN_PIN}) in the environment.
 */
export async function initTokenNetwork(name: string, init: Partial<InitOptions>): Promise<TokenNetwork> {
  const hsm = softHsm(name);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `weft-${name}-hsm-`));
  process.env[PKCS11_PIN_ENV] = TOKEN_PIN;
  const label = hsm.initToken('net', TOKEN_PIN);
  const dir = path.join(tmp, 'net');
  const close = (): void => {
    closeAllTokenSessions();
    delete process.env[PKCS11_PIN_ENV];
    hsm.remove();
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  await initNetwork(dir, { ...DEFAULT_INIT_OPTIONS, ...init }, () => {}, { hsmLibrary: SOFTHSM_LIBRARY, hsmLabel: label }).catch((err: unknown) => {
    close();
    throw err;
  });
  return { hsm, label, dir, close };
}

/** msp-x509's options for a key in the SoftHSM token `label`, as a node YAML carries them. */
export const tokenOptions = (label: string): Record<string, unknown> => ({ bccsp: { default: 'PKCS11', pkcs11: { library: SOFTHSM_LIBRARY, label } } });

/** Every file under `dir` whose parent folder is an MSP's `keystore/`. */
export function keystoreFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && path.basename(e.parentPath) === 'keystore')
    .map((e) => path.join(e.parentPath, e.name));
}

export function signcertOf(mspDir: string): X509Certificate {
  const dir = path.join(mspDir, 'signcerts');
  return new X509Certificate(fs.readFileSync(path.join(dir, fs.readdirSync(dir)[0]!)));
}

/** How many objects of `objectClass` the token `label` holds. */
export function tokenObjects(label: string, objectClass: number): number {
  const lease = openToken({ library: SOFTHSM_LIBRARY, label, pin: TOKEN_PIN });
  try {
    return lease.token.findObjects(objectClass, undefined, 1000).length;
  } finally {
    lease.release();
  }
}

/** The member's key is in the token as Fabric's BCCSP generates one: private, sensitive, never extractable, filed under its certificate's SKI, its keystore empty. */
export function expectKeyInToken(label: string, mspDir: string): void {
  expect(fs.readdirSync(path.join(mspDir, 'keystore'))).toEqual([]);
  const lease = openToken({ library: SOFTHSM_LIBRARY, label, pin: TOKEN_PIN });
  try {
    const ski = subjectKeyIdentifier(signcertOf(mspDir).publicKey);
    const [privateKey] = lease.token.findObjects(CK.CKO_PRIVATE_KEY, ski, 2);
    expect(privateKey).toBeDefined();
    const [isToken, isPrivate, sensitive, extractable, sign, keyLabel] = lease.token.attributes(privateKey!, [CK.CKA_TOKEN, CK.CKA_PRIVATE, CK.CKA_SENSITIVE, CK.CKA_EXTRACTABLE, CK.CKA_SIGN, CK.CKA_LABEL]);
    expect([isToken, isPrivate, sensitive, extractable, sign].map((b) => b![0])).toEqual([1, 1, 1, 0, 1]);
    expect(keyLabel!.toString()).toBe(ski.toString('hex'));
    expect(lease.token.findObjects(CK.CKO_PUBLIC_KEY, ski, 2)).toHaveLength(1);
  } finally {
    lease.release();
  }
}

/** Loads the MSP folder with `options` (msp-x509's) and checks that what it signs verifies under its certificate. */
export function expectSigns(options: Record<string, unknown>, mspDir: string, mspId: string): void {
  const provider = new X509MspProvider(mspOptionsFrom(options));
  try {
    const message = Buffer.from(`signed in ${mspDir}`);
    const signature = provider.loadLocalMsp(mspDir, mspId).signer.sign(message);
    expect(verify('sha256', message, { key: signcertOf(mspDir).publicKey, dsaEncoding: 'der' }, signature)).toBe(true);
  } finally {
    provider.close();
  }
}
