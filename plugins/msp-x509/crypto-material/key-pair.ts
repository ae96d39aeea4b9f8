import { generateKeyPairSync, type KeyObject } from 'node:crypto';

/**
 * Key algorithms the generator can issue. P-256 is the default and what Fabric uses; P-384 and
 * Ed25519 are accepted by the MSP too; secp256k1 exists only to build wrong-curve hostile inputs.
 */
export type KeyAlgorithm = 'P-256' | 'P-384' | 'Ed25519' | 'secp256k1';

export interface KeyPair {
  readonly algorithm: KeyAlgorithm;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

const NAMED_CURVES: Record<Exclude<KeyAlgorithm, 'Ed25519'>, string> = {
  'P-256': 'prime256v1',
  'P-384': 'secp384r1',
  secp256k1: 'secp256k1',
};

/** Generates a key pair with node:crypto (WebCrypto cannot make secp256k1 keys, which hostile tests need). */
export function generateKeyPair(algorithm: KeyAlgorithm = 'P-256'): KeyPair {
  const pair =
    algorithm === 'Ed25519'
      ? generateKeyPairSync('ed25519')
      : generateKeyPairSync('ec', { namedCurve: NAMED_CURVES[algorithm] });
  return { algorithm, privateKey: pair.privateKey, publicKey: pair.publicKey };
}

/** PKCS#8 PEM, the format cryptogen writes to `keystore/priv_sk`. */
export function privateKeyToPem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}
