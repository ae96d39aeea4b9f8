import type { MspManager } from '../../msp/msp';
import { pkiIdOf } from './gossip-messages';

/** Most identities remembered per MSP manager: far above a channel's peers, it bounds what announcing fresh certificates can hold. */
const MAX_VETTED = 10_000;

/**
 * The PKI-IDs of announced identities that a channel's MSPs found well formed (gossip's strict
 * `IsWellFormed`), remembered per MSP manager. A peer announces the same identity on every channel
 * it shares, every membership interval, and the check parses its whole certificate: re-running it
 * for each message was most of an idle peer's CPU with 50 channels. The answer depends only on the
 * bytes and the manager, and a config update brings a new manager, so an entry is never stale.
 * Failures are not remembered: they throw again. Fabric's gossip checks an identity once, when its
 * identity mapper first stores it (`gossip/identity/identity.go` `Put`), not per message.
 */
export class VettedIdentities {
  private readonly byManager = new WeakMap<MspManager, Map<string, Uint8Array>>();

  /** The identity's PKI-ID, once `msps` finds it well formed; throws what `pkiIdOf` or `isWellFormed` throws. */
  pkiIdOf(msps: MspManager, identity: Uint8Array): Uint8Array {
    const key = Buffer.from(identity.buffer, identity.byteOffset, identity.length).toString('latin1');
    let vetted = this.byManager.get(msps);
    const known = vetted?.get(key);
    if (known !== undefined) return known;
    const pkiId = pkiIdOf(identity);
    msps.isWellFormed(identity);
    if (vetted === undefined) this.byManager.set(msps, (vetted = new Map()));
    if (vetted.size >= MAX_VETTED) vetted.clear();
    vetted.set(key, pkiId);
    return pkiId;
  }
}
