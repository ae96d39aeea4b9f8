import { bytesEqual } from '../../protocol/bytes';
import type { Signer } from '../../protocol/signer';

/** Limits of what {@link OwnSignatures} keeps. */
export interface OwnSignaturesLimits {
  /** Signatures kept at most. */
  readonly entries: number;
  /** Signed bytes kept at most, in all; a message larger than 1/64 of this is not kept at all. */
  readonly bytes: number;
  /** How long a signature is kept, ms: its transaction comes back in a block within seconds, or is verified normally. */
  readonly maxAgeMs: number;
}

/**
 * At a few hundred endorsements a second the entry limit binds (about 60 MB of ~1.2 KiB
 * endorsements kept); at a moderate rate the age does: without it a peer endorsing 20 a second held
 * 40 minutes of endorsements (64 MiB) whose transactions had committed seconds after each was
 * signed. Larger results fill the byte budget sooner and are forgotten sooner.
 */
const DEFAULT_LIMITS: OwnSignaturesLimits = { entries: 50_000, bytes: 64 * 1024 * 1024, maxAgeMs: 120_000 };

interface Signed {
  readonly message: Uint8Array;
  /** When it was signed, by the clock given to {@link OwnSignatures}. */
  readonly at: number;
}

/**
 * The endorsement signatures this peer produced recently, so the committer can skip re-verifying
 * its own endorsements when they come back in a block (`performance.md` scenario C). Matching is
 * byte for byte on the signed data and the signature: anything else is verified normally. Never
 * used for other identities: trust does not cross a process boundary.
 *
 * Every proposal response is signed, evaluations included, and the signed bytes carry the
 * chaincode's result: a bound on the count alone would let queries returning large results hold
 * gigabytes. So the bytes kept are bounded too; what is forgotten is merely verified again.
 */
export class OwnSignatures {
  private readonly recent = new Map<string, Signed>();
  private bytes = 0;
  private readonly largestKept: number;

  constructor(
    private readonly signer: Signer,
    private readonly limits: OwnSignaturesLimits = DEFAULT_LIMITS,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.largestKept = Math.floor(limits.bytes / 64);
  }

  /** The signed bytes currently kept. */
  get retainedBytes(): number {
    return this.bytes;
  }

  /** A signer that records what it signs; give it to the endorser. */
  recordingSigner(): Signer {
    const { signer } = this;
    return {
      // Read at each use: a certificate reload replaces the identity behind the node's signer.
      get serialized(): Uint8Array {
        return signer.serialized;
      },
      sign: (message: Uint8Array): Uint8Array => {
        const signature = this.signer.sign(message);
        if (message.length <= this.largestKept) this.remember(keyOf(signature), message);
        return signature;
      },
    };
  }

  /** Whether this peer signed exactly `data` with exactly `signature`, as `identity`. */
  signedByMe(identity: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
    if (!bytesEqual(identity, this.signer.serialized)) return false;
    const signed = this.recent.get(keyOf(signature));
    return signed !== undefined && bytesEqual(signed.message, data);
  }

  private remember(key: string, message: Uint8Array): void {
    const at = this.now();
    // Drop the oldest entries (a Map iterates in insertion order) until the new one fits and none is too old.
    for (const [oldKey, old] of this.recent) {
      if (this.recent.size < this.limits.entries && this.bytes + message.length <= this.limits.bytes && at - old.at <= this.limits.maxAgeMs) break;
      this.recent.delete(oldKey);
      this.bytes -= old.message.length;
    }
    const replaced = this.recent.get(key);
    if (replaced !== undefined) this.bytes -= replaced.message.length;
    // Deleted first so a re-signed message moves to the end, keeping the map in signing order for the loop above.
    this.recent.delete(key);
    this.recent.set(key, { message, at });
    this.bytes += message.length;
  }
}

function keyOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
}
