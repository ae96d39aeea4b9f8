import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { parse, stringify } from 'yaml';
import { loadOrdererConfig } from '../../../core/orderer/orderer-config';
import { OrdererNode } from '../../../core/orderer/orderer-node';
import { generateOrg, type GeneratedMember, type GeneratedOrg } from '../../../plugins/msp-x509';
import { nextOrgCrl } from '../../../plugins/msp-x509/crypto-material/org-authority';
import { writeNodeConfig } from '../orderer/orderer-fixture';

/** What a request got: the HTTP status, or the error code that ended the connection. */
type Answer = number | string;

/** GET `pathname` over a new HTTPS connection presenting `client`'s TLS certificate. */
function get(port: number, pathname: string, client: GeneratedMember): Promise<Answer> {
  return new Promise((resolve) => {
    const req = https.request(
      { host: '127.0.0.1', port, path: pathname, rejectUnauthorized: false, cert: fs.readFileSync(client.tlsCertPath), key: fs.readFileSync(client.tlsKeyPath), agent: false },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end();
  });
}

/** A TLS connection presenting `client`'s certificate, open once its handshake is done; `closed` settles when the server ends it. */
async function openTls(port: number, client: GeneratedMember): Promise<{ socket: tls.TLSSocket; closed: Promise<void> }> {
  const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, cert: fs.readFileSync(client.tlsCertPath), key: fs.readFileSync(client.tlsKeyPath) });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', () => resolve());
    socket.once('error', reject);
  });
  return { socket, closed };
}

/**
 * The orderer's HTTPS listeners refuse revoked TLS certificates as its gRPC listener does: the
 * channel participation API (whose only authentication is the client certificate) and the
 * operations endpoint close a connection whose client certificate a TLS CA's CRL lists, at its
 * handshake and, for one already open, as soon as the CRL arrives (here the local MSP's crls/ by
 * a certificate reload), with or without mutual TLS on the gRPC listener. Another certificate of
 * the same TLS CA still gets in.
 */
describe('orderer admin and operations listeners: revoked TLS client certificates', () => {
  let dir: string;
  let org: GeneratedOrg;
  let orderer: OrdererNode;
  let adminPort: number;
  let opsPort: number;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-listener-revoke-'));
    org = await generateOrg({ domain: 'example.com', mspId: 'OrdererMSP', kind: 'orderer', nodes: ['orderer'], users: ['Admin', 'Admin2'] }, dir);
    const peerOrg = await generateOrg({ domain: 'org1.example.com', mspId: 'Org1MSP', kind: 'peer', users: ['Admin'] }, dir);
    const { configFile } = writeNodeConfig({ dir, ordererOrg: org, peerOrg }, 'orderer0', { operations: true });
    const node = org.nodes.orderer!;
    const yaml = parse(fs.readFileSync(configFile, 'utf8')) as { orderer: { operations: Record<string, unknown> } };
    yaml.orderer.operations.tls = { cert: node.tlsCertPath, key: node.tlsKeyPath, clientRootCAs: [org.tlsCaCertPath], clientAuthRequired: false };
    fs.writeFileSync(configFile, stringify(yaml));
    orderer = new OrdererNode(loadOrdererConfig(configFile));
    const endpoints = await orderer.start();
    adminPort = endpoints.adminPort!;
    opsPort = Number(endpoints.operationsAddress!.split(':').pop());
  }, 60_000);

  afterAll(async () => {
    await orderer?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('closes a revoked admin certificate on the participation API and on /metrics, open connections included, and takes another', async () => {
    const revoked = org.users.Admin!;
    const kept = org.users.Admin2!;
    const channels = '/participation/v1/channels';
    expect([await get(adminPort, channels, revoked), await get(opsPort, '/metrics', revoked)]).toEqual([200, 200]);
    const openAdmin = await openTls(adminPort, revoked);
    const openOps = await openTls(opsPort, revoked);

    const crl = await nextOrgCrl({ orgDir: org.orgDir, domain: org.domain }, [fs.readFileSync(revoked.tlsCertPath)], [], 'tlsca');
    const crls = path.join(org.nodes.orderer!.mspDir, 'crls');
    fs.mkdirSync(crls, { recursive: true });
    fs.writeFileSync(path.join(crls, 'tls-crl.pem'), crl.pem);
    expect(orderer.reloadCertificates()).toMatchObject({ result: 'reloaded' });

    // Opened before the CRL: closed by it.
    const within = (closed: Promise<void>): Promise<string> => Promise.race([closed.then(() => 'closed'), new Promise<string>((r) => setTimeout(() => r('open'), 3_000))]);
    const ended = await Promise.all([within(openAdmin.closed), within(openOps.closed)]);
    openAdmin.socket.destroy();
    openOps.socket.destroy();
    expect(ended).toEqual(['closed', 'closed']);
    // New connections are closed right after their handshake: no HTTP status comes back.
    const after = [await get(adminPort, channels, revoked), await get(opsPort, '/metrics', revoked)];
    expect(after.map((a) => typeof a)).toEqual(['string', 'string']);
    expect([await get(adminPort, channels, kept), await get(opsPort, '/metrics', kept)]).toEqual([200, 200]);
  }, 30_000);
});
