import type { Logger, NodeLogging } from '../node/logger';
import type { TrustedClientRoots } from '../node/trusted-client-roots';
import type { Signer } from '../protocol/signer';
import type { Channel } from './channel/channel';
import type { JoinedChannel } from './channel/channel-manager';
import type { ChaincodeIndexes } from './lifecycle/chaincode-indexes';
import { BlockPuller, type OrdererSource } from './orderer/block-puller';
import type { PeerConfig } from './peer-config';
import type { PeerMetrics } from './peer-metrics';
import type { PvtPuller } from './privdata/pvt-puller';
import { PvtReconciler, reconcilerChannel } from './privdata/pvt-reconciler';
import { DEFAULT_TRANSIENT_MAX_BYTES_PER_SENDER } from './privdata/transient-store';
import type { SnapshotManager } from './snapshot/snapshot-manager';

/** How long a reconciliation round asks for one block's private data: the data is committed wherever it is, so no peer is waited for. */
const RECONCILE_PULL_TIMEOUT_MS = 2_000;

/** What {@link ChannelFollowers} needs from the peer that holds it. */
export interface ChannelFollowersOptions {
  readonly config: PeerConfig;
  readonly signer: Signer;
  /** Where the block pullers find the channel's orderers. */
  readonly orderers: OrdererSource;
  readonly pvtPuller: Pick<PvtPuller, 'pull'>;
  readonly snapshots: Pick<SnapshotManager, 'attach'>;
  readonly indexes: Pick<ChaincodeIndexes, 'refresh'>;
  readonly metrics: PeerMetrics | undefined;
  readonly logging: NodeLogging;
  /** Whether the peer has started: a block puller starts with the channel only then. */
  readonly started: () => boolean;
  /** Under mutual TLS, once the peer has started: the client CAs its gRPC server takes. */
  readonly clientRoots: () => TrustedClientRoots | undefined;
}

/**
 * What a peer runs for each channel it opens or joins, from then until it stops: the transient
 * store's limits, snapshots of its ledger, the block puller, the private data reconciler, and the
 * client roots and chaincode indexes that follow its config and lifecycle blocks.
 */
export class ChannelFollowers {
  private readonly pullers = new Map<string, BlockPuller>();
  private readonly reconcilers = new Map<string, PvtReconciler>();
  private readonly pullerLogger: Logger;

  constructor(private readonly options: ChannelFollowersOptions) {
    this.pullerLogger = options.logging.logger('peer.blocksprovider');
  }

  /** Called by the channel manager once per channel opened or joined. */
  follow(joined: JoinedChannel): void {
    const { config, metrics, indexes } = this.options;
    const { privateData } = config.peer;
    const maxBytesPerSender = privateData.transientStoreMaxBytesPerSender ?? DEFAULT_TRANSIENT_MAX_BYTES_PER_SENDER;
    joined.channel.transient.configure({ maxBytesPerSender, metrics: metrics?.transientStore(joined.channel.id) });
    this.options.snapshots.attach(joined);
    const puller = new BlockPuller(joined, this.options.signer, this.options.orderers, this.pullerLogger);
    this.pullers.set(joined.channel.id, puller);
    if (this.options.started()) puller.start();
    if (privateData.reconciliationEnabled) {
      const reconciler = new PvtReconciler(reconcilerChannel(joined, config.node.msp.id), this.options.pvtPuller, {
        intervalMs: privateData.reconcileSleepIntervalMs,
        batchSize: privateData.reconcileBatchSize,
        deprioritizedMs: privateData.deprioritizedDataReconcilerIntervalMs,
        pullTimeoutMs: RECONCILE_PULL_TIMEOUT_MS,
        logger: this.options.logging.logger('gossip.privdata'),
        metrics,
      });
      this.reconcilers.set(joined.channel.id, reconciler);
      reconciler.start();
    }
    const { channel } = joined;
    this.trustChannelClients(channel);
    channel.onBlock((b) => {
      if (b.lifecycleChanged === true) void indexes.refresh(channel);
    });
    void indexes.refresh(channel);
  }

  /** Stops every block puller and reconciler, and waits for them. */
  async stop(): Promise<void> {
    await Promise.all([...this.pullers.values(), ...this.reconcilers.values()].map((p) => p.stop()));
    this.pullers.clear();
    this.reconcilers.clear();
  }

  /**
   * Under mutual TLS, the channel's application orgs' TLS CAs are trusted client roots from now on,
   * and follow its config blocks (Fabric's peer `updateTrustedRoots`: application orgs only, the
   * orderers never call a peer). The committer swaps the resources before it publishes the block.
   */
  private trustChannelClients(channel: Channel): void {
    const roots = this.options.clientRoots();
    if (roots === undefined) return;
    let applied = channel.resources();
    roots.setChannel(channel.id, applied.config.applicationOrgs.map((o) => o.msp));
    channel.onBlock(() => {
      const current = channel.resources();
      if (current === applied) return;
      applied = current;
      roots.setChannel(channel.id, current.config.applicationOrgs.map((o) => o.msp));
    });
  }
}
