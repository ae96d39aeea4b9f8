import * as http from 'node:http';
import * as https from 'node:https';
import { type AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { ConfigError } from '../../errors';
import type { ConfiguredFile } from '../certificate-reload';
import { readConfigFile } from '../config';
import { type Logger, logEntriesWritten, NodeLogging } from '../logger';
import { refuseRevokedTlsConnections, type TlsRevocationSource } from '../tls-client-revocation';

/** A named health check; throwing (or rejecting) marks the node unhealthy with that message. */
export interface HealthChecker {
  readonly name: string;
  check(): void | Promise<void>;
}

/** Fabric's `operations.tls`: PEM material, read from the files the node config names. */
export interface OperationsTls {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Roots that client certificates must chain to. */
  readonly clientRootCAs: readonly Buffer[];
  /** Demand a client certificate in the TLS handshake, for every resource. */
  readonly clientAuthRequired: boolean;
  /** Where `cert` and `key` were read from, and the config keys naming them: a certificate reload reads them again. */
  readonly files?: { readonly certFile: string; readonly keyFile: string; readonly certField: string; readonly keyField: string };
  /** Where `clientRootCAs` were read from, one per root, with their config keys: a certificate reload reads them again. */
  readonly clientRootFiles?: readonly ConfiguredFile[];
}

/**
 * Reads the operations TLS files a node config names; an unreadable one is a `ConfigError` naming
 * its key, `<at>.<name>` (the field names differ between peer and orderer configs, as in Fabric).
 */
export function readOperationsTls(
  at: string,
  files: { readonly cert: string; readonly key: string; readonly clientRootCAs: readonly string[]; readonly clientAuthRequired: boolean },
  names: { readonly cert: string; readonly key: string; readonly clientRootCAs: string },
): OperationsTls {
  const clientRootFiles = files.clientRootCAs.map((file, i) => ({ file, field: `${at}.${names.clientRootCAs}[${i}]` }));
  return {
    cert: readConfigFile(files.cert, `${at}.${names.cert}`),
    key: readConfigFile(files.key, `${at}.${names.key}`),
    clientRootCAs: clientRootFiles.map(({ file, field }) => readConfigFile(file, field)),
    clientAuthRequired: files.clientAuthRequired,
    files: { certFile: files.cert, keyFile: files.key, certField: `${at}.${names.cert}`, keyField: `${at}.${names.key}` },
    clientRootFiles,
  };
}

export interface OperationsServerOptions {
  /** `host:port`; port 0 picks a free port (read it back from {@link OperationsServer.address}). */
  readonly listenAddress: string;
  /** Serve HTTPS; `/metrics` and `/logspec` then need a valid client certificate, as in Fabric. */
  readonly tls?: OperationsTls;
  readonly version: string;
  readonly commit?: string;
  readonly registry?: Registry;
  /** The node's loggers, whose spec `/logspec` reads and sets; a server of its own has one at `warn`. */
  readonly logging?: NodeLogging;
}

const EVENT_LOOP_SAMPLE_MS = 100;

/** What needs a client certificate of `clientRootCAs` under TLS, as Fabric's `/metrics` and `/logspec`. */
const SECURED = new Set(['/metrics', '/logspec', '/reload-certificates']);

/**
 * Fabric's operations service for peers and orderers: `GET /healthz` (200 `{"status":"OK"}` or 503
 * with the failed checks), `GET /metrics` (Prometheus text), `GET /version`, `GET|PUT /logspec`, and
 * Weft's `POST /reload-certificates` (the node's SIGHUP, secured as `/logspec` is).
 * With TLS, as in Fabric (`core/operations/system.go`), `/healthz` and `/version` stay open to any
 * client (liveness probes), while `/metrics` and `/logspec` answer 401 to a client without a
 * certificate that chains to `clientRootCAs`; `clientAuthRequired` demands one in the handshake.
 */
export class OperationsServer {
  readonly registry: Registry;
  private readonly checkers: HealthChecker[] = [];
  private readonly server: http.Server | https.Server;
  private readonly logging: NodeLogging;
  private readonly logger: Logger;
  private tlsNow: { cert: Buffer; key: Buffer } | undefined;
  private rootsNow: readonly Buffer[];
  private reload: (() => { readonly result: string }) | undefined;

  constructor(private readonly options: OperationsServerOptions) {
    this.tlsNow = options.tls === undefined ? undefined : { cert: options.tls.cert, key: options.tls.key };
    this.rootsNow = options.tls?.clientRootCAs ?? [];
    this.registry = options.registry ?? new Registry();
    // The event-loop lag histogram samples with a native timer; prom-client's default of every 10 ms
    // woke an idle node 100 times a second (about 1% of a core each). Lag is still measured to the
    // nanosecond, just sampled ten times a second.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
    registerProcessMetrics(this.registry, options.version);
    this.logging = options.logging ?? new NodeLogging('warn');
    this.logger = this.logging.logger('operations.runner');
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      this.handle(req, res).catch((err: unknown) => {
        this.logger.error({ err }, 'operations request failed');
        if (!res.headersSent) send(res, 500, { error: 'internal error' });
      });
    };
    const tls = options.tls;
    this.server =
      tls === undefined
        ? http.createServer(handler)
        : https.createServer(
            // Always ask for a certificate, so the secured resources can check one; refuse the
            // handshake without one only when every resource needs it.
            { cert: tls.cert, key: tls.key, ca: [...tls.clientRootCAs], requestCert: true, rejectUnauthorized: tls.clientAuthRequired },
            handler,
          );
  }

  /** The files the HTTPS identity comes from; undefined without TLS. */
  get tlsFiles(): OperationsTls['files'] {
    return this.options.tls?.files;
  }

  /** The files the client CA roots come from; undefined without TLS. */
  get clientRootFiles(): OperationsTls['clientRootFiles'] {
    return this.options.tls?.clientRootFiles;
  }

  /** The certificate and key HTTPS handshakes get now. */
  tlsIdentity(): { cert: Buffer; key: Buffer } | undefined {
    return this.tlsNow;
  }

  /** The roots a client certificate must chain to, for handshakes from now on. */
  clientRootCAs(): readonly Buffer[] {
    return this.rootsNow;
  }

  /**
   * New handshakes get `identity` and check client certificates against `clientRootCAs` (Node's
   * `setSecureContext`; `requestCert` and `rejectUnauthorized` are the server's, kept); open
   * connections keep theirs, and with them the authorization their handshake gave.
   */
  setTlsIdentity(identity: { cert: Buffer; key: Buffer }, clientRootCAs: readonly Buffer[]): void {
    if (this.options.tls === undefined) return;
    (this.server as https.Server).setSecureContext({ cert: identity.cert, key: identity.key, ca: [...clientRootCAs] });
    this.tlsNow = identity;
    this.rootsNow = clientRootCAs;
  }

  /**
   * Under TLS, closes a connection whose client certificate `source` revokes (at its handshake, or
   * when a CRL arrives): `/metrics`, `/logspec` and `/reload-certificates` take any certificate of
   * the client roots, so a revoked operator's key must not reach them. Checked per connection.
   */
  refuseRevokedClients(source: TlsRevocationSource): void {
    if (this.options.tls !== undefined) refuseRevokedTlsConnections([this.server], source, this.logger);
  }

  /** Answers `POST /reload-certificates` with `reload`: 200 with its outcome, 422 when it refused the files. */
  serveReload(reload: () => { readonly result: string }): void {
    this.reload = reload;
  }

  addHealthChecker(checker: HealthChecker): void {
    this.checkers.push(checker);
  }

  async start(): Promise<void> {
    const { host, port } = splitHostPort(this.options.listenAddress);
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  address(): string {
    const info = this.server.address() as AddressInfo;
    return `${info.address}:${info.port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://operations');
    if (this.options.tls !== undefined && SECURED.has(url.pathname) && !(req.socket as TLSSocket).authorized) {
      return send(res, 401, { error: `${url.pathname} needs a client certificate issued by one of this node's operations client root CAs` });
    }
    switch (`${req.method} ${url.pathname}`) {
      case 'GET /healthz':
        return this.health(res);
      case 'GET /metrics':
        res.writeHead(200, { 'content-type': this.registry.contentType });
        res.end(await this.registry.metrics());
        return;
      case 'GET /version':
        return send(res, 200, { Version: this.options.version, CommitSHA: this.options.commit ?? 'development build' });
      case 'GET /logspec':
        return send(res, 200, { spec: this.logging.spec });
      case 'PUT /logspec':
        return this.setLogSpec(req, res);
      case 'POST /reload-certificates': {
        if (this.reload === undefined) return send(res, 404, { error: 'this server reloads no certificates' });
        const outcome = this.reload();
        return send(res, outcome.result === 'refused' ? 422 : 200, outcome);
      }
      default:
        return send(res, 404, { error: `no operations endpoint ${req.method} ${url.pathname}` });
    }
  }

  private async health(res: http.ServerResponse): Promise<void> {
    const failed: { component: string; reason: string }[] = [];
    for (const checker of this.checkers) {
      try {
        await checker.check();
      } catch (err) {
        failed.push({ component: checker.name, reason: err instanceof Error ? err.message : String(err) });
      }
    }
    const time = new Date().toISOString();
    if (failed.length === 0) send(res, 200, { status: 'OK', time });
    else send(res, 503, { status: 'Service Unavailable', time, failed_checks: failed });
  }

  private async setLogSpec(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req, 4096);
    if (body === undefined) return send(res, 413, { error: 'logspec body is limited to 4096 bytes' });
    let spec: unknown;
    try {
      spec = (JSON.parse(body) as { spec?: unknown }).spec;
    } catch {
      return send(res, 400, { error: 'body must be JSON like {"spec":"info:committer=debug"}' });
    }
    if (typeof spec !== 'string') return send(res, 400, { error: `spec must be a string like "info:committer=debug"; got ${JSON.stringify(spec)}` });
    try {
      this.logging.activate(spec);
    } catch (err) {
      return send(res, 400, { error: (err as Error).message });
    }
    this.logger.info({ spec: this.logging.spec }, 'logging spec changed');
    res.writeHead(204).end();
  }
}

/**
 * Fabric's process-wide metrics: `fabric_version` (here Weft's version, value 1) and the log entry
 * counters. Fabric checks an entry against the logging spec and then writes it; pino drops an entry
 * of a disabled level before any hook runs, so both count the entries written, which is what
 * Fabric's two counters also agree on under a single logging level.
 */
function registerProcessMetrics(registry: Registry, version: string): void {
  const registers = [registry];
  new Gauge({ name: 'fabric_version', help: 'The active version of Fabric.', labelNames: ['version'], registers }).set({ version }, 1);
  const logCounter = (name: string, help: string): void => {
    new Counter({
      name,
      help,
      labelNames: ['level'],
      registers,
      collect(this: Counter<string>) {
        this.reset();
        for (const [level, n] of logEntriesWritten) this.inc({ level }, n);
      },
    });
  };
  logCounter('logging_entries_checked', 'Number of log entries checked against the active logging level');
  logCounter('logging_entries_written', 'Number of log entries that are written');
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** The body as text, or undefined when it is longer than `limit` bytes (the rest is discarded). */
function readBody(req: http.IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > limit ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function splitHostPort(address: string): { host: string; port: number } {
  const idx = address.lastIndexOf(':');
  const host = idx > 0 ? address.slice(0, idx).replace(/^\[|\]$/g, '') : '127.0.0.1';
  const port = Number(address.slice(idx + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError('CONFIG_BAD_ADDRESS', `listen address "${address}" must be host:port with a port from 0 to 65535`, { address });
  }
  return { host, port };
}
