import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from './logger';
import { shellWord } from './shell-word';

/** The certificates a node runs on, as the gauge's `kind` label names them. */
export type CertificateKind = 'enrollment' | 'tls_server' | 'tls_client';

/**
 * Each certificate's `notAfter`, in Unix seconds. Fabric has no such metric (it only logs, see
 * {@link trackCertificateExpiry}); it is Weft's, hence the `weft_` namespace, named as Prometheus
 * names timestamps (`_timestamp_seconds`) so an alert reads `... - time() < 7 * 86400`.
 */
export const CERTIFICATE_EXPIRY_METRIC = 'weft_certificate_expiry_timestamp_seconds';

/** Fabric's `oneWeek`: how long before expiry the node warns. */
export const EXPIRY_WARNING_MS = 7 * 24 * 3600 * 1000;

/** The longest delay `setTimeout` takes; a longer one fires at once (Node's TimeoutOverflowWarning). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Runs `run` after `delayMs`; returns what cancels it. Fabric's `Scheduler` (`time.AfterFunc`). */
export type Scheduler = (delayMs: number, run: () => void) => () => void;

/** The PEM certificates a node runs on; an absent one (TLS off) is not tracked. */
export interface NodeCertificates {
  /** The local MSP's signing certificate (`SerializedIdentity.id_bytes`). */
  readonly enrollment: Uint8Array | string | undefined;
  readonly tlsServer?: Uint8Array | string;
  /** The certificate the node presents when it dials others; a peer's is its server certificate. */
  readonly tlsClient?: Uint8Array | string;
}

export interface ExpiryTrackingOptions {
  /** The node's `certmonitor` logger (Fabric's name for it); the `node` it is bound with (NodeLogging) is the id the warnings' renew command names. */
  readonly logger: Pick<Logger, 'info' | 'warn' | 'bindings'>;
  /** The operations endpoint's registry, when the node has one (it then serves `POST /reload-certificates`, which the warnings name). */
  readonly registry?: Registry;
  /**
   * The node's MSP folder. In a network `weft network init` made it is under `<dir>/organizations/`
   * beside `<dir>/network.yaml`, and the warnings' renew command names that `<dir>`.
   */
  readonly mspDir?: string;
  readonly now?: Date;
  /** {@link unrefTimer} unless a test steps time itself. */
  readonly schedule?: Scheduler;
}

/**
 * Schedules with timers that do not keep the process alive (a node stopping must not wait a year
 * for a warning), chaining timers for delays beyond what one `setTimeout` takes: a certificate a
 * year out is 31 536 000 000 ms, past the 2^31-1 ms limit above which Node fires at once.
 */
export const unrefTimer: Scheduler = (delayMs, run) => {
  let timer: NodeJS.Timeout;
  const arm = (left: number): void => {
    timer = setTimeout(() => (left > MAX_TIMER_MS ? arm(left - MAX_TIMER_MS) : run()), Math.min(left, MAX_TIMER_MS));
    timer.unref();
  };
  arm(Math.max(0, delayMs));
  return () => clearTimeout(timer);
};

/**
 * A PEM (or DER) X.509 certificate's `notAfter`; undefined for anything else (an idemix identity, a
 * damaged file), about which no decision is made, as Fabric's `certExpirationTime` returns zero.
 */
export function certificateNotAfter(cert: Uint8Array | string): Date | undefined {
  try {
    return new Date(new X509Certificate(typeof cert === 'string' ? Buffer.from(cert) : cert).validTo);
  } catch {
    return undefined;
  }
}

const LABELS: Record<CertificateKind, string> = { enrollment: 'enrollment', tls_server: 'server TLS', tls_client: 'client TLS' };

/** The Weft network directory whose `organizations/` holds `mspDir`, if there is one. */
function weftNetworkDir(mspDir: string): string | undefined {
  for (let dir = path.resolve(mspDir); path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    if (path.basename(dir) === 'organizations' && fs.existsSync(path.join(path.dirname(dir), 'network.yaml'))) return path.dirname(dir);
  }
  return undefined;
}

/**
 * What to do about a certificate near or past its end, as far as the node knows: in its Weft network
 * `weft network renew`, which also has the running node reload; otherwise that command or the org's
 * CA (`fabric-ca-client reenroll`), and then a reload, which only the node can name (its process id,
 * its operations endpoint). Fabric's warning says nothing of it.
 */
export function renewalAdvice(kind: CertificateKind, options: Pick<ExpiryTrackingOptions, 'logger' | 'registry' | 'mspDir'>): string {
  const node = options.logger.bindings().node;
  const renew = (dir: string): string => `weft network renew ${dir} --node ${typeof node === 'string' ? node : '<node id>'}`;
  const networkDir = options.mspDir === undefined ? undefined : weftNetworkDir(options.mspDir);
  if (networkDir !== undefined) return `renew it with ${renew(shellWord(networkDir))}, which also has this node reload it`;
  const reenroll = kind === 'enrollment' ? 'fabric-ca-client reenroll, into its MSP folder' : 'fabric-ca-client reenroll --enrollment.profile tls, into its TLS files';
  const endpoint = options.registry === undefined ? '' : ', or POST /reload-certificates on its operations endpoint';
  return `renew it with ${renew('<network dir>')} (which also has this node reload it), or with the org's CA (${reenroll}) and then reload it: kill -HUP ${process.pid}${endpoint}`;
}

/**
 * The metric `name` of `registry`, made by `make` the first time: a node restarted in the same
 * process (tests, tools) registers on the same registry again.
 */
export function registeredOnce<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

function expiryGauge(registry: Registry): Gauge<'kind'> {
  return registeredOnce(
    registry,
    CERTIFICATE_EXPIRY_METRIC,
    () =>
      new Gauge({
        name: CERTIFICATE_EXPIRY_METRIC,
        help: "When the node's certificate of this kind expires (notAfter), in seconds since the Unix epoch.",
        labelNames: ['kind'],
        registers: [registry],
      }),
  );
}

/**
 * Fabric's `crypto.TrackExpiration` (common/crypto/expiration.go), called once as a node starts: logs
 * when each of its certificates expires, warns at once when one has expired or has less than a week
 * left, else schedules that warning for a week before; and sets {@link CERTIFICATE_EXPIRY_METRIC}
 * per certificate, expired ones included, so monitoring sees what the log says. A node whose
 * enrollment certificate expired does not get here (its MSP refuses it, `MSP_EXPIRED`), but its TLS
 * certificates may have. Returns what cancels the scheduled warnings, for the node's `stop`.
 */
export function trackCertificateExpiry(certs: NodeCertificates, options: ExpiryTrackingOptions): () => void {
  const now = (options.now ?? new Date()).getTime();
  const schedule = options.schedule ?? unrefTimer;
  const gauge = options.registry === undefined ? undefined : expiryGauge(options.registry);
  const cancels: (() => void)[] = [];
  const tracked: [CertificateKind, Uint8Array | string | undefined][] = [
    ['enrollment', certs.enrollment],
    ['tls_server', certs.tlsServer],
    ['tls_client', certs.tlsClient],
  ];
  for (const [kind, pem] of tracked) {
    const notAfter = pem === undefined ? undefined : certificateNotAfter(pem);
    if (notAfter === undefined) continue;
    gauge?.set({ kind }, Math.floor(notAfter.getTime() / 1000));
    const entry = { certificate: kind, notAfter: notAfter.toISOString() };
    const left = notAfter.getTime() - now;
    const advice = (): string => renewalAdvice(kind, options);
    if (left < 0) {
      options.logger.warn(entry, `The ${LABELS[kind]} certificate has expired: ${advice()}`);
      continue;
    }
    options.logger.info(entry, `The ${LABELS[kind]} certificate will expire on ${notAfter.toISOString()}`);
    if (left < EXPIRY_WARNING_MS) {
      const days = Math.floor(left / 86_400_000);
      const hours = Math.floor((left - days * 86_400_000) / 3_600_000);
      options.logger.warn(entry, `The ${LABELS[kind]} certificate expires within ${days} days and ${hours} hours: ${advice()}`);
      continue;
    }
    cancels.push(schedule(left - EXPIRY_WARNING_MS, () => options.logger.warn(entry, `The ${LABELS[kind]} certificate will expire within one week: ${advice()}`)));
  }
  return () => {
    for (const cancel of cancels) cancel();
  };
}
