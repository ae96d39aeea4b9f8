import * as path from 'node:path';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { Config, ConfigEnvelope } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { LedgerManagerImpl } from '../../ledger/ledger-manager-impl';
import type { LedgerOptions } from '../../ledger/ledger-options';
import type { LedgerStoreProvider } from '../../ledger/ledger-store-provider';
import type { MspProvider } from '../../msp/msp';
import type { Logger } from '../../node/logger';
import type { PolicyProvider } from '../../policy/policy';
import { getLastConfigIndex, getTransactionsFilter, parseBlock } from '../../protocol/block';
import { requiredCapabilities, unsupportedCapability } from '../../protocol/capabilities';
import { isConfigBlock } from '../../protocol/config-parse';
import { PAUSED_LEDGER, PeerError } from '../peer-error';
import type { PeerMetrics } from '../peer-metrics';
import type { BlockValidator } from '../validation/block-validator';
import { BlockCommitter } from './block-committer';
import { Channel } from './channel';
import { type ChannelConfigView, parseConfigBlock, viewOfConfig } from './channel-config';
import { type ChannelResources, buildChannelResources } from './channel-resources';
import { KvPeerLedger } from './kv-peer-ledger';
import { SharedMsps } from '../../msp/shared-msps';
import { TransientStore } from '../privdata/transient-store';
import type { PvtPuller } from '../privdata/pvt-puller';

/** The LAST_CONFIG index a block's orderer metadata names (0 when it names none). */
function lastConfigOf(ledger: KvPeerLedger, blockNum: number): number {
  try {
    return getLastConfigIndex(parseBlock(ledger.getBlockBytes(blockNum) as Uint8Array, { verifyDataHash: false }).block);
  } catch {
    return 0;
  }
}

/**
 * The newest config block whose config transaction this peer committed VALID. The orderer's
 * LAST_CONFIG names the newest config it ordered; one the peer refused (its config could not be
 * applied here), or an index that is not a config block at all (a faulty orderer's metadata), is
 * skipped back to the config before it, the one the peer ran with. Each step goes strictly down.
 */
function lastValidConfig(ledger: KvPeerLedger, height: number): number {
  let candidate = Math.min(lastConfigOf(ledger, height - 1), height - 1);
  while (candidate > 0) {
    const bytes = ledger.getBlockBytes(candidate) as Uint8Array;
    const block = parseBlock(bytes, { verifyDataHash: false }).block;
    if (isConfigBlock(block) && getTransactionsFilter(block)[0] === TxValidationCode.VALID) return candidate;
    candidate = Math.min(lastConfigOf(ledger, candidate - 1), candidate - 1);
  }
  return 0;
}

/**
 * The config a reopened channel runs: its newest valid config block's, or for a channel joined from
 * (or pruned to) a snapshot, whose config blocks up to the snapshot are not held, the `ConfigEnvelope` the ledger
 * keeps in state for every valid config transaction (Fabric's `RetrievePersistedChannelConfig`).
 */
function configViewOf(ledger: KvPeerLedger, channelId: string, height: number): ChannelConfigView {
  if (ledger.snapshotBootstrap() === undefined) return parseConfigBlock(ledger.getBlockBytes(lastValidConfig(ledger, height)) as Uint8Array);
  const envelope = ledger.channelConfigEnvelope();
  if (envelope === undefined) {
    throw new PeerError('PEER_LEDGER_CORRUPT', `channel ${channelId} starts at a snapshot (joined from one, or pruned to one) but its ledger holds no channel config (state key CHANNEL_CONFIG_ENV_BYTES)`, { channelId });
  }
  const config = ConfigEnvelope.deserializeBinary(envelope).getConfig();
  if (config === undefined) throw new PeerError('PEER_LEDGER_CORRUPT', `channel ${channelId}: the ConfigEnvelope kept in state has no config`, { channelId });
  return viewOfConfig(channelId, config);
}

/** What Fabric's cscc refuses before it creates a channel: no Application group (an orderer system channel), a capability this peer lacks. */
function checkJoinable(channelId: string, config: Config, fn: string): void {
  // cscc's validateConfigBlock: a config without an Application group (an orderer system channel's) is no peer channel.
  if (config.getChannelGroup()?.getGroupsMap().has('Application') !== true) {
    throw new PeerError('PEER_BAD_GENESIS', `${fn} for channel ${channelId}: invalid configuration block, missing Application configuration group`, {
      channelId,
      path: 'config.channel_group.groups.Application',
    });
  }
  // Fabric's JoinChain refuses a channel whose config this peer could not run (capabilitiesSupportedOrPanic).
  const unsupported = unsupportedCapability(requiredCapabilities(config), ['channel', 'application']);
  if (unsupported !== undefined) throw new PeerError('PEER_UNSUPPORTED_CAPABILITY', unsupported.message, { channelId, path: unsupported.path, capability: unsupported.name });
}

/** A joined channel with its committer. */
export interface JoinedChannel {
  readonly channel: Channel;
  readonly committer: BlockCommitter;
}

/** What the channel manager builds channels from. */
export interface ChannelManagerDeps {
  readonly ledgers: LedgerStoreProvider;
  readonly ledgerOptions: LedgerOptions;
  readonly msp: MspProvider;
  readonly policy: PolicyProvider;
  readonly validator: BlockValidator;
  readonly logger: Logger;
  /** This peer's org: it stores the private data of the collections the org is a member of. */
  readonly localMspId: string;
  readonly metrics?: PeerMetrics;
  /**
   * Where each channel's transient store lives (`<dir>/<channelId>.sqlite`), so private data this
   * peer endorsed survives a restart before its block commits; in memory when absent.
   */
  readonly transientDir?: string;
  /** Blocks an uncommitted transaction's private data is kept (Fabric's `transientstoreMaxBlockRetention`, 20000). */
  readonly transientRetention?: number;
  /** Asks other peers for missing private data before each commit; none: commit without it. */
  readonly pvtPuller?: Pick<PvtPuller, 'pull'>;
  /** Called once per channel opened or joined (the peer starts its block puller there). */
  readonly onChannel?: (joined: JoinedChannel) => void;
}

/**
 * The channels this peer has joined (Fabric's peer channel registry): joins from a genesis config
 * block (cscc `JoinChain`), reopens every ledger at start with the resources of its last config
 * block, and hands out channels to the endorser, Deliver and Gateway.
 */
export class ChannelManager {
  private readonly channels = new Map<string, JoinedChannel>();
  private readonly msps: SharedMsps;

  constructor(private readonly deps: ChannelManagerDeps) {
    this.msps = new SharedMsps(deps.msp);
  }

  /**
   * Opens every channel that has a ledger on disk, except paused ones (Fabric opens only ACTIVE
   * ledgers): those stay unknown to the endorser, Deliver, Gateway and cscc until resumed.
   */
  openAll(): void {
    const all = this.deps.ledgers.list();
    const paused = all.filter((id) => this.deps.ledgers.paused?.(id) === true);
    if (paused.length > 0) {
      this.deps.logger.info({ paused }, `paused channels not opened: ${paused.join(', ')} (weft peer resume --channel <id>, with the peer stopped, resumes one)`);
    }
    for (const channelId of all) {
      if (paused.includes(channelId)) continue;
      const ledger = KvPeerLedger.open(this.deps.ledgers, channelId, this.deps.ledgerOptions, this.deps.localMspId);
      const height = ledger.height();
      if (height === 0) {
        // A join that crashed before the genesis block committed: nothing to resume.
        ledger.close();
        continue;
      }
      let view: ChannelConfigView;
      try {
        view = configViewOf(ledger, channelId, height);
      } catch (err) {
        ledger.close();
        throw err;
      }
      this.register(channelId, ledger, view);
    }
  }

  /**
   * Creates the channel's ledger from a snapshot directory (Fabric's `CreateChannelFromSnapshot`) and
   * starts following the channel from the block after the snapshot's. The channel's resources come
   * from the config the snapshot carries in state, as no config block is held. Throws the ledger's
   * `LEDGER_BAD_SNAPSHOT` / `LEDGER_CHANNEL_EXISTS`, or `PeerError` when the config cannot be run here
   * (then the new ledger is removed again).
   */
  async joinBySnapshot(snapshotDir: string, onProgress?: (loaded: number) => void): Promise<Channel> {
    const created = await new LedgerManagerImpl(this.deps.ledgers, this.deps.ledgerOptions).createFromSnapshot(snapshotDir, onProgress);
    const channelId = created.channelId;
    created.close();
    const ledger = KvPeerLedger.open(this.deps.ledgers, channelId, this.deps.ledgerOptions, this.deps.localMspId);
    let resources: ChannelResources;
    let view: ChannelConfigView;
    try {
      view = configViewOf(ledger, channelId, ledger.height());
      checkJoinable(channelId, Config.deserializeBinary(view.configBytes), 'JoinChainBySnapshot');
      resources = this.buildResources(view);
    } catch (err) {
      ledger.close();
      this.deps.ledgers.remove?.(channelId);
      throw err;
    }
    return this.register(channelId, ledger, view, resources).channel;
  }

  /**
   * Joins a channel from its genesis (config) block: creates the ledger, commits the block and
   * starts following the channel. Throws `PeerError` when the block is not a genesis config block or
   * the channel is already joined.
   */
  join(genesisBlock: Uint8Array): Channel {
    const parsed = parseBlock(genesisBlock);
    if (parsed.number !== 0) {
      throw new PeerError('PEER_BAD_GENESIS', `JoinChain needs the channel's genesis block (number 0), got block ${parsed.number}`, { got: parsed.number });
    }
    const view = parseConfigBlock(genesisBlock);
    const channelId = view.channelId;
    if (this.channels.has(channelId)) {
      throw new PeerError('PEER_CHANNEL_EXISTS', `cannot create ledger from genesis block: ledger [${channelId}] already exists with state [ACTIVE]`, { channelId });
    }
    // Not opened at start, yet on disk: joining must not quietly resume it.
    if (this.deps.ledgers.paused?.(channelId) === true) {
      throw new PeerError(
        'PEER_CHANNEL_PAUSED',
        `cannot create ledger from genesis block: ledger [${channelId}] ${PAUSED_LEDGER} (paused: run weft peer resume --channel ${channelId} with the peer stopped, then start it)`,
        { channelId },
      );
    }
    checkJoinable(channelId, Config.deserializeBinary(view.configBytes), 'JoinChain');
    const resources = this.buildResources(view);
    const ledger = KvPeerLedger.open(this.deps.ledgers, channelId, this.deps.ledgerOptions, this.deps.localMspId);
    if (ledger.height() === 0) ledger.commit(parsed.block, Uint8Array.of(TxValidationCode.VALID));
    return this.register(channelId, ledger, view, resources).channel;
  }

  get(channelId: string): JoinedChannel | undefined {
    return this.channels.get(channelId);
  }

  channel(channelId: string): Channel | undefined {
    return this.channels.get(channelId)?.channel;
  }

  list(): string[] {
    return [...this.channels.keys()].sort();
  }

  close(): void {
    for (const { channel } of this.channels.values()) {
      channel.ledger.close();
      channel.transient.close();
    }
    this.channels.clear();
  }

  buildResources(view: ChannelConfigView): ChannelResources {
    return buildChannelResources(view, this.msps, this.deps.policy);
  }

  private register(channelId: string, ledger: KvPeerLedger, view: ChannelConfigView, resources?: ChannelResources): JoinedChannel {
    let transient: TransientStore;
    try {
      const retention = this.deps.transientRetention;
      transient =
        this.deps.transientDir === undefined ? TransientStore.inMemory(retention) : TransientStore.open(path.join(this.deps.transientDir, `${channelId}.sqlite`), retention);
    } catch (err) {
      ledger.close();
      throw err;
    }
    const channel = new Channel(channelId, ledger, resources ?? this.buildResources(view), transient);
    const committer = new BlockCommitter(
      channel,
      this.deps.validator,
      (v) => this.buildResources(v),
      this.deps.logger,
      this.deps.localMspId,
      this.deps.metrics,
      this.deps.pvtPuller,
    );
    const joined = { channel, committer };
    this.channels.set(channelId, joined);
    this.deps.onChannel?.(joined);
    return joined;
  }
}
