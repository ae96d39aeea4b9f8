import * as fs from 'node:fs';
import * as https from 'node:https';
import * as tls from 'node:tls';
import { OrdererError } from '../../../core/errors';
import { refuseRevokedServer, type TlsRevocations } from '../../../core/node/tls-revocation';
import type { NetworkLayout, NodeLayout } from '../network/network-layout';
import { keyHere, keyNotHere } from '../network/org-keys';
import { nodeServerRevocations } from './server-revocation';
import { shellWord } from '../../../core/node/shell-word';

export interface ParticipationChannel {
  readonly name: string;
  readonly status?: string;
  readonly consensusRelation?: string;
  readonly height?: number;
}

const BASE = '/participation/v1/channels';

/** Socket errors that mean the orderer could not be reached at all, as opposed to a refusal. */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT']);

/** Where an orderer's participation API listens and the orderer org Admin's TLS material (mutual TLS). */
export interface ParticipationEndpoint {
  readonly address: string;
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
  /**
   * The name the orderer's TLS certificate must carry: the node's name (`orderer.example.com`),
   * which tells one orderer from another, whatever address it is dialled at. Defaults to
   * `localhost`, which every generated certificate names (test fixtures on loopback only).
   */
  readonly serverName?: string;
  /** The TLS certificates refused from the orderer (its MSP folder's TLS CRL); none: any its CA issued. */
  readonly revoked?: TlsRevocations;
}

/** Answer of one participation API request: HTTP status and JSON body (a non-JSON body as `{error}`). */
export interface ParticipationReply {
  readonly status: number;
  readonly json: unknown;
}

/** POSTs `configBlock` as the `config-block` form field: Fabric's `osnadmin channel join`. */
export function postConfigBlock(endpoint: ParticipationEndpoint, configBlock: Uint8Array, filename = 'config.block'): Promise<ParticipationReply> {
  const boundary = `weft-${Date.now().toString(16)}`;
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="config-block"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
    Buffer.from(configBlock),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return participationRequest(endpoint, 'POST', BASE, body, `multipart/form-data; boundary=${boundary}`);
}

/** One request to the participation API; rejects only when the orderer cannot be reached. */
export function participationRequest(endpoint: ParticipationEndpoint, method: string, urlPath: string, body?: Buffer, contentType?: string): Promise<ParticipationReply> {
  const [host, port] = splitHostPort(endpoint.address);
  const serverName = endpoint.serverName ?? 'localhost';
  const revoked = endpoint.revoked;
  const checkServer = revoked === undefined ? tls.checkServerIdentity : refuseRevokedServer(() => revoked);
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host,
        port,
        method,
        path: urlPath,
        ca: endpoint.ca,
        cert: endpoint.cert,
        key: endpoint.key,
        // The name is checked explicitly: Node checks the dialled host, and an IP address (the
        // usual orderer host) would otherwise be verified instead of the orderer's name.
        servername: serverName,
        checkServerIdentity: (_host, cert) => checkServer(serverName, cert),
        timeout: 10_000,
        headers: body === undefined ? {} : { 'Content-Type': contentType, 'Content-Length': body.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let json: unknown;
          try {
            json = text.length > 0 ? JSON.parse(text) : undefined;
          } catch {
            json = { error: text };
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('no answer within 10 s'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * A client of an orderer's channel participation API (Fabric's `osnadmin channel …`), over mutual
 * TLS as the orderer org's Admin.
 */
export class OrdererAdminClient {
  private readonly endpoint: ParticipationEndpoint;
  private readonly networkDir: string;

  constructor(
    readonly node: NodeLayout,
    layout: NetworkLayout,
  ) {
    this.networkDir = layout.dir;
    const admin = layout.ordererAdmin();
    if (!keyHere(admin.tlsKeyPath)) throw keyNotHere(admin, admin.tlsKeyPath);
    this.endpoint = {
      address: node.adminAddress!,
      ca: fs.readFileSync(node.tlsRootCertPath),
      cert: fs.readFileSync(admin.tlsCertPath),
      key: fs.readFileSync(admin.tlsKeyPath),
      serverName: node.id,
      revoked: nodeServerRevocations(node),
    };
  }

  async list(): Promise<ParticipationChannel[]> {
    const r = await this.request('GET', BASE);
    const body = r.json as { channels?: ParticipationChannel[] } | undefined;
    return body?.channels ?? [];
  }

  /** The channel's info, or undefined when this orderer is not a member. */
  async info(channel: string): Promise<ParticipationChannel | undefined> {
    const r = await this.request('GET', `${BASE}/${channel}`);
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw this.failure('info', channel, r);
    return r.json as ParticipationChannel;
  }

  async join(channel: string, configBlock: Uint8Array): Promise<ParticipationChannel> {
    const r = await postConfigBlock(this.endpoint, configBlock, `${channel}.block`).catch((err: unknown) => {
      throw this.unreachable(err);
    });
    if (r.status !== 201 && r.status !== 200) throw this.failure('join', channel, r);
    return r.json as ParticipationChannel;
  }

  private request(method: string, urlPath: string): Promise<ParticipationReply> {
    return participationRequest(this.endpoint, method, urlPath).catch((err: unknown) => {
      throw this.unreachable(err);
    });
  }

  /**
   * A connection that failed (nothing listening, no route, no answer) as `ORDERER_UNREACHABLE`
   * naming the orderer: Node's bare `connect ECONNREFUSED 127.0.0.1:7051` names neither the node
   * nor its admin port. TLS refusals (a wrong or revoked server certificate) stay as they are.
   */
  private unreachable(err: unknown): unknown {
    const code = (err as { code?: unknown } | undefined)?.code;
    if (typeof code !== 'string' || !UNREACHABLE_CODES.has(code)) return err;
    return new OrdererError('ORDERER_UNREACHABLE', `orderer ${this.node.id} did not answer at its admin address ${this.endpoint.address} (${code})`, {
      orderer: this.node.id,
      address: this.endpoint.address,
      socketError: code,
      suggestions: [`is the network up? start it with: weft network up ${shellWord(this.networkDir)}`, `see the orderer's log: ${this.node.logFile}`],
    });
  }

  private failure(op: string, channel: string, r: ParticipationReply): OrdererError {
    const message = (r.json as { error?: string } | undefined)?.error ?? JSON.stringify(r.json);
    return new OrdererError('PARTICIPATION_FAILED', `orderer ${this.node.id}: ${op} channel ${channel} failed with HTTP ${r.status}: ${message}`, {
      status: r.status,
      suggestions: [`see the orderer's log: ${this.node.logFile}`],
    });
  }
}

export function splitHostPort(address: string): [string, number] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i), Number(address.slice(i + 1))];
}
