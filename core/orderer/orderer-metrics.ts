import { Gauge, type Registry } from 'prom-client';
import { BroadcastMetrics, type BroadcastObserver, type BroadcastTracker } from './broadcast-metrics';
import type { ChannelInfo, Registrar } from './registrar';

/** Fabric's `participation_status` values. */
const PARTICIPATION_STATUS = { inactive: 0, active: 1, onboarding: 2, failed: 3 } as const;
/** Fabric's `participation_consensus_relation` values. */
const CONSENSUS_RELATION = { other: 0, consenter: 1, follower: 2, 'config-tracker': 3 } as const;

/**
 * The orderer's Prometheus metrics, named after Fabric's orderer metrics: Broadcast's
 * ({@link BroadcastMetrics}), and per channel its height, participation status and consensus
 * relation (read from the registrar at scrape time, so nothing is kept in step on the block path).
 * The block cutter's and block store's are `ChannelMetrics`, which the registrar needs before this exists.
 */
export class OrdererMetrics implements BroadcastObserver {
  private readonly broadcast: BroadcastMetrics;

  constructor(registry: Registry, registrar: Registrar) {
    this.broadcast = new BroadcastMetrics(registry);
    const channelGauge = (name: string, help: string, value: (info: ChannelInfo) => number): void => {
      new Gauge({
        name,
        help,
        labelNames: ['channel'],
        registers: [registry],
        collect() {
          this.reset();
          for (const { name: channel } of registrar.list()) {
            const info = registrar.info(channel);
            if (info !== undefined) this.set({ channel }, value(info));
          }
        },
      });
    };
    channelGauge('ledger_blockchain_height', 'Height of the chain in blocks.', (info) => info.height);
    channelGauge(
      'participation_status',
      'The channel participation status of the node: 0 if inactive, 1 if active, 2 if onboarding, 3 if failed.',
      (info) => PARTICIPATION_STATUS[info.status],
    );
    channelGauge(
      'participation_consensus_relation',
      'The channel participation consensus relation of the node: 0 if other, 1 if consenter, 2 if follower, 3 if config-tracker.',
      (info) => CONSENSUS_RELATION[info.consensusRelation],
    );
  }

  begin(): BroadcastTracker {
    return this.broadcast.begin();
  }
}
