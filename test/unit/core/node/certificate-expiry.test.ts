import { Registry } from 'prom-client';
import { CERTIFICATE_EXPIRY_METRIC, EXPIRY_WARNING_MS, trackCertificateExpiry, unrefTimer } from '../../../../core/node/certificate-expiry';
import { CertificateAuthority } from '../../../../plugins/msp-x509/crypto-material/certificate-authority';
import { capturedLog } from '../../../support/captured-log';

const DAY = 86_400_000;

/**
 * Fabric's `TrackExpiration` (common/crypto/expiration.go) on real certificates from the generator:
 * what the node logs at start, the warning it schedules a week ahead, and Weft's expiry gauge.
 */
describe('trackCertificateExpiry', () => {
  const now = new Date('2030-01-01T00:00:00Z');
  let ca: CertificateAuthority;
  const certExpiringIn = async (ms: number): Promise<string> =>
    (await ca.issue({ commonName: 'peer0.org1.example.com', notBefore: new Date(now.getTime() - 400 * DAY), notAfter: new Date(now.getTime() + ms) })).certPem;

  beforeAll(async () => {
    ca = await CertificateAuthority.createRoot({ commonName: 'ca.org1.example.com', organization: 'org1.example.com', notBefore: new Date(now.getTime() - 500 * DAY), notAfter: new Date(now.getTime() + 3650 * DAY) });
  });

  /** A scheduler that records what was scheduled, for the test to run when it likes. */
  function steppedScheduler(): { schedule: (ms: number, run: () => void) => () => void; scheduled: { ms: number; run: () => void; cancelled: boolean }[] } {
    const scheduled: { ms: number; run: () => void; cancelled: boolean }[] = [];
    return {
      scheduled,
      schedule: (ms, run) => {
        const entry = { ms, run, cancelled: false };
        scheduled.push(entry);
        return () => (entry.cancelled = true);
      },
    };
  }

  it('logs each expiry, sets the gauge per kind, and schedules the warning one week before expiry', async () => {
    const enrollment = await certExpiringIn(365 * DAY);
    const tls = await certExpiringIn(30 * DAY);
    const { base, lines } = capturedLog();
    const registry = new Registry();
    const { schedule, scheduled } = steppedScheduler();
    const cancel = trackCertificateExpiry({ enrollment, tlsServer: tls, tlsClient: tls }, { logger: base, registry, now, schedule });

    expect(lines.map((l) => [l.level, l.certificate, l.msg])).toEqual([
      [30, 'enrollment', `The enrollment certificate will expire on ${new Date(now.getTime() + 365 * DAY).toISOString()}`],
      [30, 'tls_server', `The server TLS certificate will expire on ${new Date(now.getTime() + 30 * DAY).toISOString()}`],
      [30, 'tls_client', `The client TLS certificate will expire on ${new Date(now.getTime() + 30 * DAY).toISOString()}`],
    ]);
    const values = (await registry.getSingleMetric(CERTIFICATE_EXPIRY_METRIC)!.get()).values;
    expect(Object.fromEntries(values.map((v) => [v.labels.kind, v.value]))).toEqual({
      enrollment: (now.getTime() + 365 * DAY) / 1000,
      tls_server: (now.getTime() + 30 * DAY) / 1000,
      tls_client: (now.getTime() + 30 * DAY) / 1000,
    });
    expect(scheduled.map((s) => s.ms)).toEqual([365 * DAY - EXPIRY_WARNING_MS, 23 * DAY, 23 * DAY]);

    scheduled[1]!.run();
    expect(lines.at(-1)).toMatchObject({ level: 40, certificate: 'tls_server', msg: 'The server TLS certificate will expire within one week' });
    cancel();
    expect(scheduled.every((s) => s.cancelled)).toBe(true);
  });

  it('warns at once with days and hours left under a week, and when a certificate has expired, scheduling nothing', async () => {
    const enrollment = await certExpiringIn(3 * DAY + 5 * 3_600_000 + 60_000);
    const expired = await certExpiringIn(-DAY);
    const { base, lines } = capturedLog();
    const registry = new Registry();
    const { schedule, scheduled } = steppedScheduler();
    trackCertificateExpiry({ enrollment, tlsServer: expired }, { logger: base, registry, now, schedule });

    expect(lines.filter((l) => l.level === 40).map((l) => l.msg)).toEqual([
      'The enrollment certificate expires within 3 days and 5 hours',
      'The server TLS certificate has expired',
    ]);
    expect(scheduled).toEqual([]);
    // Expired ones too: monitoring alerts on the gauge, not on the log.
    const values = (await registry.getSingleMetric(CERTIFICATE_EXPIRY_METRIC)!.get()).values;
    expect(values.find((v) => v.labels.kind === 'tls_server')!.value).toBe((now.getTime() - DAY) / 1000);
    expect(values.find((v) => v.labels.kind === 'tls_client')).toBeUndefined();
  });

  it('skips what is not an X.509 certificate, and registers the gauge once per registry', async () => {
    const { base, lines } = capturedLog();
    const registry = new Registry();
    const cert = await certExpiringIn(100 * DAY);
    trackCertificateExpiry({ enrollment: 'not a certificate' }, { logger: base, registry, now, schedule: () => () => undefined });
    expect(lines).toEqual([]);
    // A node restarted in the same process tracks again on the same registry.
    expect(() => trackCertificateExpiry({ enrollment: cert }, { logger: base, registry, now, schedule: () => () => undefined })).not.toThrow();
    expect(() => trackCertificateExpiry({ enrollment: cert }, { logger: base, registry, now, schedule: () => () => undefined })).not.toThrow();
  });
});

describe('unrefTimer', () => {
  afterEach(() => jest.useRealTimers());

  it('waits a delay beyond one setTimeout (2^31-1 ms, under 25 days) instead of firing at once', () => {
    jest.useFakeTimers();
    const run = jest.fn();
    unrefTimer(358 * DAY, run);
    jest.advanceTimersByTime(25 * DAY);
    expect(run).not.toHaveBeenCalled();
    jest.advanceTimersByTime(332 * DAY);
    expect(run).not.toHaveBeenCalled();
    jest.advanceTimersByTime(DAY);
    expect(run).toHaveBeenCalledTimes(1);
  });

  it('does not keep the process alive, and cancels', () => {
    const run = jest.fn();
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const cancel = unrefTimer(60_000, run);
    // An unref'd timer is not among the resources that keep the event loop running.
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(before);
    cancel();
  });
});
