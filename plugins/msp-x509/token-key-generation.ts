import { createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { MspError } from '../../core/errors';
import { CK, Pkcs11ErrorCode } from './pkcs11-library';
import { openToken, type Pkcs11Token, type TokenAddress } from './pkcs11-token';
import { EC_PARAMS } from './token-key-import';
import { subjectKeyIdentifier } from './token-signing-key';

/** The curves a key can be generated on, by JWK name, with their OpenSSL names (EC_PARAMS' keys). */
const CURVES = { 'P-256': 'prime256v1', 'P-384': 'secp384r1' } as const;

/** A key pair {@link generateTokenKey} made: the public half to certify, the private half in the token. */
export interface GeneratedTokenKey {
  readonly publicKey: KeyObject;
  /** The SKI (SHA-256 of the uncompressed point), which is also the pair's CKA_ID. */
  readonly ski: Buffer;
}

/**
 * The uncompressed point out of a CKA_EC_POINT value: DER-wrapped as the standard says (SoftHSM),
 * or raw as some tokens return it (Fabric's ecPoint accepts both).
 */
function pointOf(value: Buffer): Buffer {
  const wrapped = value[0] === 0x04 && value[1] === value.length - 2 && value[2] === 0x04;
  return wrapped ? value.subarray(2) : value;
}

/** The public key at `point`; node:crypto refuses a point that is not on the curve. */
function publicKeyOf(point: Buffer, curve: keyof typeof CURVES, token: Pkcs11Token): KeyObject {
  const size = (point.length - 1) / 2;
  try {
    return createPublicKey({
      key: { kty: 'EC', crv: curve, x: point.subarray(1, 1 + size).toString('base64url'), y: point.subarray(1 + size).toString('base64url') },
      format: 'jwk',
    });
  } catch (err) {
    throw new MspError(Pkcs11ErrorCode.TokenFailure, `PKCS#11 token "${token.address.label}" returned a CKA_EC_POINT that is no ${curve} point: ${(err as Error).message}`, {
      label: token.address.label,
      library: token.address.library,
    }, { cause: err });
  }
}

/**
 * Generates an EC key pair inside the token as Fabric's PKCS#11 BCCSP does (`generateECKey`): the
 * private key a token object, private, sensitive, not extractable, sign only; made under a
 * temporary id, then both halves given CKA_ID = the SKI and CKA_LABEL = its hex, the id the MSP
 * looks a certificate's key up by. A failure after the pair exists destroys it again.
 * Throws MSP_PKCS11_FAILURE (the token refused: full, read-only, no EC mechanism).
 */
export function generateTokenKey(token: Pkcs11Token, curve: keyof typeof CURVES = 'P-256'): GeneratedTokenKey {
  const temporaryId = Buffer.from(`weft-${randomBytes(8).toString('hex')}`);
  const common = [
    { type: CK.CKA_KEY_TYPE, value: CK.CKK_EC },
    { type: CK.CKA_TOKEN, value: true },
    { type: CK.CKA_ID, value: temporaryId },
  ];
  const pair = token.generateKeyPair(
    CK.CKM_EC_KEY_PAIR_GEN,
    [{ type: CK.CKA_CLASS, value: CK.CKO_PUBLIC_KEY }, ...common, { type: CK.CKA_VERIFY, value: true }, { type: CK.CKA_EC_PARAMS, value: EC_PARAMS[CURVES[curve]] }],
    [
      { type: CK.CKA_CLASS, value: CK.CKO_PRIVATE_KEY },
      ...common,
      { type: CK.CKA_PRIVATE, value: true },
      { type: CK.CKA_SIGN, value: true },
      { type: CK.CKA_EXTRACTABLE, value: false },
      { type: CK.CKA_SENSITIVE, value: true },
    ],
  );
  try {
    const point = pointOf(token.attributes(pair.publicKey, [CK.CKA_EC_POINT])[0]!);
    const publicKey = publicKeyOf(point, curve, token);
    const ski = subjectKeyIdentifier(publicKey);
    const named = [
      { type: CK.CKA_ID, value: ski },
      { type: CK.CKA_LABEL, value: ski.toString('hex') },
    ];
    token.setAttributes(pair.publicKey, named);
    token.setAttributes(pair.privateKey, named);
    return { publicKey, ski };
  } catch (err) {
    token.destroyObject(pair.privateKey);
    token.destroyObject(pair.publicKey);
    throw err;
  }
}

/**
 * Destroys the key pairs filed under `ids` (CKA_IDs: the SKIs {@link generateTokenKey} gave them)
 * in the token `address` names: undoing a generation whose certificates are thrown away. Returns
 * how many objects it destroyed; throws as {@link openToken} does.
 */
export function destroyTokenKeys(address: TokenAddress, ids: readonly Uint8Array[]): number {
  const lease = openToken(address);
  try {
    let destroyed = 0;
    for (const id of ids) {
      for (const object of [...lease.token.findObjects(CK.CKO_PRIVATE_KEY, id), ...lease.token.findObjects(CK.CKO_PUBLIC_KEY, id)]) {
        lease.token.destroyObject(object);
        destroyed++;
      }
    }
    return destroyed;
  } finally {
    lease.release();
  }
}

/** Keys made in one token for one piece of work ({@link withTokenKeys}). */
export interface TokenKeyMaker {
  /** A new key pair in the token, recorded so that a failure of the work destroys it again. */
  generate(): GeneratedTokenKey;
  /** A handle that destroys `keys` (by default every key made so far) in the token, for a caller that throws away what they were certified for. */
  discarder(keys?: readonly GeneratedTokenKey[]): () => void;
}

/**
 * Runs `work` with the token `address` names open, once, before anything is written (a library,
 * token or PIN that fails leaves nothing), or with none (`address` undefined: keys in files). When
 * `work` throws, every key it made is destroyed again: no certificate of theirs survives.
 */
export async function withTokenKeys<T>(address: TokenAddress | undefined, work: (keys: TokenKeyMaker | undefined) => Promise<T>): Promise<T> {
  if (address === undefined) return work(undefined);
  const lease = openToken(address);
  const made: GeneratedTokenKey[] = [];
  const discarder = (keys: readonly GeneratedTokenKey[] = [...made]): (() => void) => {
    const ids = keys.map((k) => k.ski);
    return () => void destroyTokenKeys(address, ids);
  };
  const generate = (): GeneratedTokenKey => {
    const key = generateTokenKey(lease.token);
    made.push(key);
    return key;
  };
  try {
    return await work({ generate, discarder });
  } catch (err) {
    try {
      discarder()();
    } catch {
      // A token that failed the work may refuse this too: the work's error is the one to report.
    }
    throw err;
  } finally {
    lease.release();
  }
}
