import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
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
    expect(lines.at(-1)).toMatchObject({ level: 40, certificate: 'tls_server', msg: expect.stringMatching(/^The server TLS certificate will expire within one week: renew it with /) });
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

    expect(lines.filter((l) => l.level === 40).map((l) => (l.msg as string).split(': renew it with ')[0])).toEqual([
      'The enrollment certificate expires within 3 days and 5 hours',
      'The server TLS certificate has expired',
    ]);
    expect(scheduled).toEqual([]);
    // Expired ones too: monitoring alerts on the gauge, not on the log.
    const values = (await registry.getSingleMetric(CERTIFICATE_EXPIRY_METRIC)!.get()).values;
    expect(values.find((v) => v.labels.kind === 'tls_server')!.value).toBe((now.getTime() - DAY) / 1000);
    expect(values.find((v) => v.labels.kind === 'tls_client')).toBeUndefined();
  });

  describe('says how to renew the certificate and have the node take it', () => {
    const node = 'peer0.org1.example.com';
    let dir: string;
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-expiry-advice-'))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    async function warnings(options: { registry?: Registry; mspDir?: string }): Promise<Record<string, unknown>[]> {
      const soon = await certExpiringIn(4 * DAY + 23 * 3_600_000 + 60_000);
      const { base, lines } = capturedLog();
      // A node's loggers carry its id as `node` (NodeLogging).
      trackCertificateExpiry({ enrollment: soon, tlsServer: soon }, { logger: base.child({ node }), now, schedule: () => () => undefined, ...options });
      return lines.filter((l) => l.level === 40);
    }

    it("outside a Weft network directory: the renew command for this node, the CA's reenroll, and the reload (signal or operations endpoint)", async () => {
      const reload = `kill -HUP ${process.pid}, or POST /reload-certificates on its operations endpoint`;
      const lines = await warnings({ registry: new Registry(), mspDir: path.join(dir, 'msp') });
      expect(lines.map((l) => l.msg)).toEqual([
        `The enrollment certificate expires within 4 days and 23 hours: renew it with weft network renew <network dir> --node ${node} (which also has this node reload it), or with the org's CA (fabric-ca-client reenroll, into its MSP folder) and then reload it: ${reload}`,
        `The server TLS certificate expires within 4 days and 23 hours: renew it with weft network renew <network dir> --node ${node} (which also has this node reload it), or with the org's CA (fabric-ca-client reenroll --enrollment.profile tls, into its TLS files) and then reload it: ${reload}`,
      ]);
      // The structured fields stay as they were.
      expect(Object.keys(lines[0]!).filter((k) => !['level', 'time', 'pid', 'hostname', 'msg', 'node'].includes(k))).toEqual(['certificate', 'notAfter']);
      // Without an operations endpoint, the signal alone.
      expect((await warnings({})).map((l) => (l.msg as string).split('and then reload it: ')[1])).toEqual([`kill -HUP ${process.pid}`, `kill -HUP ${process.pid}`]);
    });

    it('in a Weft network directory: the renew command naming it, which reloads the node', async () => {
      const mspDir = path.join(dir, 'organizations', 'peerOrganizations', 'org1.example.com', 'peers', node, 'msp');
      fs.mkdirSync(mspDir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'network.yaml'), 'orgs: []\n');
      expect((await warnings({ registry: new Registry(), mspDir })).map((l) => l.msg)).toEqual([
        `The enrollment certificate expires within 4 days and 23 hours: renew it with weft network renew ${dir} --node ${node}, which also has this node reload it`,
        `The server TLS certificate expires within 4 days and 23 hours: renew it with weft network renew ${dir} --node ${node}, which also has this node reload it`,
      ]);
    });
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
