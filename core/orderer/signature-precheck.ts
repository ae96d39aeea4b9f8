import { X509Certificate, verify, type KeyObject } from 'node:crypto';
import type { Identity } from '../msp/identity';
import type { IdentityDeserializer } from '../msp/msp';
import type { SignedData } from '../policy/policy';
import { parseSerializedIdentity } from '../protocol/serialized-identity';

const P256_HALF_ORDER = BigInt('0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551') >> 1n;
const MAX_KEYS = 10_000;

/**
 * Verifies creators' signatures on libuv's thread pool before the synchronous ingress checks, so
 * the ECDSA verification (about 100 µs) runs beside the event loop instead of on it
 * (performance.md, recommendation 2). It only ever *adds* a fast path: a signature it verified —
 * P-256 low-S canonical DER or Ed25519, with the key of the X.509 certificate in the creator's
 * `SerializedIdentity` — is reported as valid to the policy evaluation for exactly those byte
 * objects; anything else (other key types, high-S, a failed check) falls through to the MSP's own
 * `verify`. Identity validation, revocation and principals are still decided by the MSP and policy.
 */
export class SignaturePrecheck {
  private readonly keys = new Map<string, KeyObject | undefined>();
  /** Verified signatures, keyed by the signature's byte object itself. */
  private readonly verified = new WeakMap<Uint8Array, { readonly data: Uint8Array; readonly identity: Uint8Array }>();

  /** Verifies `signed` off the event loop; never rejects. */
  check(signed: SignedData): Promise<void> {
    const key = this.keyOf(signed.identity);
    if (key === undefined) return Promise.resolve();
    const ed25519 = key.asymmetricKeyType === 'ed25519';
    if (!ed25519 && !isCanonicalLowS(signed.signature)) return Promise.resolve();
    return new Promise((resolve) => {
      try {
        verify(ed25519 ? null : 'sha256', signed.data, key, signed.signature, (err, ok) => {
          if (err === null && ok) this.verified.set(signed.signature, { data: signed.data, identity: signed.identity });
          resolve();
        });
      } catch {
        resolve();
      }
    });
  }

  /** Whether `check` verified exactly this signature object over this data object for this identity. */
  isVerified(identity: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
    const entry = this.verified.get(signature);
    return entry !== undefined && entry.data === data && Buffer.from(entry.identity).equals(Buffer.from(identity));
  }

  /** A deserializer whose identities consult the precheck before verifying synchronously. */
  wrap(inner: IdentityDeserializer): IdentityDeserializer {
    const wrapped = new WeakMap<Identity, Identity>();
    return {
      deserializeIdentity: (bytes: Uint8Array): Identity => {
        const identity = inner.deserializeIdentity(bytes);
        let w = wrapped.get(identity);
        if (w === undefined) {
          w = new PrecheckedIdentity(identity, this);
          wrapped.set(identity, w);
        }
        return w;
      },
    };
  }

  private keyOf(creator: Uint8Array): KeyObject | undefined {
    const cacheKey = Buffer.from(creator.buffer, creator.byteOffset, creator.byteLength).toString('latin1');
    if (this.keys.has(cacheKey)) return this.keys.get(cacheKey);
    let key: KeyObject | undefined;
    try {
      const cert = new X509Certificate(parseSerializedIdentity(creator).idBytes);
      const k = cert.publicKey;
      const p256 = k.asymmetricKeyType === 'ec' && k.asymmetricKeyDetails?.namedCurve === 'prime256v1';
      key = p256 || k.asymmetricKeyType === 'ed25519' ? k : undefined;
    } catch {
      key = undefined;
    }
    if (this.keys.size >= MAX_KEYS) this.keys.delete(this.keys.keys().next().value as string);
    this.keys.set(cacheKey, key);
    return key;
  }
}

class PrecheckedIdentity implements Identity {
  constructor(
    private readonly inner: Identity,
    private readonly precheck: SignaturePrecheck,
  ) {}
  get mspId() {
    return this.inner.mspId;
  }
  get serialized() {
    return this.inner.serialized;
  }
  get idBytes() {
    return this.inner.idBytes;
  }
  get id() {
    return this.inner.id;
  }
  get expiresAt() {
    return this.inner.expiresAt;
  }
  get organizationalUnits() {
    return this.inner.organizationalUnits;
  }
  validate(): void {
    this.inner.validate();
  }
  verify(message: Uint8Array, signature: Uint8Array): boolean {
    return this.precheck.isVerified(this.inner.serialized, message, signature) || this.inner.verify(message, signature);
  }
  satisfiesPrincipal(principal: Parameters<Identity['satisfiesPrincipal']>[0]): boolean {
    return this.inner.satisfiesPrincipal(principal);
  }
}

/** A strict DER ECDSA signature (SEQUENCE of two minimal positive INTEGERs) with S ≤ n/2 for P-256. */
export function isCanonicalLowS(sig: Uint8Array): boolean {
  if (sig.length < 8 || sig.length > 72 || sig[0] !== 0x30 || sig[1] !== sig.length - 2) return false;
  let offset = 2;
  let s = 0n;
  for (let i = 0; i < 2; i++) {
    if (sig[offset] !== 0x02) return false;
    const len = sig[offset + 1]!;
    const start = offset + 2;
    if (len === 0 || len > 33 || start + len > sig.length) return false;
    if (sig[start]! & 0x80) return false; // negative
    if (len > 1 && sig[start] === 0 && !(sig[start + 1]! & 0x80)) return false; // not minimal
    if (i === 1) s = BigInt(`0x${Buffer.from(sig.subarray(start, start + len)).toString('hex')}`);
    offset = start + len;
  }
  return offset === sig.length && s > 0n && s <= P256_HALF_ORDER;
}
