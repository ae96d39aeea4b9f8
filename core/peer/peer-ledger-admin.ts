import { LedgerError, WeftError } from '../errors';
import { KvLedger } from '../ledger/kv-ledger';
import type { LedgerOptions } from '../ledger/ledger-options';
import { LedgerStoreProvider } from '../ledger/ledger-store-provider';
import { assembleContainer } from '../node/container';
import type { SnapshotBootstrap } from '../ledger/snapshot';
import { type ConfigHistoryEntry, readConfigHistoryFiles } from '../ledger/snapshot-config-history';
import { verifySnapshotFiles } from '../ledger/snapshot-metadata';
import { DataDirLock } from '../node/data-dir-lock';
import { ledgerOptionsOf, type PeerConfig } from './peer-config';
import { PeerError } from './peer-error';
import { LifecycleCollectionPolicy } from './privdata/collection-policy';

/** A channel's ledger after {@link PeerLedgerAdmin.rebuild}, `rollback` or `reset`. */
export interface RebuiltChannel {
  readonly channelId: string;
  /** Blocks replayed into the new state and history: the ledger's height. */
  readonly blocks: number;
}

/** What {@link PeerLedgerAdmin.prune} did (`weft peer prune --json`). */
export interface PrunedChannel {
  readonly channel: string;
  /** The snapshot's last block: the ledger holds no block at or below it. */
  readonly prunedThrough: number;
  readonly blocksRemoved: number;
  /** The ledger's files on disk before and after (after the vacuum, when asked). */
  readonly bytesBefore: number;
  readonly bytesAfter: number;
  /** False when the ledger held no block at or below the snapshot's already: nothing was done. */
  readonly changed: boolean;
}

/** A snapshot of a channel's ledger to prune through, read and checked: see {@link PeerLedgerAdmin.prune}. */
export interface PruneSnapshot {
  readonly bootstrap: SnapshotBootstrap;
  readonly configHistory: readonly ConfigHistoryEntry[];
}

/**
 * Reads the snapshot in `snapshotDir` for a prune of `channelId`, every file re-hashed. Throws
 * `PEER_BAD_SNAPSHOT` (a file does not match its hash, the metadata does not read) or
 * `PEER_SNAPSHOT_WRONG_CHANNEL`.
 */
export async function readPruneSnapshot(channelId: string, snapshotDir: string): Promise<PruneSnapshot> {
  let metadata;
  try {
    metadata = await verifySnapshotFiles(snapshotDir);
  } catch (err) {
    if (!(err instanceof WeftError)) throw err;
    throw new PeerError('PEER_BAD_SNAPSHOT', `snapshot ${snapshotDir}: ${err.message}`, { field: 'snapshot', snapshotDir, ...err.details }, { cause: err });
  }
  if (metadata.channelName !== channelId) {
    throw new PeerError('PEER_SNAPSHOT_WRONG_CHANNEL', `snapshot ${snapshotDir} is of channel ${metadata.channelName}, not of channel ${channelId}`, {
      field: 'channel',
      channelId,
      snapshotChannel: metadata.channelName,
    });
  }
  const last = metadata.lastBlockNumber;
  return {
    bootstrap: { lastBlockNumber: last, lastBlockHash: metadata.lastBlockHash, previousBlockHash: metadata.previousBlockHash, snapshotHash: metadata.snapshotHash },
    configHistory: readConfigHistoryFiles(snapshotDir, new Set(metadata.fileHashes.keys()), last),
  };
}

/** Runs a ledger's prune, its `LEDGER_BAD_PRUNE` (a snapshot not of this chain) rethrown as `PEER_BAD_PRUNE` naming the snapshot. */
export function asPeerPruneError<T>(snapshotDir: string, prune: () => T): T {
  const rethrow = (err: unknown): never => {
    if (!(err instanceof LedgerError) || err.code !== 'LEDGER_BAD_PRUNE') throw err;
    throw new PeerError('PEER_BAD_PRUNE', `${err.message} (snapshot ${snapshotDir})`, { ...err.details, snapshotDir }, { cause: err });
  };
  try {
    const result = prune();
    return (result instanceof Promise ? result.catch(rethrow) : result) as T;
  } catch (err) {
    return rethrow(err);
  }
}

/** The channels of {@link PeerLedgerAdmin.channelStatus}, each list sorted. */
export interface ChannelStatus {
  /** Opened by the peer at start. */
  readonly active: string[];
  /** Kept on disk, not opened ({@link PeerLedgerAdmin.pause}). */
  readonly paused: string[];
}

/** The peer's ledger plugin alone (with the MSP and policy plugins it may depend on). */
function ledgerPluginOf(config: PeerConfig): LedgerStoreProvider {
  const { node } = config;
  const { container } = assembleContainer(
    { ...node, plugins: { ledger: node.plugins.ledger, msp: node.plugins.msp, policy: node.plugins.policy } },
    { requiredTokens: { ledger: LedgerStoreProvider } },
  );
  return container.get<LedgerStoreProvider>(LedgerStoreProvider);
}

function statusOf(ledgers: LedgerStoreProvider): ChannelStatus {
  const all = ledgers.list();
  const paused = all.filter((id) => ledgers.paused?.(id) === true);
  return { active: all.filter((id) => !paused.includes(id)), paused };
}

/**
 * Maintenance of a stopped peer's ledgers, as Fabric's `peer node rebuild-dbs`, `rollback`, `reset`,
 * `unjoin`, `pause` and `resume` (the first three refused while a channel was joined from a snapshot): it holds the peer's data-directory lock throughout, so it refuses to run while the
 * peer (or another admin command) has the directory, and the peer cannot start while it runs. Only
 * the ledger plugin is loaded; no chaincode runtime, no network.
 */
export class PeerLedgerAdmin {
  private constructor(
    private readonly ledgers: LedgerStoreProvider,
    private readonly options: LedgerOptions,
    private readonly lock: DataDirLock,
    private readonly localMspId: string,
  ) {}

  /** Locks the peer's data directory for `holder` (e.g. `weft peer rebuild-dbs`) and loads its ledger plugin. */
  static open(config: PeerConfig, holder: string): PeerLedgerAdmin {
    const { node } = config;
    const lock = DataDirLock.acquire(node.dataDir, holder);
    try {
      return new PeerLedgerAdmin(ledgerPluginOf(config), ledgerOptionsOf(node), lock, node.msp.id);
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  /**
   * {@link channelStatus} of a peer that may be running (for `weft network status`): without the
   * lock, as listing channels and reading their pause status open no store.
   */
  static channelStatusOf(config: PeerConfig): ChannelStatus {
    return statusOf(ledgerPluginOf(config));
  }

  /** The channels this peer has a ledger for, paused ones included, sorted. */
  channels(): string[] {
    return this.ledgers.list();
  }

  /** {@link channels}, split into those the peer opens at start and the paused ones. */
  channelStatus(): ChannelStatus {
    return statusOf(this.ledgers);
  }

  /**
   * Pauses `channelId` (Fabric's `peer node pause`): its ledger stays, but the started peer neither
   * opens it nor pulls its blocks, and answers for it as for a channel it never joined. Rebuild,
   * rollback, reset and unjoin still work on it, as on Fabric's INACTIVE ledgers. Throws
   * `PEER_UNKNOWN_CHANNEL`. False when it was paused already: nothing to do, as Fabric logs, so
   * running the same maintenance script twice does not fail.
   */
  pause(channelId: string): boolean {
    return this.changeStatus(channelId, true);
  }

  /**
   * Resumes a paused channel (Fabric's `peer node resume`): the started peer opens it again and pulls
   * the blocks it missed from the ordering service. Throws `PEER_UNKNOWN_CHANNEL`; false when it was
   * not paused.
   */
  resume(channelId: string): boolean {
    return this.changeStatus(channelId, false);
  }

  /**
   * Drops the state and history of `channelIds` (every channel when omitted) and rebuilds them from
   * their blocks, one channel after another. Blocks and the txid index are the source and are not
   * touched. Throws `PeerError` `PEER_UNKNOWN_CHANNEL` for a channel without a ledger, before any
   * channel is changed.
   */
  rebuild(channelIds?: readonly string[], onProgress?: (channelId: string, applied: number, height: number) => void): RebuiltChannel[] {
    const targets = channelIds ?? this.channels();
    for (const id of targets) this.requireChannel(id);
    this.refuseIfBootstrapped('cannot rebuild databases');
    return targets.map((channelId) =>
      this.withLedger(channelId, (ledger) => {
        ledger.rebuild((applied, height) => onProgress?.(channelId, applied, height));
        return { channelId, blocks: ledger.height() };
      }),
    );
  }

  /**
   * Rolls `channelId` back to block `blockNum` (Fabric's `peer node rollback`): later blocks are
   * deleted and state and history are rebuilt from the rest. Once started, the peer pulls the
   * deleted blocks from the ordering service again and validates them afresh. Throws
   * `LEDGER_BAD_ROLLBACK` unless `blockNum` is below the channel's newest block.
   */
  rollback(channelId: string, blockNum: number, onProgress?: (channelId: string, applied: number, height: number) => void): RebuiltChannel {
    this.requireChannel(channelId);
    this.refuseIfBootstrapped('cannot rollback any channel');
    return this.withLedger(channelId, (ledger) => {
      ledger.rollback(blockNum, (applied, height) => onProgress?.(channelId, applied, height));
      return { channelId, blocks: ledger.height() };
    });
  }

  /**
   * Rolls every channel back to its genesis block (Fabric's `peer node reset`); channels that hold
   * only their genesis block are left as they are.
   */
  reset(onProgress?: (channelId: string, applied: number, height: number) => void): RebuiltChannel[] {
    this.refuseIfBootstrapped('cannot reset channels');
    return this.channels().map((channelId) =>
      this.withLedger(channelId, (ledger) => {
        if (ledger.height() > 1) ledger.rollback(0, (applied, height) => onProgress?.(channelId, applied, height));
        return { channelId, blocks: ledger.height() };
      }),
    );
  }

  /**
   * Removes the peer from `channelId`: its ledger (blocks, state, history) is deleted for good.
   * Installed chaincode packages are the peer's, not the channel's, and stay. Joining again starts
   * from the genesis block and pulls every block from the ordering service.
   */
  unjoin(channelId: string): void {
    this.requireChannel(channelId);
    if (this.ledgers.remove === undefined) {
      throw new LedgerError('LEDGER_REMOVE_UNSUPPORTED', `the ledger plugin of this peer cannot delete a channel's ledger (no remove())`, { channelId });
    }
    this.ledgers.remove(channelId);
  }

  /**
   * Deletes the blocks of `channelId` up to the last block of the snapshot in `snapshotDir` (one of
   * this ledger: its block hashes must match), keeping state, private data, history and the txids,
   * so the peer afterwards is one that joined from that snapshot (hyperledger/fabric#2797). A paused
   * channel may be pruned: its ledger is on disk like any other, and pruning changes no status.
   * Throws `PeerError`, before anything is written: `PEER_UNKNOWN_CHANNEL`; `PEER_BAD_SNAPSHOT`
   * (a file does not match its hash, the metadata does not read); `PEER_SNAPSHOT_WRONG_CHANNEL`;
   * `PEER_BAD_PRUNE` naming the field (`lastBlockNumber` at or above the height, `lastBlockHash`
   * not this ledger's block). `changed: false` when already pruned at or above that block.
   */
  async prune(channelId: string, snapshotDir: string, options: { readonly vacuum: boolean; readonly onProgress?: (message: string) => void }): Promise<PrunedChannel> {
    this.requireChannel(channelId);
    const { bootstrap, configHistory } = await readPruneSnapshot(channelId, snapshotDir);
    const last = bootstrap.lastBlockNumber;
    options.onProgress?.(`${channelId}: snapshot ${snapshotDir} at block ${last}: files match`);
    return this.withLedger(channelId, (ledger) => {
      const unchanged = { channel: channelId, prunedThrough: ledger.firstBlockNumber() - 1, blocksRemoved: 0, bytesBefore: 0, bytesAfter: 0, changed: false };
      if (last < ledger.firstBlockNumber()) return unchanged;
      options.onProgress?.(`${channelId}: deleting blocks ${ledger.firstBlockNumber()}..${last}${options.vacuum ? ', then giving the space back (vacuum)' : ''}`);
      const result = asPeerPruneError(snapshotDir, () => ledger.prune(bootstrap, configHistory, { vacuum: options.vacuum }));
      return { channel: channelId, prunedThrough: last, ...result, changed: true };
    });
  }

  private changeStatus(channelId: string, paused: boolean): boolean {
    this.requireChannel(channelId);
    if ((this.ledgers.paused?.(channelId) === true) === paused) return false;
    if (this.ledgers.setPaused === undefined) {
      throw new LedgerError('LEDGER_PAUSE_UNSUPPORTED', `the ledger plugin of this peer cannot pause or resume a channel (no setPaused())`, { channelId });
    }
    this.ledgers.setPaused(channelId, paused);
    return true;
  }

  /** Releases the data-directory lock. Idempotent. */
  close(): void {
    this.lock.release();
  }

  private withLedger<T>(channelId: string, work: (ledger: KvLedger) => T): T {
    const store = this.ledgers.open(channelId);
    // The peer's own collection policy, so a rebuild expires private data and records what is
    // missing exactly as the peer's commits did.
    const ledger = new KvLedger(channelId, store, this.options, undefined, new LifecycleCollectionPolicy(store.state, this.localMspId));
    try {
      return work(ledger);
    } finally {
      ledger.close();
    }
  }

  /**
   * Fabric refuses rebuild-dbs, rollback and reset outright while any channel of the peer was joined
   * from a snapshot (`kvledger/rebuild_dbs.go`, `rollback.go`, `reset.go`): its blocks up to the
   * snapshot are not held, so state cannot be replayed from them. Checked before anything changes.
   */
  private refuseIfBootstrapped(what: string): void {
    const bootstrapped = this.channels().filter((id) => this.withLedger(id, (ledger) => ledger.snapshotBootstrap() !== undefined));
    if (bootstrapped.length === 0) return;
    throw new PeerError(
      'PEER_BOOTSTRAPPED_FROM_SNAPSHOT',
      `${what} because the peer contains channel(s) [${bootstrapped.join(' ')}] that were bootstrapped from snapshot; unjoin them first (and join them again from a snapshot afterwards)`,
      { channelIds: bootstrapped, channelId: bootstrapped[0] },
    );
  }

  private requireChannel(channelId: string): void {
    if (!this.ledgers.exists(channelId)) {
      const joined = this.channels();
      throw new PeerError(
        'PEER_UNKNOWN_CHANNEL',
        `this peer has no ledger for channel ${channelId} (it has: ${joined.length === 0 ? 'none' : joined.join(', ')})`,
        { channelId, joined },
      );
    }
  }
}
