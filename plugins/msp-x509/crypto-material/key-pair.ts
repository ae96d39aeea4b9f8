import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { OrgKeyAlgorithm } from '../../../core/msp/crypto-material';

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

/** The key pair algorithm cryptogen generates for `algorithm`. */
export function keyAlgorithmOf(algorithm: OrgKeyAlgorithm): 'P-256' | 'Ed25519' {
  return algorithm === 'ed25519' ? 'Ed25519' : 'P-256';
}

/**
 * The algorithm an org made with `key` as its CA key uses for the keys it makes later: Ed25519 for
 * an Ed25519 CA, else cryptogen's default, P-256 (a P-384 CA's members get P-256 keys, as before).
 */
export function memberKeyAlgorithmFor(caKey: KeyObject): 'P-256' | 'Ed25519' {
  return caKey.asymmetricKeyType === 'ed25519' ? 'Ed25519' : 'P-256';
}
