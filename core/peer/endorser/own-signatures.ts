import { bytesEqual } from '../../protocol/bytes';
import type { Signer } from '../../protocol/signer';

const DEFAULT_CAPACITY = 50_000;

/**
 * The endorsement signatures this peer produced recently, so the committer can skip re-verifying
 * its own endorsements when they come back in a block (`performance.md` scenario C). Matching is
 * byte for byte on the signed data and the signature: anything else is verified normally. Never
 * used for other identities: trust does not cross a process boundary.
 */
export class OwnSignatures {
  private readonly recent = new Map<string, Uint8Array>();

  constructor(
    private readonly signer: Signer,
    private readonly capacity = DEFAULT_CAPACITY,
  ) {}

  /** A signer that records what it signs; give it to the endorser. */
  recordingSigner(): Signer {
    return {
      serialized: this.signer.serialized,
      sign: (message: Uint8Array): Uint8Array => {
        const signature = this.signer.sign(message);
        if (this.recent.size >= this.capacity) {
          // Drop the oldest entry (Map iterates in insertion order).
          const first = this.recent.keys().next();
          if (first.done !== true) this.recent.delete(first.value);
        }
        this.recent.set(keyOf(signature), message);
        return signature;
      },
    };
  }

  /** Whether this peer signed exactly `data` with exactly `signature`, as `identity`. */
  signedByMe(identity: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
    if (!bytesEqual(identity, this.signer.serialized)) return false;
    const signed = this.recent.get(keyOf(signature));
    return signed !== undefined && bytesEqual(signed, data);
  }
}

function keyOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
}
