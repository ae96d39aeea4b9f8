import type { BlockPvtData, MissingPvtEntry } from '../../ledger/private-data';
import type { OldPvtDataResult, PvtCollectionName } from '../../ledger/pvt-reconcile';
import type { Logger } from '../../node/logger';
import type { JoinedChannel } from '../channel/channel-manager';
import type { PeerLedger } from '../channel/peer-ledger';
import type { PeerMetrics } from '../peer-metrics';
import { LifecycleCache } from '../lifecycle/lifecycle-cache';
import type { PvtPuller, WantedPvt } from './pvt-puller';

/** One channel as the reconciler sees it. */
export interface ReconcilerChannel {
  readonly id: string;
  readonly ledger: Pick<PeerLedger, 'height' | 'missingPvtData' | 'ineligiblePvtCollections'>;
  /** The orgs whose peers should hold the collection now (its current definition); undefined: this peer's org is not one of them. */
  members(namespace: string, collection: string): readonly string[] | undefined;
  /** Commits late private data on the channel's commit queue (the ledger has one writer). */
  commitOld(data: ReadonlyMap<number, BlockPvtData>): Promise<OldPvtDataResult>;
  /** Moves up to `limit` records of a collection this peer's org has joined to the reconciled ones, on the commit queue; resolves with how many moved. */
  markEligible(collection: PvtCollectionName, limit: number): Promise<number>;
}

export interface PvtReconcilerOptions {
  /** Between rounds (`reconcileSleepInterval`), ms. */
  readonly intervalMs: number;
  /** Missing collections asked for per round (`reconcileBatchSize`). */
  readonly batchSize: number;
  /** How long a collection that no peer gave is left out of rounds (`deprioritizedDataReconcilerInterval`), ms. */
  readonly deprioritizedMs: number;
  /** How long one block's private data is asked for in a round, ms. */
  readonly pullTimeoutMs: number;
  readonly logger: Logger;
  /** Fabric's `gossip_privdata_reconciliation_duration`. */
  readonly metrics?: Pick<PeerMetrics, 'observeReconciliation'>;
  readonly now?: () => number;
}

/** Missing records read per ledger call while a round looks for ones to ask for. */
const PAGE = 256;
/** Records a round looks at before it stops looking: bounds a round over many records that are not this peer's to get. */
const SCAN_LIMIT = 10_000;
/** Records moved per commit-queue turn when this peer's org joins a collection: block commits wait no longer than this takes. */
const ELIGIBILITY_CHUNK = 1_000;

/** A joined channel as the reconciler sees it, for a peer of `localMspId`. */
export function reconcilerChannel(joined: JoinedChannel, localMspId: string): ReconcilerChannel {
  const { channel, committer } = joined;
  const lifecycle = new LifecycleCache();
  return {
    id: channel.id,
    ledger: channel.ledger,
    members: (namespace, collection) => {
      const members = lifecycle.collection(channel.ledger, namespace, collection)?.memberMspIds;
      return members?.includes(localMspId) === true ? members : undefined;
    },
    commitOld: (data) => committer.exclusive(() => channel.ledger.exclusive(() => channel.ledger.commitPvtDataOfOldBlocks(data))),
    markEligible: (collection, limit) => committer.exclusive(() => channel.ledger.exclusive(() => channel.ledger.markPvtEligible(collection, limit))),
  };
}

function entryId(e: MissingPvtEntry): string {
  return `${e.blockNum}/${e.txNum}/${e.namespace}/${e.collection}`;
}

/**
 * Fabric's private data reconciler (gossip/privdata/reconcile.go): every `intervalMs` it reads the
 * channel's missing records (collections committed transactions wrote that this peer's org should
 * hold, but whose values it never got: it was down when they were pushed, and the commit's own pull
 * gave up), most recent blocks first, `batchSize` at a time; asks the member orgs' peers for each
 * batch through the puller (its blocks at once), and commits what hashes right into the old blocks.
 * A collection no peer gave is left out of rounds for `deprioritizedMs`, so a round ends and the
 * next reaches the records behind it; one whose org membership this peer lost stays recorded but is
 * not asked for. Records of collections the org was not a member of when they were written join
 * the rounds once it is.
 */
export class PvtReconciler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly deprioritized = new Map<string, number>();
  private readonly now: () => number;

  constructor(
    private readonly channel: ReconcilerChannel,
    private readonly puller: Pick<PvtPuller, 'pull'>,
    private readonly options: PvtReconcilerOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  start(): void {
    if (this.timer !== undefined || this.stopped) return;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /**
   * One round, as Fabric's reconciliation cycle: batch after batch while peers give data. A batch
   * that gets nothing ends the round (waiting out unreachable peers batch after batch could take
   * hours); being deprioritized, its records leave the next round to start past them. Resolves
   * with the number of collections reconciled.
   */
  async reconcile(): Promise<number> {
    const started = performance.now();
    await this.takeUpJoinedCollections();
    let reconciled = 0;
    let unavailable = 0;
    for (let chosen = this.choose(); chosen.length > 0 && !this.stopped; chosen = this.choose()) {
      const taken = await this.reconcileBatch(chosen);
      reconciled += taken;
      unavailable += chosen.length - taken;
      if (taken === 0) break;
    }
    this.options.metrics?.observeReconciliation(this.channel.id, (performance.now() - started) / 1000);
    const counts = { channel: this.channel.id, reconciled, unavailable };
    if (reconciled > 0) this.options.logger.info(counts, 'reconciled missing private data of committed blocks');
    else if (unavailable > 0) this.options.logger.debug(counts, 'no peer gave the missing private data asked for');
    return reconciled;
  }

  /** Asks for one batch and commits what comes; what did not is deprioritized. Resolves with the number taken. */
  private async reconcileBatch(chosen: readonly MissingPvtEntry[]): Promise<number> {
    const byBlock = new Map<number, MissingPvtEntry[]>();
    for (const e of chosen) byBlock.set(e.blockNum, [...(byBlock.get(e.blockNum) ?? []), e]);
    const got = new Map<number, Map<number, Uint8Array>>();
    await Promise.all(
      [...byBlock].map(async ([blockNum, entries]) => {
        const wanted: WantedPvt[] = entries.map((e) => ({ ...e, memberMspIds: this.channel.members(e.namespace, e.collection) ?? [] }));
        const have = new Map<number, Uint8Array>();
        await this.puller.pull(this.channel.id, blockNum, wanted, have, this.options.pullTimeoutMs);
        if (have.size > 0) got.set(blockNum, have);
      }),
    );
    const result = got.size === 0 ? { reconciled: [], ignored: [] } : await this.channel.commitOld(got);
    const done = new Set(result.reconciled.map(entryId));
    const retryAt = this.now() + this.options.deprioritizedMs;
    for (const e of chosen) {
      if (done.has(entryId(e))) this.deprioritized.delete(entryId(e));
      else this.deprioritized.set(entryId(e), retryAt);
    }
    return result.reconciled.length;
  }

  /**
   * The records of collections this peer's org was not a member of when they were written, for
   * each collection it is a member of now, join those a round asks for: Fabric reconciles what a
   * newly eligible peer missed before.
   */
  private async takeUpJoinedCollections(): Promise<void> {
    for (const collection of this.channel.ledger.ineligiblePvtCollections()) {
      if (this.channel.members(collection.namespace, collection.collection) === undefined) continue;
      let moved = 0;
      for (let n = ELIGIBILITY_CHUNK; n === ELIGIBILITY_CHUNK; moved += n) n = await this.channel.markEligible(collection, ELIGIBILITY_CHUNK);
      this.options.logger.info({ channel: this.channel.id, ...collection, records: moved }, 'this peer’s org is a member of the collection now: its earlier private data will be reconciled');
    }
  }

  /** Up to `batchSize` records to ask for: this peer's org is a member, not expired, not deprioritized. */
  private choose(): MissingPvtEntry[] {
    const height = this.channel.ledger.height();
    const now = this.now();
    for (const [id, retryAt] of this.deprioritized) if (retryAt <= now) this.deprioritized.delete(id);
    const chosen: MissingPvtEntry[] = [];
    let after: MissingPvtEntry | undefined;
    for (let seen = 0; chosen.length < this.options.batchSize && seen < SCAN_LIMIT; ) {
      const page = this.channel.ledger.missingPvtData(PAGE, after);
      for (const e of page) {
        if (chosen.length === this.options.batchSize) break;
        const retryAt = this.deprioritized.get(entryId(e));
        if (retryAt !== undefined && retryAt > now) continue;
        if (e.expiringBlock > 0 && e.expiringBlock < height) continue;
        if (this.channel.members(e.namespace, e.collection) === undefined) continue;
        chosen.push(e);
      }
      seen += page.length;
      if (page.length < PAGE) break;
      after = page[page.length - 1];
    }
    return chosen;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.reconcile()
        .then(
          () => undefined,
          (err: unknown) => this.options.logger.warn({ err, channel: this.channel.id }, 'private data reconciliation failed'),
        )
        .finally(() => {
          this.running = undefined;
          if (!this.stopped) this.schedule();
        });
    }, this.options.intervalMs);
    this.timer.unref();
  }
}
