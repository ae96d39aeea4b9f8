import { MspError } from '../../core/errors';
import type { Identity } from '../../core/msp/identity';
import type { Msp, MspManager } from '../../core/msp/msp';
import { MspErrorCode } from '../../core/msp/msp-error-code';
import { BoundedCache } from './bounded-cache';
import { readSerializedIdentity } from './serialized-identity-reader';
import { assertWellFormedIdentity } from './x509-msp';

export interface MspManagerOptions {
  readonly identityCacheSize?: number;
  readonly maxIdentityBytes?: number;
}

/**
 * A channel's MSPs by id (Fabric's `mspManagerImpl`). Deserialization reads the msp id from the
 * `SerializedIdentity` and hands the exact bytes to that MSP; results are cached by those bytes,
 * so a known creator costs one Map lookup and no protobuf decode.
 */
export class MspManagerImpl implements MspManager {
  private readonly byId = new Map<string, Msp>();
  private readonly cache: BoundedCache<Identity>;
  private readonly maxIdentityBytes: number;

  constructor(msps: readonly Msp[], options: MspManagerOptions = {}) {
    for (const msp of msps) {
      if (this.byId.has(msp.id)) {
        throw new MspError(MspErrorCode.BadConfig, `MSP id "${msp.id}" is defined twice in one MSP manager`, { mspId: msp.id });
      }
      this.byId.set(msp.id, msp);
    }
    this.cache = new BoundedCache(options.identityCacheSize ?? 10_000);
    this.maxIdentityBytes = options.maxIdentityBytes ?? 64 * 1024;
  }

  getMsp(mspId: string): Msp | undefined {
    return this.byId.get(mspId);
  }

  mspIds(): readonly string[] {
    return [...this.byId.keys()];
  }

  /**
   * Fabric's `mspManagerImpl.IsWellFormed` (the gossip-only strict PEM check, see
   * `X509Msp.isWellFormed`); every MSP of this plugin applies the same rules.
   */
  isWellFormed(serialized: Uint8Array): void {
    assertWellFormedIdentity(serialized, this.maxIdentityBytes);
  }

  deserializeIdentity(serialized: Uint8Array): Identity {
    const key = BoundedCache.keyOf(serialized);
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const { mspId } = readSerializedIdentity(serialized, this.maxIdentityBytes);
    const msp = this.byId.get(mspId);
    if (msp === undefined) {
      throw new MspError(
        MspErrorCode.Unknown,
        `identity names MSP "${mspId}", which is not one of this channel's MSPs (${this.mspIds().join(', ') || 'none'})`,
        { mspId, known: this.mspIds() },
      );
    }
    const identity = msp.deserializeIdentity(serialized);
    this.cache.set(key, identity);
    return identity;
  }
}
