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

/**
 * Verifies through each identity's `verifyAsync`, which runs on the libuv thread pool: all cores
 * work on one block's signatures with no worker code (measured faster than a 2-worker pool on this
 * machine, `performance.md`). The pool size follows `peer.validatorPoolSize` (UV_THREADPOOL_SIZE).
 */
export class ThreadPoolSignatureVerifier implements SignatureVerifier {
  verifyAll(checks: readonly SignatureCheck[]): Promise<boolean[]> {
    return Promise.all(checks.map((c) => c.identity.verifyAsync(c.data, c.signature)));
  }
}

/** Verifies inline with each identity's own `verify` (tests, single-core nodes). */
export class InlineSignatureVerifier implements SignatureVerifier {
  verifyAll(checks: readonly SignatureCheck[]): Promise<boolean[]> {
    return Promise.resolve(checks.map((c) => c.identity.verify(c.data, c.signature)));
  }
}
