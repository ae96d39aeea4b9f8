/**
 * How the block puller dials orderers and waits between attempts: Fabric's
 * `peer.deliveryclient.connTimeout` and `reConnectBackoffThreshold` (core/deliverservice/config.go).
 */
export interface DeliveryTimings {
  /** How long a connection to an orderer may take before the puller gives up on it and tries the next endpoint. */
  readonly connTimeoutMs: number;
  /** The longest wait between two attempts: waits grow from 100 ms by ×1.2 per failed attempt up to it. */
  readonly reConnectBackoffThresholdMs: number;
  /**
   * On a BFT channel, how long other orderers may show a newer block header than the block source
   * delivered before the puller leaves that source as censoring (`blockCensorshipTimeoutKey`);
   * {@link DEFAULT_BLOCK_CENSORSHIP_TIMEOUT_MS} when absent.
   */
  readonly blockCensorshipTimeoutMs?: number;
}

/** Fabric's `DefaultBlockCensorshipTimeout` (`core/deliverservice/config.go`). */
export const DEFAULT_BLOCK_CENSORSHIP_TIMEOUT_MS = 30_000;

/** Fabric's defaults: `DefaultConnectionTimeout` 3 s, `DefaultReConnectBackoffThreshold` 1 h, censorship timeout 30 s. */
export const DEFAULT_DELIVERY_TIMINGS: DeliveryTimings = {
  connTimeoutMs: 3_000,
  reConnectBackoffThresholdMs: 3_600_000,
  blockCensorshipTimeoutMs: DEFAULT_BLOCK_CENSORSHIP_TIMEOUT_MS,
};

/** Fabric's deliverer: the first retry waits `InitialRetryInterval` (100 ms), each later one ×`backoffExponentBase` (1.2). */
const INITIAL_RETRY_MS = 100;
const BACKOFF_BASE = 1.2;

/**
 * How long to wait before the next attempt after `failures` (≥ 1) failed ones in a row, as Fabric's
 * `Deliverer.DeliverBlocks` computes it: 100 ms × 1.2^(failures−1) until that would pass the
 * threshold, then the threshold. With the 1 h default a dead ordering service is retried after
 * about 3 s by the 20th attempt, 2 min by the 40th, and hourly from the 59th on.
 */
export function reconnectDelayMs(failures: number, thresholdMs: number): number {
  // Go's int() of the float truncates toward zero.
  const maxFailures = Math.trunc(Math.log(thresholdMs / INITIAL_RETRY_MS) / Math.log(BACKOFF_BASE));
  if (failures - 1 > maxFailures) return thresholdMs;
  return Math.floor(BACKOFF_BASE ** (failures - 1) * INITIAL_RETRY_MS);
}
