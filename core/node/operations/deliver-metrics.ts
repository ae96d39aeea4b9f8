import { Counter, type Registry } from 'prom-client';

/** Fabric's `data_type` label of Deliver metrics. */
export type DeliverDataType = 'block' | 'filtered_block' | 'block_and_pvtdata';

/**
 * Fabric's Deliver metrics (`common/deliver/metrics.go`), shared by peers and orderers: streams
 * opened and closed, requests received and completed, blocks sent. As in Fabric's `deliverBlocks`,
 * a request counts only once it names a channel the node serves: one that does not parse or names
 * another channel is in no request counter (so clients cannot mint label values either).
 */
export class DeliverMetrics {
  private readonly opened: Counter;
  private readonly closed: Counter;
  private readonly received: Counter<'channel' | 'filtered' | 'data_type'>;
  private readonly completed: Counter<'channel' | 'filtered' | 'data_type' | 'success'>;
  private readonly blocks: Counter<'channel' | 'filtered' | 'data_type'>;

  constructor(registry: Registry) {
    const registers = [registry];
    const labelNames = ['channel', 'filtered', 'data_type'] as const;
    this.opened = new Counter({ name: 'deliver_streams_opened', help: 'The number of GRPC streams that have been opened for the deliver service.', registers });
    this.closed = new Counter({ name: 'deliver_streams_closed', help: 'The number of GRPC streams that have been closed for the deliver service.', registers });
    this.received = new Counter({ name: 'deliver_requests_received', help: 'The number of deliver requests that have been received.', labelNames, registers });
    this.completed = new Counter({
      name: 'deliver_requests_completed',
      help: 'The number of deliver requests that have been completed.',
      labelNames: [...labelNames, 'success'],
      registers,
    });
    this.blocks = new Counter({ name: 'deliver_blocks_sent', help: 'The number of blocks sent by the deliver service.', labelNames, registers });
  }

  streamOpened(): void {
    this.opened.inc();
  }

  streamClosed(): void {
    this.closed.inc();
  }

  /** One request's counters: `channelKnown` once the node has found its channel, then blocks and the final status. */
  request(dataType: DeliverDataType): DeliverRequestMetrics {
    let labels: { channel: string; filtered: string; data_type: DeliverDataType } | undefined;
    return {
      channelKnown: (channel) => {
        if (labels !== undefined) return;
        labels = { channel, filtered: String(dataType === 'filtered_block'), data_type: dataType };
        this.received.inc(labels);
      },
      blockSent: () => {
        if (labels !== undefined) this.blocks.inc(labels);
      },
      completed: (success) => {
        if (labels !== undefined) this.completed.inc({ ...labels, success: String(success) });
      },
    };
  }
}

/** The counters of one Deliver request. */
export interface DeliverRequestMetrics {
  channelKnown(channel: string): void;
  blockSent(): void;
  completed(success: boolean): void;
}

/** For nodes without an operations endpoint. */
export const NO_DELIVER_METRICS: DeliverRequestMetrics = { channelKnown: () => undefined, blockSent: () => undefined, completed: () => undefined };
