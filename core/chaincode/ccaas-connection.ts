/**
 * `connection.json`, the one file of a chaincode-as-a-service package: where the chaincode's server
 * listens and how to reach it. The fields and defaults are Fabric's (`core/container/externalbuilder`
 * `ChaincodeServerUserData`); unlike Fabric, which finds most mistakes only when the peer dials,
 * every field is checked at install, so a bad package is refused naming the field.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { ChaincodeError } from '../errors';
import { expandTemplate, isTemplate, TemplateProblem, type TemplateContext } from './ccaas-templates';

/** The file's name at the root of `code.tar.gz`, where Fabric's ccaas builder reads it. */
export const CONNECTION_FILE = 'connection.json';

/** Fabric's dial timeout when `dial_timeout` is absent or zero (`externalbuilder.DialTimeout`). */
export const DEFAULT_DIAL_TIMEOUT_MS = 3_000;

/** The TLS settings of a connection whose `tls_required` is true. */
export interface ChaincodeServerTls {
  /** PEM: the CA (or the certificate) the chaincode server's certificate must chain to. */
  readonly rootCert: string;
  /** PEM client certificate and key, when `client_auth_required`. */
  readonly clientCert?: string;
  readonly clientKey?: string;
  /** The name the server's certificate must carry instead of the address's host (`domain`). */
  readonly serverName?: string;
}

/** A validated `connection.json`. */
export interface ChaincodeServerInfo {
  /** `host:port` of the chaincode server. */
  readonly address: string;
  readonly dialTimeoutMs: number;
  readonly tls?: ChaincodeServerTls;
}

/** Go's `time.ParseDuration` units, in milliseconds. */
const GO_DURATION_UNITS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const GO_DURATION = /^([+-]?)((?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)$/;

/** Milliseconds of a Go duration string (`"10s"`, `"1m30s"`, `"500ms"`, `"0"`); undefined when it is none. */
export function parseGoDuration(text: string): number | undefined {
  if (text === '0' || text === '+0' || text === '-0') return 0;
  const m = GO_DURATION.exec(text);
  if (m === null) return undefined;
  let ms = 0;
  for (const part of m[2].matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) ms += Number(part[1]) * GO_DURATION_UNITS[part[2]];
  return m[1] === '-' ? -ms : ms;
}

function fail(field: string, problem: string, packageId: string | undefined): never {
  const where = packageId === undefined ? CONNECTION_FILE : `${CONNECTION_FILE} of package ${packageId}`;
  throw new ChaincodeError('CHAINCODE_BAD_CONNECTION', `${where}: "${field}" ${problem}`, { field, ...(packageId !== undefined ? { packageId } : {}) });
}

/** `host:port` as Go's `net.SplitHostPort` reads it (an IPv6 host in brackets), with a port Fabric could dial. */
function checkAddress(value: unknown, packageId: string | undefined): string {
  if (value === undefined || value === null || value === '') fail('address', 'is missing: it must be the chaincode server\'s host:port (Fabric: "chaincode address not provided")', packageId);
  if (typeof value !== 'string') fail('address', `must be a string host:port, received ${typeof value}`, packageId);
  const m = /^(?:\[([0-9A-Fa-f:.%\w-]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(value);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || !(port >= 1 && port <= 65535)) {
    fail('address', `must be host:port with a port from 1 to 65535 (an IPv6 host in brackets: [::1]:9999), received ${JSON.stringify(value)}`, packageId);
  }
  return value;
}

/** `dial_timeout`: a Go duration string, or a number of nanoseconds (Fabric's `Duration.UnmarshalJSON`). */
function checkDialTimeout(value: unknown, packageId: string | undefined): number {
  if (value === undefined || value === null) return DEFAULT_DIAL_TIMEOUT_MS;
  let ms: number | undefined;
  if (typeof value === 'number') ms = Number.isFinite(value) ? value / 1e6 : undefined;
  else if (typeof value === 'string') ms = parseGoDuration(value);
  else fail('dial_timeout', `must be a Go duration string such as "10s" or a number of nanoseconds, received ${typeof value}`, packageId);
  if (ms === undefined) fail('dial_timeout', `must be a Go duration such as "10s", "1m30s" or "500ms", received ${JSON.stringify(value)}`, packageId);
  if (ms < 0) fail('dial_timeout', `must not be negative, received ${JSON.stringify(value)}`, packageId);
  // Zero is Fabric's "use the default".
  return ms === 0 ? DEFAULT_DIAL_TIMEOUT_MS : Math.max(1, Math.ceil(ms));
}

function checkFlag(json: Record<string, unknown>, field: string, packageId: string | undefined): boolean {
  const value = json[field];
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') fail(field, `must be true or false, received ${JSON.stringify(value)}`, packageId);
  return value;
}

function checkPem(json: Record<string, unknown>, field: string, kind: 'certificate' | 'private key', packageId: string | undefined, required: string, deferred: ReadonlySet<string>): string {
  const value = json[field];
  if (deferred.has(field)) return value as string;
  if (value === undefined || value === null || value === '') fail(field, `is missing: ${required}`, packageId);
  if (typeof value !== 'string') fail(field, `must be a PEM string, received ${typeof value}`, packageId);
  try {
    if (kind === 'certificate') new X509Certificate(value);
    else createPrivateKey(value);
  } catch (err) {
    fail(field, `is not a PEM ${kind} Node can read: ${(err as Error).message}`, packageId);
  }
  return value;
}

/** The fields Fabric's ccaas builder expands as templates; the TLS ones only when `tls_required` is true. */
const TEMPLATE_FIELDS = ['address', 'dial_timeout'] as const;
const TLS_TEMPLATE_FIELDS = ['root_cert', 'client_key', 'client_cert'] as const;

/**
 * `json` with its templated fields expanded from `context` (see `ccaas-templates.ts`). Without a
 * context (a package being built) they are only checked, and returned in `deferred`: their values
 * are the peer's to check once it expands them.
 */
function expandFields(json: Record<string, unknown>, packageId: string | undefined, context: TemplateContext | undefined): { json: Record<string, unknown>; deferred: ReadonlySet<string> } {
  const out = { ...json };
  const deferred = new Set<string>();
  for (const field of [...TEMPLATE_FIELDS, ...(json.tls_required === true ? TLS_TEMPLATE_FIELDS : [])]) {
    const value = json[field];
    if (typeof value !== 'string' || !isTemplate(value)) continue;
    try {
      out[field] = expandTemplate(value, context);
    } catch (err) {
      if (!(err instanceof TemplateProblem)) throw err;
      fail(field, `is a template that cannot be expanded: ${err.message}`, packageId);
    }
    if (context === undefined) deferred.add(field);
  }
  return { json: out, deferred };
}

/**
 * Reads and checks `connection.json` bytes, expanding its templates from `templateContext` as
 * Fabric's ccaas builder does (a peer always gives one; without it, as when a package is built,
 * templated fields are checked for their syntax only). Throws `CHAINCODE_BAD_CONNECTION` naming the field.
 */
export function parseConnectionJson(bytes: Uint8Array, packageId?: string, templateContext?: TemplateContext): ChaincodeServerInfo {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new ChaincodeError('CHAINCODE_BAD_CONNECTION', `${CONNECTION_FILE}${packageId === undefined ? '' : ` of package ${packageId}`} is not JSON: ${(err as Error).message}`, {
      ...(packageId !== undefined ? { packageId } : {}),
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ChaincodeError('CHAINCODE_BAD_CONNECTION', `${CONNECTION_FILE} must be a JSON object with at least "address", received ${Array.isArray(parsed) ? 'an array' : String(parsed)}`, {
      ...(packageId !== undefined ? { packageId } : {}),
    });
  }
  const { json, deferred } = expandFields(parsed as Record<string, unknown>, packageId, templateContext);
  const address = deferred.has('address') ? (json.address as string) : checkAddress(json.address, packageId);
  const dialTimeoutMs = deferred.has('dial_timeout') ? DEFAULT_DIAL_TIMEOUT_MS : checkDialTimeout(json.dial_timeout, packageId);
  const tlsRequired = checkFlag(json, 'tls_required', packageId);
  const clientAuth = checkFlag(json, 'client_auth_required', packageId);
  const domain = json.domain;
  if (domain !== undefined && domain !== null && typeof domain !== 'string') fail('domain', `must be a string host name, received ${typeof domain}`, packageId);
  if (!tlsRequired) {
    // Fabric ignores it silently and dials in plaintext: a server that checks client certificates then refuses every call.
    if (clientAuth) fail('client_auth_required', 'is true but "tls_required" is not: client authentication needs TLS; set "tls_required": true with "root_cert"', packageId);
    return { address, dialTimeoutMs };
  }
  const rootCert = checkPem(json, 'root_cert', 'certificate', packageId, 'a TLS connection needs the PEM of the CA that signed the chaincode server\'s certificate', deferred);
  const serverName = typeof domain === 'string' && domain !== '' ? domain : undefined;
  if (!clientAuth) return { address, dialTimeoutMs, tls: { rootCert, ...(serverName !== undefined ? { serverName } : {}) } };
  const clientCert = checkPem(json, 'client_cert', 'certificate', packageId, '"client_auth_required" needs the PEM client certificate the peer presents', deferred);
  const clientKey = checkPem(json, 'client_key', 'private key', packageId, '"client_auth_required" needs the PEM private key of "client_cert"', deferred);
  if (deferred.size === 0 && !new X509Certificate(clientCert).checkPrivateKey(createPrivateKey(clientKey))) {
    fail('client_key', 'is not the private key of "client_cert"', packageId);
  }
  return { address, dialTimeoutMs, tls: { rootCert, clientCert, clientKey, ...(serverName !== undefined ? { serverName } : {}) } };
}
