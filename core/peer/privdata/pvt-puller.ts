import { type CollectionPvtRwSet, decodeTxPvtRwSet, encodeTxPvtRwSet, sha256 } from '../../ledger/private-data';
import { ProtocolError } from '../../errors';
import { bootHashedWrites } from '../../ledger/pvt-boot-hashes';
import { bytesEqual } from '../../protocol/bytes';
import type { Logger } from '../../node/logger';
import { buildSeekEnvelope } from '../../protocol/deliver-request';
import type { Signer } from '../../protocol/signer';
import { PeerError } from '../peer-error';
import type { PeerMetrics } from '../peer-metrics';

/** A peer whose `DeliverWithPrivateData` can give a committed block's private data. */
export interface PvtSource {
  readonly address: string;
  readonly mspId: string;
  privateDataOfBlock(seekEnvelope: Uint8Array, deadline: number): Promise<Map<number, Uint8Array>>;
}

export interface PvtPullerSupport {
  /** The other peers of the channel this peer can reach. */
  peers(channelId: string): readonly PvtSource[];
  /** Signs the Deliver requests: the sources send only what this peer's identity may see. */
  readonly signer: Signer;
  /** This peer's TLS certificate hash, which Deliver requests carry under mutual TLS. */
  readonly tlsCertHash: Uint8Array | undefined;
  /** Fabric's `peer.gossip.pvtData.pullRetryThreshold`: how long a commit waits for missing private data. */
  readonly pullTimeoutMs: number;
  readonly logger: Logger;
  /** Fabric's `gossip_privdata_pull_duration`. */
  readonly metrics?: Pick<PeerMetrics, 'observePvtPull'>;
}

/** A collection a transaction of the block wrote, which this peer's org should store but does not hold. */
export interface WantedPvt {
  readonly txNum: number;
  readonly namespace: string;
  readonly collection: string;
  /** SHA-256 the values must have (the block's `pvt_rwset_hash`). */
  readonly pvtRwsetHash: Uint8Array;
  /**
   * For data of a block this peer has not got (it joined from a snapshot after it): the value hash
   * of each key still current by hex key hash, checked instead of `pvtRwsetHash` (see `MissingPvtEntry`).
   */
  readonly bootKvHashes?: ReadonlyMap<string, Uint8Array>;
  /** Orgs whose peers may hold it. */
  readonly memberMspIds: readonly string[];
}

/** Between asking a source again that had not committed the block yet, or could not be reached. */
const RETRY_MS = 200;
/** Deliver statuses that may change: 404 (the block is not there yet), 503 (the peer is not ready). */
const RETRIED_STATUSES = new Set([404, 503]);

/**
 * Fabric's coordinator fetch before a commit (gossip/privdata/coordinator.go), over Fabric's own
 * `DeliverWithPrivateData`: the private data this peer should store but neither endorsed nor was
 * pushed is asked of the member orgs' peers it knows, all at once, for the block being committed.
 * A peer that has not committed the block yet, or cannot be reached, is asked again until
 * `pullTimeoutMs`; one that answers with the block, or refuses, is not asked again. Values are
 * taken only when they hash to the block's hash, as Fabric's fetcher checks them. A peer restarted
 * after missing pushes recovers the private data of the blocks it catches up on this way.
 */
export class PvtPuller {
  constructor(private readonly support: PvtPullerSupport) {}

  /** `timeoutMs`: how long to keep asking (the commit's `pullTimeoutMs` unless given). */
  async pull(channelId: string, blockNum: number, wanted: readonly WantedPvt[], have: Map<number, Uint8Array>, timeoutMs = this.support.pullTimeoutMs): Promise<void> {
    let missing = [...wanted];
    const sources = this.support.peers(channelId).filter((p) => missing.some((m) => m.memberMspIds.includes(p.mspId)));
    if (sources.length === 0) return;
    const started = performance.now();
    const deadline = Date.now() + timeoutMs;
    const seek = buildSeekEnvelope({ channelId, start: blockNum, stop: blockNum, failIfNotReady: true, signer: this.support.signer, tlsCertHash: this.support.tlsCertHash });
    const ask = async (source: PvtSource): Promise<void> => {
      while (missing.some((m) => m.memberMspIds.includes(source.mspId)) && Date.now() < deadline) {
        let got: Map<number, Uint8Array>;
        try {
          got = await source.privateDataOfBlock(seek, deadline);
        } catch (err) {
          const status = err instanceof PeerError ? (err.details as { status?: number }).status : undefined;
          if (status !== undefined && !RETRIED_STATUSES.has(status)) {
            // Refused (403 FORBIDDEN, 400 BAD_REQUEST): asking again would not change the answer.
            this.support.logger.warn({ channel: channelId, block: blockNum, peer: source.address, status }, 'a peer refused to send private data');
            return;
          }
          if (err instanceof ProtocolError) {
            // An answer that does not decode came from a peer that is broken or lying: asking again
            // until the deadline would take up to the message size from it every round.
            this.support.logger.warn({ channel: channelId, block: blockNum, peer: source.address, err: err.message }, 'a peer answered with private data that does not decode');
            return;
          }
          this.support.logger.debug({ channel: channelId, block: blockNum, peer: source.address, err: (err as Error).message }, 'private data not available from peer yet');
          await new Promise((r) => setTimeout(r, Math.min(RETRY_MS, Math.max(0, deadline - Date.now()))));
          continue;
        }
        missing = missing.filter((m) => !(m.memberMspIds.includes(source.mspId) && take(got, m, have)));
        return;
      }
    };
    await Promise.all(sources.map(ask));
    this.support.metrics?.observePvtPull(channelId, (performance.now() - started) / 1000);
    if (missing.length < wanted.length) {
      this.support.logger.info({ channel: channelId, block: blockNum, pulled: wanted.length - missing.length, missing: missing.length }, 'pulled missing private data from other peers');
    }
  }
}

/** Whether a collection's rwset is the one wanted: it hashes to the block's hash or, for a block this peer has not got, it holds each expected key at its hash. */
function fits(rwset: Uint8Array, m: WantedPvt): boolean {
  if (m.bootKvHashes === undefined) return bytesEqual(sha256(rwset), m.pvtRwsetHash);
  return typeof bootHashedWrites(rwset, m.bootKvHashes) !== 'string';
}

/**
 * Moves `m`'s collection from a source's answer into `have`; false when the answer lacks it or its
 * values do not hash to the block's hash (then other peers are still asked).
 */
function take(got: ReadonlyMap<number, Uint8Array>, m: WantedPvt, have: Map<number, Uint8Array>): boolean {
  const bytes = got.get(m.txNum);
  if (bytes === undefined) return false;
  let found: CollectionPvtRwSet | undefined;
  let held: CollectionPvtRwSet[];
  try {
    found = decodeTxPvtRwSet(bytes).find((c) => c.namespace === m.namespace && c.collection === m.collection && fits(c.rwset, m));
    const mine = have.get(m.txNum);
    held = mine === undefined ? [] : decodeTxPvtRwSet(mine);
  } catch {
    return false;
  }
  if (found === undefined) return false;
  // A version held of the collection does not hash to the block's (or it would not be wanted): the pulled one replaces it.
  have.set(m.txNum, encodeTxPvtRwSet([...held.filter((c) => c.namespace !== found.namespace || c.collection !== found.collection), found]));
  return true;
}
