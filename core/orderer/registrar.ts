import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Block } from '@hyperledger/fabric-protos/lib/common/common_pb';
import type { Config } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import type { Logger } from 'pino';
import { OrdererError } from '../errors';
import type { ChannelBlockStore, LedgerStoreProvider } from '../ledger/ledger-store-provider';
import { blockHeaderHash, getLastConfigIndex, parseBlock } from '../protocol/block';
import type { Signer } from '../protocol/signer';
import { consenterMetadataOf } from './block-writer';
import { configOfBlock, type ChannelConfig } from './channel-config';
import { timed, type ChannelMetrics } from './channel-metrics';
import { SharedMsps } from '../msp/shared-msps';
import { buildChannelResources, type ResourceProviders } from './channel-resources';
import { ChannelSupport } from './channel-support';
import type { Chain, Consenter } from './consenter';
import { IngressErrorCode } from './broadcast-status';

/** Fabric's channel participation `ChannelInfo` (`orderer/common/types/channelinfo.go`). */
export interface ChannelInfo {
  readonly name: string;
  readonly url: string;
  readonly consensusRelation: 'consenter' | 'follower' | 'config-tracker';
  readonly status: 'onboarding' | 'active' | 'inactive' | 'failed';
  readonly height: number;
}

/** A served channel: its support (ledger, config, cutter, writer) and its chain. */
export interface ChannelEntry {
  readonly support: ChannelSupport;
  readonly chain: Chain;
  readonly store: ChannelBlockStore;
  /**
   * Aborted when the channel is removed or the orderer stops. Unlike `chain.errored()`, which also
   * aborts when the chain fails, the stored blocks stay readable until this: Deliver's BEST_EFFORT
   * streams keep serving them through a chain failure and end only here.
   */
  readonly closed: AbortSignal;
}

export interface RegistrarDeps {
  readonly ledgers: LedgerStoreProvider;
  readonly consenter: Consenter;
  readonly providers: ResourceProviders;
  readonly signer: Signer;
  /** The orderer's own state folder: consenter dirs and the removed-channel list live here. */
  readonly dataDir: string;
  readonly logger: Logger;
  /** Block cutter and block store metrics of every channel; none when the orderer has no operations endpoint. */
  readonly metrics?: ChannelMetrics;
  /** False when the orderer is configured with `noExpirationChecks`: broadcast then ignores creators' expiry. Default true. */
  readonly expirationChecks?: boolean;
  /** The PEM TLS certificate the orderer serves with now: how a consenter finds itself among a channel's consenters. */
  readonly serverTlsCert?: () => Uint8Array;
  /** Told of every channel this orderer starts serving (at start or joined) and stops serving (removed). */
  readonly channelListener?: ChannelListener;
}

/** What follows the registrar's set of channels (the orderer's trusted client TLS roots). */
export interface ChannelListener {
  /** A channel was opened and serves from now on; called once per open, before any block of it is ordered here. Must not throw. */
  opened(support: ChannelSupport): void;
  /** A channel was removed from this orderer. Must not throw. */
  removed(channelId: string): void;
}

const CHANNEL_ID = /^[a-z][a-z0-9.-]{0,248}$/;
const URL_PREFIX = '/participation/v1/channels/';

/**
 * The channels this orderer serves (Fabric's `multichannel.Registrar`): opens them at start, joins
 * new ones from a genesis config block, removes them. Broadcast and Deliver look channels up here.
 */
export class Registrar {
  private readonly channels = new Map<string, ChannelEntry & { readonly closing: AbortController }>();
  private readonly failed = new Map<string, string>();
  /** Channels whose `remove` is under way: joining one now would race its deletion (Fabric `pendingRemoval`). */
  private readonly removing = new Set<string>();
  private readonly removedFile: string;
  private removed: Set<string>;
  /** The deps' providers, with each distinct MSP config built once for all channels. */
  private readonly providers: ResourceProviders;

  constructor(private readonly deps: RegistrarDeps) {
    this.providers = { ...deps.providers, mspProvider: new SharedMsps(deps.providers.mspProvider) };
    fs.mkdirSync(deps.dataDir, { recursive: true });
    this.removedFile = path.join(deps.dataDir, 'removed-channels.json');
    this.removed = new Set(fs.existsSync(this.removedFile) ? (JSON.parse(fs.readFileSync(this.removedFile, 'utf8')) as string[]) : []);
  }

  /** Opens and starts every channel with a ledger. A channel that fails to open is listed as failed; the others run. */
  start(): void {
    for (const channelId of this.deps.ledgers.list()) {
      if (this.removed.has(channelId) || this.channels.has(channelId)) continue;
      try {
        this.open(channelId);
      } catch (err) {
        this.failed.set(channelId, (err as Error).message);
        this.deps.logger.error({ channel: channelId, err: (err as Error).message }, 'cannot start channel');
      }
    }
  }

  get(channelId: string): ChannelEntry | undefined {
    return this.channels.get(channelId);
  }

  /**
   * The entry for a message's channel, or `OrdererError` ORDERER_NOT_FOUND (Broadcast/Deliver
   * answer NOT_FOUND).
   */
  require(channelId: string): ChannelEntry {
    const entry = this.channels.get(channelId);
    if (entry === undefined) {
      throw new OrdererError(IngressErrorCode.NotFound, `channel ${JSON.stringify(channelId)} does not exist on this orderer`, { channel: channelId });
    }
    return entry;
  }

  list(): { name: string; url: string }[] {
    return [...this.channels.keys(), ...this.failed.keys()].sort().map((name) => ({ name, url: URL_PREFIX + name }));
  }

  info(channelId: string): ChannelInfo | undefined {
    const entry = this.channels.get(channelId);
    if (entry !== undefined) {
      const status = entry.chain.errored().aborted ? 'failed' : 'active';
      return { name: channelId, url: URL_PREFIX + channelId, consensusRelation: 'consenter', status, height: entry.support.height() };
    }
    if (this.failed.has(channelId)) return { name: channelId, url: URL_PREFIX + channelId, consensusRelation: 'consenter', status: 'failed', height: 0 };
    return undefined;
  }

  /**
   * Why a channel is not serving, for `/healthz`: the reason its chain stopped, why it could not
   * be opened at start, or (a chain that has `pausedBy`, such as solo's) why it takes no messages
   * for now, as a full disk. Undefined for a serving channel and for one this orderer lacks.
   */
  failure(channelId: string): string | undefined {
    const entry = this.channels.get(channelId);
    if (entry === undefined) return this.failed.get(channelId);
    const signal = entry.chain.errored();
    if (signal.aborted) return (signal.reason as Error | undefined)?.message ?? 'chain stopped';
    const paused = entry.chain.pausedBy?.();
    return paused === undefined ? undefined : `paused, resumes by itself: ${paused.message}`;
  }

  /**
   * Joins a channel from its genesis config block (Fabric's osnadmin join). Throws `OrdererError`
   * ORDERER_JOIN_CONFLICT when the channel exists, ORDERER_PENDING_REMOVAL while it is being
   * removed, ORDERER_BAD_JOIN_BLOCK (or ORDERER_BAD_CONFIG, from the config itself) when the block
   * is not a usable genesis config block for this orderer.
   */
  join(blockBytes: Uint8Array): ChannelInfo {
    const parsed = parseBlock(blockBytes);
    const { channelId, config } = configOfBlock(parsed.block);
    if (!CHANNEL_ID.test(channelId)) {
      throw new OrdererError('ORDERER_BAD_JOIN_BLOCK', `channel id ${JSON.stringify(channelId)} is not valid: expected [a-z][a-z0-9.-]{0,248}`);
    }
    if (this.removing.has(channelId)) {
      throw new OrdererError('ORDERER_PENDING_REMOVAL', `cannot join ${channelId}: the channel is being removed; retry once its removal completes`, {
        channel: channelId,
      });
    }
    if (this.channels.has(channelId) || this.failed.has(channelId)) {
      throw new OrdererError('ORDERER_JOIN_CONFLICT', `cannot join: channel ${channelId} already exists`, { channel: channelId });
    }
    if (parsed.number !== 0) {
      throw new OrdererError(
        'ORDERER_BAD_JOIN_BLOCK',
        `cannot join ${channelId} with config block ${parsed.number}: this orderer joins with the genesis block (number 0); onboarding from a later block needs replication from another orderer`,
        { channel: channelId, number: parsed.number },
      );
    }
    // Validates MSPs, policies, orderer values and capabilities before anything is written.
    const resources = buildChannelResources(channelId, config, this.providers);
    const problem = joinConfigProblem(config) ?? this.unservedChannel(resources.config);
    if (problem !== undefined) throw new OrdererError('ORDERER_BAD_JOIN_BLOCK', `channel ${channelId}: ${problem}`, { channel: channelId });

    const store = this.deps.ledgers.openBlocks(channelId);
    try {
      if (store.blocks.height() === 0) {
        // A fresh chain: consenter state under this name is an earlier channel's, left by a removal
        // a crash cut short. Cleared before the genesis block lands, so no restart can open the new
        // ledger with it.
        fs.rmSync(this.consenterDir(channelId), { recursive: true, force: true });
        // Fabric's block store times the genesis block's commit like any other.
        timed(this.deps.metrics?.blockStorageCommit(channelId), () =>
          store.append({ blockNum: 0, blockHash: blockHeaderHash(parsed.block.getHeader()!), blockBytes, txs: [] }),
        );
      } else {
        // A channel removed earlier whose ledger the store plugin kept: resume it if it is the same chain.
        const existing = store.blocks.getBlockBytes(0)!;
        if (!Buffer.from(existing).equals(Buffer.from(blockBytes))) {
          throw new OrdererError('ORDERER_JOIN_CONFLICT', `cannot join ${channelId}: a different ledger for this channel is already on disk`, {
            channel: channelId,
          });
        }
      }
    } catch (err) {
      store.close();
      throw err;
    }
    store.close();
    this.setRemoved(channelId, false);
    this.open(channelId);
    this.deps.logger.info({ channel: channelId }, 'joined channel');
    return this.info(channelId)!;
  }

  /**
   * Halts and removes a channel; its ledger is deleted when the store plugin supports it. Throws
   * `OrdererError` ORDERER_NOT_FOUND for an unknown channel, ORDERER_PENDING_REMOVAL when a removal
   * of it is already under way.
   */
  async remove(channelId: string): Promise<void> {
    if (this.removing.has(channelId)) {
      throw new OrdererError('ORDERER_PENDING_REMOVAL', `cannot remove ${channelId}: its removal is already under way`, { channel: channelId });
    }
    const entry = this.channels.get(channelId);
    if (entry === undefined && !this.failed.has(channelId)) {
      throw new OrdererError(IngressErrorCode.NotFound, `channel ${channelId} does not exist on this orderer`, { channel: channelId });
    }
    this.removing.add(channelId);
    try {
      this.channels.delete(channelId);
      this.failed.delete(channelId);
      if (entry !== undefined) {
        entry.closing.abort();
        await entry.chain.halt();
        entry.store.close();
      }
      // Consenter state first: a crash between the two steps then leaves a ledger without consenter
      // state, which reopens as the same channel (minus messages not yet in a block, which the
      // removal was dropping anyway), never consenter state without its ledger, which a later
      // channel of this name could take for its own.
      fs.rmSync(this.consenterDir(channelId), { recursive: true, force: true });
      if (this.deps.ledgers.remove !== undefined) this.deps.ledgers.remove(channelId);
      else this.setRemoved(channelId, true);
    } finally {
      this.removing.delete(channelId);
      this.deps.channelListener?.removed(channelId);
    }
    this.deps.logger.info({ channel: channelId }, 'removed channel');
  }

  /** Halts every chain and closes every ledger. */
  async stop(): Promise<void> {
    const entries = [...this.channels.values()];
    this.channels.clear();
    for (const e of entries) e.closing.abort();
    await Promise.all(entries.map((e) => e.chain.halt()));
    for (const e of entries) e.store.close();
  }

  private open(channelId: string): void {
    const store = this.deps.ledgers.openBlocks(channelId);
    try {
      const height = store.blocks.height();
      if (height === 0) throw new OrdererError('ORDERER_EMPTY_LEDGER', `channel ${channelId} has an empty ledger`);
      const last = parseBlock(store.blocks.getBlockBytes(height - 1)!, { verifyDataHash: false }).block;
      const lastConfig = lastConfigBlock(store, last);
      const { config } = configOfBlock(lastConfig);
      const resources = buildChannelResources(channelId, config, this.providers);
      const unserved = this.unservedChannel(resources.config);
      if (unserved !== undefined) throw new OrdererError('ORDERER_BAD_CONFIG', `cannot open channel ${channelId}: ${unserved}`, { channel: channelId });
      const dir = this.consenterDir(channelId);
      fs.mkdirSync(dir, { recursive: true });
      const consenter = this.deps.consenter;
      const support = new ChannelSupport(channelId, store, resources, this.providers, this.deps.signer, dir, this.deps.logger, this.deps.metrics, {
        expirationChecks: this.deps.expirationChecks,
        ...(consenter.configUpdateProblem !== undefined && { consensusUpdateProblem: consenter.configUpdateProblem.bind(consenter) }),
      });
      const chain = this.deps.consenter.handleChain(support, height > 1 ? consenterMetadataOf(last) : undefined);
      const closing = new AbortController();
      this.channels.set(channelId, { support, chain, store, closing, closed: closing.signal });
      this.deps.channelListener?.opened(support);
      chain.start();
    } catch (err) {
      this.channels.delete(channelId);
      store.close();
      throw err;
    }
  }

  /**
   * Why this orderer's consenter cannot order a channel configured as `config`: a consensus type it
   * lacks (Fabric: no consenter for it), or what its own check finds (e.g. not among the channel's
   * consenters); undefined when it can.
   */
  private unservedChannel(config: ChannelConfig): string | undefined {
    const consenter = this.deps.consenter;
    const type = config.orderer.consensusType;
    const served = consenter.consensusTypes;
    if (!served.includes(type)) {
      return `/Channel/Orderer/ConsensusType names consensus type ${JSON.stringify(type)}, but this orderer's consenter orders ${served.map((t) => JSON.stringify(t)).join(', ')} only`;
    }
    return consenter.channelProblem?.(config, this.deps.serverTlsCert?.());
  }

  private consenterDir(channelId: string): string {
    return path.join(this.deps.dataDir, 'consenter', channelId);
  }

  private setRemoved(channelId: string, removed: boolean): void {
    if (removed === this.removed.has(channelId)) return;
    if (removed) this.removed.add(channelId);
    else this.removed.delete(channelId);
    const tmp = `${this.removedFile}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify([...this.removed].sort()));
    fs.renameSync(tmp, this.removedFile);
  }
}

/**
 * Fabric's `ValidateJoinBlock` channel-type rules: an application channel, not a system channel.
 * Returns why `config` cannot be joined, or undefined.
 */
function joinConfigProblem(config: Config): string | undefined {
  const groups = config.getChannelGroup()?.getGroupsMap();
  if (groups?.get('Consortiums') !== undefined) return 'invalid config: it contains a /Channel/Consortiums group (a system channel), which is not supported';
  if (groups?.get('Application') === undefined) return 'invalid config: it must contain an application config (/Channel/Application is missing)';
  return undefined;
}

function lastConfigBlock(store: ChannelBlockStore, last: Block): Block {
  let index = 0;
  try {
    index = getLastConfigIndex(last);
  } catch {
    index = 0;
  }
  const bytes = store.blocks.getBlockBytes(index);
  if (bytes === undefined) throw new OrdererError('ORDERER_BAD_LEDGER', `last config block ${index} is missing from the ledger`);
  return parseBlock(bytes, { verifyDataHash: false }).block;
}
