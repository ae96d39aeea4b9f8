import { HeaderType, Status } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Registrar } from './registrar';

const HEADER_TYPE_NAMES = new Map(Object.entries(HeaderType).map(([name, value]) => [value, name]));
const STATUS_NAMES = new Map(Object.entries(Status).map(([name, value]) => [value, name]));

/** Fabric's `participation_status` values. */
const PARTICIPATION_STATUS = { inactive: 0, active: 1, onboarding: 2, failed: 3 } as const;

/** What Broadcast reports about each envelope it answered. */
export interface BroadcastObserver {
  /** `channel` is '' unless the orderer serves it (and unknown header types are UNKNOWN), so clients cannot mint label values. */
  processed(channel: string, headerType: number | undefined, status: number): void;
}

/**
 * The orderer's Prometheus metrics, named after Fabric's orderer metrics: envelopes answered by
 * Broadcast, and per channel its height and participation status (read from the registrar at
 * scrape time, so nothing is kept in step on the block path).
 */
export class OrdererMetrics implements BroadcastObserver {
  private readonly broadcasts: Counter<'channel' | 'type' | 'status'>;

  constructor(registry: Registry, registrar: Registrar) {
    this.broadcasts = new Counter({
      name: 'broadcast_processed_count',
      help: 'Envelopes answered by Broadcast, by channel, header type and status.',
      labelNames: ['channel', 'type', 'status'],
      registers: [registry],
    });
    new Gauge({
      name: 'ledger_blockchain_height',
      help: 'Block height of each channel this orderer serves.',
      labelNames: ['channel'],
      registers: [registry],
      collect() {
        this.reset();
        for (const { name } of registrar.list()) this.set({ channel: name }, registrar.info(name)?.height ?? 0);
      },
    });
    new Gauge({
      name: 'participation_status',
      help: 'Channel participation status: 0 inactive, 1 active, 2 onboarding, 3 failed.',
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

  processed(channel: string, headerType: number | undefined, status: number): void {
    const type = headerType === undefined ? '' : (HEADER_TYPE_NAMES.get(headerType) ?? 'UNKNOWN');
    this.broadcasts.inc({ channel, type, status: STATUS_NAMES.get(status) ?? 'UNKNOWN' });
  }
}
