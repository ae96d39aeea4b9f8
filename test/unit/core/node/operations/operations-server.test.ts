import { Counter } from 'prom-client';
import pino from 'pino';
import { countingLogEntries, NodeLogging } from '../../../../../core/node/logger';
import { OperationsServer, splitHostPort } from '../../../../../core/node/operations/operations-server';

describe('operations server', () => {
  let server: OperationsServer;
  let base: string;
  let healthy = true;
  const logging = new NodeLogging('warn', {}, pino({ hooks: countingLogEntries }, pino.destination({ dest: '/dev/null', sync: true })));
  const logger = logging.logger('test');
  const gossip = logging.logger('gossip.state');

  beforeAll(async () => {
    server = new OperationsServer({ listenAddress: '127.0.0.1:0', version: '9.9.9', commit: 'abc123', logging });
    server.addHealthChecker({ name: 'ledger', check: () => { if (!healthy) throw new Error('disk gone'); } });
    new Counter({ name: 'weft_test_things_total', help: 'things', registers: [server.registry] }).inc(3);
    await server.start();
    base = `http://${server.address()}`;
  });
  afterAll(() => server.stop());

  it('reports health and the failed checks', async () => {
    healthy = true;
    let res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'OK' });
    healthy = false;
    res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ failed_checks: [{ component: 'ledger', reason: 'disk gone' }] });
  });

  it('serves Prometheus metrics and the version', async () => {
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('weft_test_things_total 3');
    expect(metrics).toContain('process_cpu_user_seconds_total');
    expect(await (await fetch(`${base}/version`)).json()).toEqual({ Version: '9.9.9', CommitSHA: 'abc123' });
  });

  it('reports its version and counts log entries written, by level', async () => {
    const sample = (metrics: string, name: string, level: string): number =>
      Number(new RegExp(`^${name}\\{level="${level}"\\} (\\d+)$`, 'm').exec(metrics)?.[1] ?? 0);
    const before = await (await fetch(`${base}/metrics`)).text();
    expect(before).toContain('fabric_version{version="9.9.9"} 1');
    logger.warn('one');
    logger.child({ component: 'x' }).warn('two');
    logger.error('three');
    logger.info('below the level: neither checked nor written');
    const after = await (await fetch(`${base}/metrics`)).text();
    for (const name of ['logging_entries_checked', 'logging_entries_written']) {
      expect(sample(after, name, 'warn') - sample(before, name, 'warn')).toBe(2);
      expect(sample(after, name, 'error') - sample(before, name, 'error')).toBe(1);
      expect(sample(after, name, 'info') - sample(before, name, 'info')).toBe(0);
    }
  });

  it('measures event-loop lag, sampled every 100 ms', async () => {
    await fetch(`${base}/metrics`); // the lag histogram restarts after every scrape
    // A stall longer than the sampling period: a sample is certainly due during it, and late.
    const until = Date.now() + 150;
    while (Date.now() < until);
    await new Promise((r) => setTimeout(r, 250));
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const max = Number(/^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(metrics)?.[1]);
    expect(max).toBeGreaterThanOrEqual(0.04);
  });

  it('reads and changes the logging spec in Fabric syntax, refusing bad specs and changing nothing then', async () => {
    expect(await (await fetch(`${base}/logspec`)).json()).toEqual({ spec: 'warn' });
    expect((await fetch(`${base}/logspec`, { method: 'PUT', body: '{"spec":"error:gossip=debug"}' })).status).toBe(204);
    expect([logger.level, gossip.level]).toEqual(['error', 'debug']);
    expect(await (await fetch(`${base}/logspec`)).json()).toEqual({ spec: 'gossip=debug:error' });
    for (const [spec, blamed] of [
      ['loud', 'unknown level'],
      ['info:=debug', 'no logger named'],
      ['info:gossip..state=debug', 'bad logger name'],
      ['a=b=debug', "more than one '='"],
    ]) {
      const bad = await fetch(`${base}/logspec`, { method: 'PUT', body: JSON.stringify({ spec }) });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: string }).error).toContain(blamed);
    }
    expect((await fetch(`${base}/logspec`, { method: 'PUT', body: '{"spec":7}' })).status).toBe(400);
    expect([logger.level, gossip.level]).toEqual(['error', 'debug']);
    expect((await fetch(`${base}/logspec`, { method: 'PUT', body: '{"spec":"warn"}' })).status).toBe(204);
    expect([logger.level, gossip.level]).toEqual(['warn', 'warn']);
    expect((await fetch(`${base}/logspec`, { method: 'PUT', body: 'x'.repeat(5000) })).status).toBe(413);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  it('parses listen addresses and rejects bad ports', () => {
    expect(splitHostPort('0.0.0.0:9443')).toEqual({ host: '0.0.0.0', port: 9443 });
    expect(splitHostPort('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(() => splitHostPort('localhost:99999')).toThrow(expect.objectContaining({ code: 'CONFIG_BAD_ADDRESS' }));
  });
});
