import { HeaderType, Status } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { Registry } from 'prom-client';
import { BroadcastMetrics } from '../../../../core/orderer/broadcast-metrics';

describe('BroadcastMetrics (Fabric broadcast MetricsTracker)', () => {
  let registry: Registry;
  let metrics: BroadcastMetrics;

  beforeEach(() => {
    jest.useFakeTimers();
    registry = new Registry();
    metrics = new BroadcastMetrics(registry);
  });
  afterEach(() => jest.useRealTimers());

  /** `{labels}` → `[count, sum in ms]` of a histogram, or the counter's value. */
  async function series(name: string): Promise<Record<string, number[]>> {
    const out: Record<string, number[]> = {};
    for (const v of (await registry.getSingleMetric(name)!.get()).values) {
      const suffix = (v as { metricName?: string }).metricName?.slice(name.length) ?? '';
      if (suffix === '_bucket') continue;
      const key = Object.entries(v.labels).map(([k, l]) => `${k}=${String(l)}`).join(',');
      const row = (out[key] ??= []);
      if (suffix === '_count' || suffix === '') row[0] = v.value;
      else row[1] = Math.round(v.value * 1000);
    }
    return out;
  }

  it('splits validation from enqueueing, and counts the wait for the stream predecessor in neither', async () => {
    const t = metrics.begin();
    jest.advanceTimersByTime(3); // parse, signature check
    t.enter('ready');
    jest.advanceTimersByTime(1);
    t.enter('queued');
    jest.advanceTimersByTime(50);
    t.enter('validate');
    jest.advanceTimersByTime(2); // policy and replay checks
    t.enter('enqueue');
    jest.advanceTimersByTime(7); // until the chain has the envelope
    t.end('ch', HeaderType.ENDORSER_TRANSACTION, Status.SUCCESS);
    const labels = 'channel=ch,type=ENDORSER_TRANSACTION,status=SUCCESS';
    expect(await series('broadcast_validate_duration')).toEqual({ [labels]: [1, 5] });
    expect(await series('broadcast_enqueue_duration')).toEqual({ [labels]: [1, 8] });
    expect(await series('broadcast_processed_count')).toEqual({ [labels]: [1] });
  });

  it('times enqueueing only when the chain gave the answer (waitReady, order or configure)', async () => {
    const rejected = metrics.begin();
    rejected.enter('ready');
    rejected.enter('queued');
    rejected.enter('validate');
    jest.advanceTimersByTime(4);
    rejected.end('ch', HeaderType.CONFIG_UPDATE, Status.FORBIDDEN);

    const notReady = metrics.begin();
    jest.advanceTimersByTime(1);
    notReady.enter('ready');
    jest.advanceTimersByTime(6);
    notReady.end('ch', HeaderType.ENDORSER_TRANSACTION, Status.SERVICE_UNAVAILABLE);

    const busy = metrics.begin();
    busy.enter('enqueue');
    busy.end('ch', HeaderType.ENDORSER_TRANSACTION, Status.SERVICE_UNAVAILABLE);

    expect(await series('broadcast_validate_duration')).toEqual({
      'channel=ch,type=CONFIG_UPDATE,status=FORBIDDEN': [1, 4],
      'channel=ch,type=ENDORSER_TRANSACTION,status=SERVICE_UNAVAILABLE': [2, 1],
    });
    expect(await series('broadcast_enqueue_duration')).toEqual({ 'channel=ch,type=ENDORSER_TRANSACTION,status=SERVICE_UNAVAILABLE': [2, 6] });
  });

  it("labels unparsed envelopes and unserved channels with Fabric's 'unknown', and header types without a name UNKNOWN", async () => {
    metrics.begin().end('', undefined, Status.BAD_REQUEST);
    metrics.begin().end('', HeaderType.ENDORSER_TRANSACTION, Status.BAD_REQUEST);
    metrics.begin().end('ch', 99, Status.BAD_REQUEST);
    metrics.begin().end('ch', 12345, Status.BAD_REQUEST);
    expect(await series('broadcast_processed_count')).toEqual({
      'channel=unknown,type=unknown,status=BAD_REQUEST': [1],
      'channel=unknown,type=ENDORSER_TRANSACTION,status=BAD_REQUEST': [1],
      'channel=ch,type=UNKNOWN,status=BAD_REQUEST': [2],
    });
  });
});
