import type { Block, Envelope } from '@hyperledger/fabric-protos/lib/common/common_pb';
import type { Config } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import type { BatchSize, BlockCutter } from './block-cutter';

/** The ordering parameters of a channel's current config that a consenter reads. */
export interface OrdererSharedConfig {
  readonly batchSize: BatchSize;
  /** `BatchTimeout` in milliseconds: how long the first pending message may wait for a block. */
  readonly batchTimeoutMs: number;
  /** `ConsensusType.type`, e.g. `solo` or `etcdraft`. */
  readonly consensusType: string;
  /** `ConsensusType.metadata`: consenter-specific options (opaque to core). */
  readonly consensusMetadata: Uint8Array;
  /**
   * `ConsensusType.state`: {@link ConsensusState.Normal}, or {@link ConsensusState.Maintenance}
   * while operators have frozen the channel (Broadcast then refuses normal transactions). Kept as
   * the raw enum value: Fabric does not validate it either.
   */
  readonly consensusState: number;
}

/** What a consenter's channel checks read of a channel config (the registrar's `ChannelConfig` is one). */
export interface ConsenterChannelView {
  readonly channelId: string;
  readonly config: Config;
  /** `common.Config` bytes of `config`. */
  readonly configBytes: Uint8Array;
  readonly orderer: OrdererSharedConfig;
}

/** Values of Fabric's `orderer.ConsensusType.State`. */
export const ConsensusState = { Normal: 0, Maintenance: 1 } as const;

/** A config envelope after processing, with the config sequence it was validated against. */
export interface ProcessedConfig {
  readonly config: Envelope;
  readonly configSeq: number;
}

/**
 * What a chain may touch of its channel, as Fabric's `consensus.ConsenterSupport`: the block
 * cutter, the block writer, the current config, and re-validation of messages whose config
 * sequence is stale. Handed to {@link Consenter.handleChain}; a consenter never sees the container.
 */
export interface ConsenterSupport {
  readonly channelId: string;
  /**
   * A directory owned by this chain's consenter for its own durable state (WAL, snapshots).
   * It exists, and survives restarts; it is removed when the channel is removed.
   */
  readonly consenterDir: string;
  /**
   * The header hash of the channel's block 0: it names this incarnation of the channel. A consenter
   * binds its durable state to it, so that state an earlier channel of the same name left behind
   * (a removal cut short by a crash) is never ordered into this one.
   */
  readonly genesisBlockHash: Uint8Array;
  /** The channel's block cutter; the chain loop is its only caller. */
  blockCutter(): BlockCutter;
  /** Ordering parameters of the current config; re-read after every config block. */
  sharedConfig(): OrdererSharedConfig;
  /** The current config sequence; a message ordered under an older one must be re-processed. */
  sequence(): number;
  /**
   * Re-validates a normal message (size, signature, `/Channel/Writers`) against the current
   * config. Returns the config sequence used; throws `OrdererError` when the message is no longer
   * valid (the chain then discards it, as Fabric does).
   */
  processNormalMsg(env: Envelope): number;
  /**
   * Re-validates a config message (its embedded `CONFIG_UPDATE`) against the current config and
   * returns the regenerated config envelope. Throws `OrdererError` when it is no longer valid.
   */
  processConfigMsg(env: Envelope): ProcessedConfig;
  /**
   * Builds the next block over `batch`: number = last created + 1, previous hash and data hash
   * set. Does not write it. Successive calls chain on each other before the writes land.
   */
  createNextBlock(batch: readonly Envelope[]): Block;
  /**
   * Signs and appends a normal block. `consenterMetadata` goes into the block's
   * `OrdererBlockMetadata.consenter_metadata` and is handed back to `handleChain` after a restart.
   * Resolves once the block is durable in the block store and visible to Deliver. Rejects only on
   * storage failure; the chain must then stop (its `errored` signal aborts).
   */
  writeBlock(block: Block, consenterMetadata?: Uint8Array): Promise<void>;
  /** As {@link writeBlock} for a block holding one config envelope: applies the new config too. */
  writeConfigBlock(block: Block, consenterMetadata?: Uint8Array): Promise<void>;
  /** Number of blocks in the channel's chain (written, not merely created). */
  height(): number;
}

/**
 * One channel's ordering engine, as Fabric's `consensus.Chain`. The broadcast handler calls
 * `order`/`configure` for messages that passed ingress checks; the registrar calls `start` once,
 * and `halt` when the channel is removed or the node stops.
 */
export interface Chain {
  /**
   * Accepts a normal envelope validated under `configSeq`. Resolves once the chain has taken
   * responsibility for it: it will be in a block, even if the process is killed right after (this
   * is when Broadcast answers SUCCESS). Rejects (`OrdererError`) when the chain cannot accept
   * (halted, errored, overloaded); Broadcast answers SERVICE_UNAVAILABLE.
   */
  order(env: Envelope, configSeq: number): Promise<void>;
  /** As {@link order} for a config envelope (a processed `CONFIG_UPDATE`): it gets a block of its own. */
  configure(configEnv: Envelope, configSeq: number): Promise<void>;
  /** Resolves when the chain can accept messages (a Raft follower may wait for a leader). */
  waitReady(): Promise<void>;
  /**
   * Aborted when the chain stops serving (halted or failed), with the error as `reason`. Deliver
   * ends its streams with SERVICE_UNAVAILABLE when it fires. Checked per message: must be cheap.
   */
  errored(): AbortSignal;
  /**
   * Why the chain takes no messages for now though it has not stopped (solo: its disk is full and it
   * retries the block until space is freed); undefined while it serves. Optional: `/healthz` reports it.
   */
  pausedBy?(): Error | undefined;
  /** Starts the chain's loop; called once by the registrar after `handleChain`. */
  start(): void;
  /** Stops the loop and releases resources; pending `order` calls reject. Idempotent. */
  halt(): Promise<void>;
}

/**
 * The `ordering` plugin slot, as Fabric's `consensus.Consenter`. Called by the registrar once per
 * channel when the node starts or joins a channel. `metadata` is the consenter metadata of the
 * channel's last block (`OrdererBlockMetadata.consenter_metadata`), undefined for a chain that has
 * only its genesis block, so the consenter can resume where it stopped. Throwing means the channel
 * cannot be served (the registrar marks it failed; other channels carry on).
 */
export interface Consenter {
  /**
   * The `ConsensusType.type` values this consenter orders (`solo`). The registrar refuses to join,
   * and fails to open, a channel whose config names another type, as Fabric's registrar finds no
   * consenter for it.
   */
  readonly consensusTypes: readonly string[];
  /**
   * Why this node cannot serve a channel configured as `config` (Fabric's etcdraft: metadata that
   * does not decode, or a consenter set this node is not in, found by `serverTlsCert`, the PEM TLS
   * certificate the orderer serves with now); undefined when it can. The registrar calls it before
   * a join writes anything and before a stored channel opens, and refuses or fails the channel with
   * the answer. Optional: without it every channel of the consenter's types is served.
   */
  channelProblem?(config: ConsenterChannelView, serverTlsCert: Uint8Array | undefined): string | undefined;
  /**
   * Fabric's `MetadataValidator.ValidateConsensusMetadata`: why a config update may not take the
   * channel from `current` to `next` (consensus metadata this consenter refuses); undefined when it
   * may. The message processor calls it for every config update, once `next` is otherwise valid.
   */
  configUpdateProblem?(current: ConsenterChannelView, next: ConsenterChannelView): string | undefined;
  handleChain(support: ConsenterSupport, metadata: Uint8Array | undefined): Chain;
}
export const Consenter = Symbol('Consenter');
