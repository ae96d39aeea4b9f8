import type { MSPPrincipal } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import type { Identity } from '../../msp/identity';
import type { IdentityDeserializer } from '../../msp/msp';
import { bytesEqual } from '../../protocol/bytes';

/** A signature already checked (in a worker or by the async crypto path) before policy evaluation. */
export interface VerifiedSignature {
  readonly data: Uint8Array;
  readonly identity: Uint8Array;
  readonly signature: Uint8Array;
  readonly valid: boolean;
}

const MAX_CACHED_IDENTITIES = 10_000;

function keyOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
}

/**
 * A short lookup key for serialized identities (~800 bytes of PEM): the length and the 32 bytes
 * ending 58 bytes from the end, past PEM's fixed trailer and inside the base64 of the certificate's
 * own signature, which differs between certificates. A hit is confirmed byte for byte; keying by
 * the whole text cost 3x as much (a string copy, hash and compare of ~800 characters).
 */
function identityKeyOf(bytes: Uint8Array): string {
  const end = Math.max(0, bytes.length - 58);
  return `${bytes.length}:${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1', Math.max(0, end - 32), end)}`;
}

/**
 * Wraps the channel's MSP manager: identities are deserialized once per distinct serialized bytes,
 * and signature checks consult a table of results computed in parallel for the block being
 * validated, so a policy evaluation after {@link CachingDeserializer.withVerified} costs no crypto.
 * Identities that fail to deserialize are not cached (the error is re-thrown each time).
 */
export class CachingDeserializer implements IdentityDeserializer {
  /** By {@link identityKeyOf}: identities whose keys collide share a bucket. */
  private readonly identities = new Map<string, Identity[]>();
  private cachedIdentities = 0;
  /** The same lookups by byte object: one transaction hands the same creator bytes over several times. */
  private readonly byObject = new WeakMap<Uint8Array, Identity>();
  private verified = new Map<string, VerifiedSignature>();

  constructor(private readonly inner: IdentityDeserializer) {}

  deserializeIdentity(serialized: Uint8Array): Identity {
    let id = this.byObject.get(serialized);
    if (id !== undefined) return id;
    const key = identityKeyOf(serialized);
    const bucket = this.identities.get(key);
    id = bucket?.find((candidate) => bytesEqual(candidate.serialized, serialized));
    if (id === undefined) {
      id = this.wrap(this.inner.deserializeIdentity(serialized));
      if (this.cachedIdentities >= MAX_CACHED_IDENTITIES) {
        this.identities.clear();
        this.cachedIdentities = 0;
      }
      const kept = this.identities.get(key);
      if (kept === undefined) this.identities.set(key, [id]);
      else kept.push(id);
      this.cachedIdentities++;
    }
    this.byObject.set(serialized, id);
    return id;
  }

  /** Runs `fn` with `results` consulted before any real verification; the table is dropped afterwards. */
  withVerified<T>(results: readonly VerifiedSignature[], fn: () => T): T {
    const previous = this.verified;
    const table = previous.size === 0 ? new Map<string, VerifiedSignature>() : new Map(previous);
    for (const r of results) table.set(keyOf(r.signature), r);
    this.verified = table;
    try {
      return fn();
    } finally {
      this.verified = previous;
    }
  }

  private wrap(identity: Identity): Identity {
    const verifiedOf = (): Map<string, VerifiedSignature> => this.verified;
    return {
      mspId: identity.mspId,
      serialized: identity.serialized,
      idBytes: identity.idBytes,
      id: identity.id,
      expiresAt: identity.expiresAt,
      organizationalUnits: identity.organizationalUnits,
      validate: () => identity.validate(),
      satisfiesPrincipal: (principal: MSPPrincipal) => identity.satisfiesPrincipal(principal),
      verify(message: Uint8Array, signature: Uint8Array): boolean {
        const hit = verifiedOf().get(keyOf(signature));
        if (hit !== undefined && bytesEqual(hit.data, message) && bytesEqual(hit.identity, identity.serialized)) return hit.valid;
        return identity.verify(message, signature);
      },
      verifyAsync: (message: Uint8Array, signature: Uint8Array) => identity.verifyAsync(message, signature),
    };
  }
}
