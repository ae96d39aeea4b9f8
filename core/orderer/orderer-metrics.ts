import { Gauge, type Registry } from 'prom-client';
import { BroadcastMetrics, type BroadcastObserver, type BroadcastTracker } from './broadcast-metrics';
import type { Registrar } from './registrar';

/** Fabric's `participation_status` values. */
const PARTICIPATION_STATUS = { inactive: 0, active: 1, onboarding: 2, failed: 3 } as const;

/**
 * The orderer's Prometheus metrics, named after Fabric's orderer metrics: Broadcast's
 * ({@link BroadcastMetrics}), and per channel its height and participation status (read from the
 * registrar at scrape time, so nothing is kept in step on the block path). The block cutter's and
 * block store's are `ChannelMetrics`, which the registrar needs before this exists.
 */
export class OrdererMetrics implements BroadcastObserver {
  private readonly broadcast: BroadcastMetrics;

  constructor(registry: Registry, registrar: Registrar) {
    this.broadcast = new BroadcastMetrics(registry);
    new Gauge({
      name: 'ledger_blockchain_height',
      help: 'Height of the chain in blocks.',
      labelNames: ['channel'],
      registers: [registry],
      collect() {
        this.reset();
        for (const { name } of registrar.list()) this.set({ channel: name }, registrar.info(name)?.height ?? 0);
      },
    });
    new Gauge({
      name: 'participation_status',
      help: 'The channel participation status of the node: 0 if inactive, 1 if active, 2 if onboarding, 3 if failed.',
      labelNames: ['channel'],
      registers: [registry],
      collect() {
        this.reset();
        for (const { name } of registrar.list()) {
          const info = registrar.info(name);
          if (info !== undefined) this.set({ channel: name }, PARTICIPATION_STATUS[info.status]);
        }
      },
    });
  }

  begin(): BroadcastTracker {
    return this.broadcast.begin();
  }
}
