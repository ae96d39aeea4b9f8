import type { Identity } from '../msp/identity';
import type { IdentityDeserializer } from '../msp/msp';
import type { LoopLoad } from '../node/event-loop-load';
import type { SignedData } from '../policy/policy';

/**
 * Verifies creators' signatures on libuv's thread pool (`Identity.verifyAsync`) before the
 * synchronous ingress checks, so the ECDSA verification (about 100 µs) runs beside the event loop
 * instead of on it (performance.md, recommendation 2), but only while the loop is busy (`load`).
 * A mostly idle loop verifies inline, in the policy evaluation, which costs less CPU in all: on
 * the 2-org bench 2–12% of the orderer's CPU per transaction (four paired runs, about 6% on average).
 *
 * It only ever *adds* a fast path: a signature it verified is reported as valid to the policy
 * evaluation for exactly those byte objects; anything else (an identity that does not
 * deserialize, a failed check, a check skipped) falls through to the MSP's own `verify`. Identity
 * validation, revocation and principals are still decided by the MSP and policy.
 */
export class SignaturePrecheck {
  /** Verified signatures, keyed by the signature's byte object itself. */
  private readonly verified = new WeakMap<Uint8Array, { readonly data: Uint8Array; readonly identity: Uint8Array }>();

  /** `load` undefined: always off the event loop. */
  constructor(private readonly load?: LoopLoad) {}

  /**
   * Verifies `signed` off the event loop with the identity `deserializer` yields, when the loop is
   * busy; otherwise leaves it to the MSP's inline check. Never rejects.
   */
  async check(signed: SignedData, deserializer: IdentityDeserializer): Promise<void> {
    if (this.load !== undefined && !this.load.busy()) return;
    let identity: Identity;
    try {
      identity = deserializer.deserializeIdentity(signed.identity);
    } catch {
      return;
    }
    if (await identity.verifyAsync(signed.data, signed.signature)) {
      this.verified.set(signed.signature, { data: signed.data, identity: signed.identity });
    }
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
  verifyAsync(message: Uint8Array, signature: Uint8Array): Promise<boolean> {
    return this.inner.verifyAsync(message, signature);
  }
  satisfiesPrincipal(principal: Parameters<Identity['satisfiesPrincipal']>[0]): boolean {
    return this.inner.satisfiesPrincipal(principal);
  }
}
