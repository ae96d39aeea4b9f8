import * as https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SecureContextOptions, TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { OrdererError, ProtocolError } from '../errors';
import type { ConfiguredFile, ReloadableTlsListener, TlsFiles } from '../node/certificate-reload';
import type { ServerIdentity } from '../node/reloadable-identity';
import { refuseRevokedTlsConnections, type TlsRevocationSource } from '../node/tls-client-revocation';
import type { Registrar } from './registrar';

export interface ParticipationApiOptions {
  readonly host: string;
  readonly port: number;
  readonly cert: Buffer;
  readonly key: Buffer;
  /** The files `cert` and `key` were read from, for a certificate reload to read again; none: not reloaded. */
  readonly files?: TlsFiles;
  /** CAs the admin client certificate must chain to (mutual TLS is always on). */
  readonly clientRootCAs: readonly Buffer[];
  /** The files `clientRootCAs` were read from (one each), for a certificate reload to read again; none: not reloaded. */
  readonly clientRootFiles?: readonly ConfiguredFile[];
  /** Fabric `ChannelParticipation.MaxRequestBodySize` (1 MB by default). */
  readonly maxRequestBodyBytes: number;
}

const BASE = '/participation/v1/channels';
/** Fabric answers 409 Conflict to a join or remove of a channel whose removal is under way. */
const PENDING_REMOVAL = 'ORDERER_PENDING_REMOVAL';
/**
 * Fabric's `types.Err*` texts (`orderer/common/types/errors.go`), which its REST API answers and
 * osnadmin prints; scripts written against Fabric's orderer match on them. Weft's own, more precise
 * message goes to the log.
 */
const FABRIC_CHANNEL_NOT_EXIST = 'channel does not exist';
const FABRIC_CHANNEL_ALREADY_EXISTS = 'channel already exists';
const FABRIC_CHANNEL_PENDING_REMOVAL = 'channel pending removal';

/**
 * Fabric's channel participation REST API (`orderer/common/channelparticipation/restapi.go`) over
 * mutual TLS: GET `/participation/v1/channels` (list), GET `…/{channel}` (info), POST (join with a
 * multipart `config-block`), DELETE `…/{channel}` (remove). Errors are `{"error": "…"}` with
 * Fabric's status codes (409 to a join or remove while the channel's removal is under way), its
 * error texts and headers, and its bodies as Go's `json.Encoder` writes them (newline-terminated,
 * `"channels": null` when there are none), so osnadmin prints the same answer as from Fabric's orderer.
 */
export class ParticipationApi implements ReloadableTlsListener {
  private readonly server: https.Server;
  private boundPort: number | undefined;
  private identity: ServerIdentity;
  private roots: readonly Buffer[];

  constructor(
    private readonly options: ParticipationApiOptions,
    private readonly registrar: Registrar,
    private readonly logger: Logger,
  ) {
    this.identity = { cert: options.cert, key: options.key };
    this.roots = options.clientRootCAs;
    this.server = https.createServer(
      {
        ...this.secureContext(this.identity, this.roots),
        requestCert: true,
        rejectUnauthorized: true,
      },
      (req, res) => {
        this.route(req, res).catch((err: unknown) => {
          this.logger.error({ err }, 'participation API request failed');
          if (!res.headersSent) send(res, 500, { error: (err as Error).message });
        });
      },
    );
  }

  get port(): number {
    if (this.boundPort === undefined) throw new Error('participation API is not started');
    return this.boundPort;
  }

  get tlsFiles(): TlsFiles | undefined {
    return this.options.files;
  }

  get clientRootFiles(): readonly ConfiguredFile[] | undefined {
    return this.options.clientRootFiles;
  }

  tlsIdentity(): ServerIdentity {
    return this.identity;
  }

  clientRootCAs(): readonly Buffer[] {
    return this.roots;
  }

  /** New handshakes get `identity` and take admin clients of `clientRootCAs` (Node's `setSecureContext`), with the same TLS floor; open connections keep theirs. */
  setTlsIdentity(identity: ServerIdentity, clientRootCAs: readonly Buffer[]): void {
    this.server.setSecureContext(this.secureContext(identity, clientRootCAs));
    this.identity = identity;
    this.roots = clientRootCAs;
  }

  /**
   * Closes an admin connection whose client certificate `source` revokes, at its handshake or when a
   * CRL arrives: the client certificate is this API's only authentication (as in Fabric), so a
   * revoked admin's TLS key would otherwise still join and remove channels. Checked per connection.
   */
  refuseRevokedClients(source: TlsRevocationSource): void {
    refuseRevokedTlsConnections([this.server], source, this.logger);
  }

  /** What the listener's TLS context is made of. */
  private secureContext(identity: ServerIdentity, clientRootCAs: readonly Buffer[]): SecureContextOptions {
    return { cert: identity.cert, key: identity.key, ca: [...clientRootCAs], minVersion: 'TLSv1.2' };
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address();
    this.boundPort = typeof address === 'object' && address !== null ? address.port : this.options.port;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!(req.socket as TLSSocket).authorized) return send(res, 401, { error: 'client certificate required' });
    const url = new URL(req.url ?? '/', 'https://localhost');
    const rest = url.pathname === BASE ? '' : url.pathname.startsWith(`${BASE}/`) ? url.pathname.slice(BASE.length + 1) : undefined;
    if (rest === undefined) return send(res, 404, { error: `no such endpoint: ${url.pathname}` });

    if (rest === '') {
      if (req.method === 'GET') {
        const channels = this.registrar.list();
        // Fabric's registrar leaves its channel slice nil when it has none, which Go encodes as null.
        return send(res, 200, { systemChannel: null, channels: channels.length > 0 ? channels : null }, { 'Cache-Control': 'no-store' });
      }
      if (req.method === 'POST') return this.join(req, res);
      res.setHeader('Allow', 'GET, POST');
      return send(res, 405, { error: `invalid request method: ${req.method}` });
    }
    const channel = decodeURIComponent(rest);
    if (channel.includes('/')) return send(res, 404, { error: `no such endpoint: ${url.pathname}` });
    if (req.method === 'GET') {
      const info = this.registrar.info(channel);
      return info === undefined
        ? send(res, 404, { error: FABRIC_CHANNEL_NOT_EXIST })
        : send(res, 200, info, { 'Cache-Control': 'no-store' });
    }
    if (req.method === 'DELETE') {
      try {
        await this.registrar.remove(channel);
      } catch (err) {
        if (err instanceof OrdererError && (err.code === 'ORDERER_NOT_FOUND' || err.code === PENDING_REMOVAL)) {
          this.logger.info({ channel }, err.message);
          const notFound = err.code === 'ORDERER_NOT_FOUND';
          return send(res, notFound ? 404 : 409, { error: `cannot remove: ${notFound ? FABRIC_CHANNEL_NOT_EXIST : FABRIC_CHANNEL_PENDING_REMOVAL}` });
        }
        throw err;
      }
      res.writeHead(204);
      res.end();
      return;
    }
    res.setHeader('Allow', 'GET, DELETE');
    return send(res, 405, { error: `invalid request method: ${req.method}` });
  }

  private async join(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const type = req.headers['content-type'] ?? '';
    const boundary = /^multipart\/form-data;.*boundary="?([^";]+)"?/i.exec(type)?.[1];
    if (boundary === undefined) {
      return send(res, 400, { error: `cannot join: expected Content-Type multipart/form-data with a boundary, got ${JSON.stringify(type)}` });
    }
    const body = await readBody(req, this.options.maxRequestBodyBytes);
    if (body === undefined) {
      return send(res, 413, { error: `cannot join: request body exceeds ${this.options.maxRequestBodyBytes} bytes` });
    }
    const parts = parseMultipart(body, boundary);
    const block = parts.get('config-block');
    if (block === undefined) return send(res, 400, { error: 'cannot join: form field "config-block" is missing' });
    try {
      const info = this.registrar.join(block);
      res.setHeader('Location', info.url);
      return send(res, 201, info);
    } catch (err) {
      if (err instanceof OrdererError && (err.code === 'ORDERER_JOIN_CONFLICT' || err.code === PENDING_REMOVAL)) {
        this.logger.info(err.message);
        // Fabric's 405 names the methods the existing channel does take.
        return err.code === PENDING_REMOVAL
          ? send(res, 409, { error: `cannot join: ${FABRIC_CHANNEL_PENDING_REMOVAL}` })
          : send(res, 405, { error: `cannot join: ${FABRIC_CHANNEL_ALREADY_EXISTS}` }, { Allow: 'GET, DELETE' });
      }
      if (err instanceof OrdererError || err instanceof ProtocolError) return send(res, 400, { error: `cannot join: ${err.message}` });
      throw err;
    }
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const json = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json) });
  res.end(json);
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) over = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Fields of a multipart/form-data body by name (values as bytes). */
export function parseMultipart(body: Buffer, boundary: string): Map<string, Buffer> {
  const fields = new Map<string, Buffer>();
  const delimiter = Buffer.from(`--${boundary}`);
  let pos = body.indexOf(delimiter);
  while (pos !== -1) {
    const start = pos + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next === -1) break;
    const part = body.subarray(start + 2, next - 2); // skip CRLF after the delimiter and before the next
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd !== -1) {
      const headers = part.subarray(0, headerEnd).toString('utf8');
      const name = /content-disposition:[^\r\n]*\bname="([^"]*)"/i.exec(headers)?.[1];
      if (name !== undefined) fields.set(name, part.subarray(headerEnd + 4));
    }
    pos = next;
  }
  return fields;
}
