import { type KeyObject, X509Certificate, verify as cryptoVerify } from 'node:crypto';
import type { Identity } from '../../msp/identity';

/** One signature to check. */
export interface SignatureCheck {
  readonly identity: Identity;
  readonly data: Uint8Array;
  readonly signature: Uint8Array;
}

/**
 * Checks many signatures at once, off the event loop. Called by the committer once per block with
 * every creator and endorsement signature of the block. Never throws for a bad signature (false).
 */
export interface SignatureVerifier {
  verifyAll(checks: readonly SignatureCheck[]): Promise<boolean[]>;
}

// Orders of the curves Fabric uses; an ECDSA signature with s > n/2 is rejected (Fabric's low-S rule).
const HALF_ORDERS: Record<string, bigint> = {
  prime256v1: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n >> 1n,
  secp384r1: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n >> 1n,
};

interface CachedKey {
  readonly key: KeyObject;
  readonly algorithm: string | null;
  readonly halfOrder: bigint | undefined;
}

/**
 * Verifies through Node's asynchronous `crypto.verify`, which runs on the libuv thread pool: all
 * cores work on one block's signatures with no worker code (measured at 1.66× a single thread on
 * 2 cores, `performance.md`). Public keys are extracted once per identity and cached.
 */
export class ThreadPoolSignatureVerifier implements SignatureVerifier {
  private readonly keys = new Map<string, CachedKey | undefined>();

  async verifyAll(checks: readonly SignatureCheck[]): Promise<boolean[]> {
    return Promise.all(checks.map((c) => this.verifyOne(c)));
  }

  private verifyOne(check: SignatureCheck): Promise<boolean> {
    const key = this.keyOf(check.identity);
    if (key === undefined) return Promise.resolve(check.identity.verify(check.data, check.signature));
    if (key.halfOrder !== undefined && !isLowS(check.signature, key.halfOrder)) return Promise.resolve(false);
    return new Promise((resolve) => {
      try {
        cryptoVerify(key.algorithm, check.data, key.key, check.signature, (err, ok) => resolve(err === null && ok));
      } catch {
        resolve(false);
      }
    });
  }

  private keyOf(identity: Identity): CachedKey | undefined {
    if (this.keys.has(identity.id)) return this.keys.get(identity.id);
    let cached: CachedKey | undefined;
    try {
      const key = new X509Certificate(Buffer.from(identity.idBytes)).publicKey;
      if (key.asymmetricKeyType === 'ec') {
        const curve = key.asymmetricKeyDetails?.namedCurve ?? '';
        const halfOrder = HALF_ORDERS[curve];
        // An unknown curve falls back to the MSP's own verify (undefined key).
        cached = halfOrder === undefined ? undefined : { key, algorithm: 'sha256', halfOrder };
      } else if (key.asymmetricKeyType === 'ed25519') {
        cached = { key, algorithm: null, halfOrder: undefined };
      }
    } catch {
      cached = undefined;
    }
    if (this.keys.size > 10_000) this.keys.clear();
    this.keys.set(identity.id, cached);
    return cached;
  }
}

/** Verifies inline with each identity's own `verify` (tests, single-core nodes). */
export class InlineSignatureVerifier implements SignatureVerifier {
  verifyAll(checks: readonly SignatureCheck[]): Promise<boolean[]> {
    return Promise.resolve(checks.map((c) => c.identity.verify(c.data, c.signature)));
  }
}

const halfOrderBytes = new Map<bigint, Uint8Array>();

function bytesOf(value: bigint): Uint8Array {
  let b = halfOrderBytes.get(value);
  if (b === undefined) {
    let hex = value.toString(16);
    if (hex.length % 2 === 1) hex = `0${hex}`;
    b = Uint8Array.from(Buffer.from(hex, 'hex'));
    halfOrderBytes.set(value, b);
  }
  return b;
}

/** Whether a DER ECDSA signature's s is at most half the curve order; false for malformed DER. */
export function isLowS(der: Uint8Array, halfOrder: bigint): boolean {
  // SEQUENCE { INTEGER r, INTEGER s } with short-form lengths (P-256/P-384 signatures are < 128 bytes).
  if (der.length < 8 || der[0] !== 0x30 || der[1] !== der.length - 2) return false;
  let off = 2;
  if (der[off] !== 0x02) return false;
  const rLen = der[off + 1];
  off += 2 + rLen;
  if (off + 2 > der.length || der[off] !== 0x02) return false;
  const sLen = der[off + 1];
  if (off + 2 + sLen !== der.length || sLen === 0) return false;
  // Compare s and n/2 as unsigned big-endian byte strings (no BigInt on the hot path).
  let start = off + 2;
  while (start < der.length - 1 && der[start] === 0) start++;
  const half = bytesOf(halfOrder);
  const len = der.length - start;
  if (len !== half.length) return len < half.length;
  for (let i = 0; i < len; i++) {
    const a = der[start + i];
    const b = half[i];
    if (a !== b) return a < b;
  }
  return true;
}
