import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { OrdererClient } from '../../../core/peer/orderer/orderer-client';
import { ordererTls } from '../../../cli/services/block/orderer-block-source';
import { participationRequest } from '../../../cli/services/client/orderer-admin';
import { nodeCredentials } from '../../../cli/services/client/peer-client';
import { nodeServerRevocations } from '../../../cli/services/client/server-revocation';
import { generateOrg, type GeneratedMember, type GeneratedOrg } from '../../../plugins/msp-x509';
import { nextOrgCrl } from '../../../plugins/msp-x509/crypto-material/org-authority';

/** A method no server serves: UNIMPLEMENTED once the connection is up, UNAVAILABLE when the client refused the server. */
function probe(client: grpc.Client): Promise<grpc.status> {
  return new Promise((resolve) => {
    client.makeUnaryRequest('/weft.test.Probe/Ping', (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), { deadline: Date.now() + 5_000 }, (err) => resolve(err?.code ?? grpc.status.OK));
  });
}

/**
 * The CLI refuses a node whose TLS server certificate the node's MSP folder revokes (the TLS CA's
 * CRL `weft network revoke`, `renew --revoke-old` and `remove-peer` write to `crls/tls-crl.pem`):
 * on its gRPC connections to peers and orderers and on the orderer admin API, reading no channel
 * config. Each is checked against a real TLS server on loopback presenting the node's certificate.
 */
describe('CLI connections: revoked TLS server certificates', () => {
  let dir: string;
  let org: GeneratedOrg;
  let node: { id: string; mspDir: string; tlsRootCertPath: string };
  let server: grpc.Server;
  let admin: https.Server;
  let grpcPort: number;
  let adminPort: number;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-cli-revoke-'));
    org = await generateOrg({ domain: 'org1.example.com', mspId: 'Org1MSP', kind: 'peer', users: ['Admin'] }, dir);
    const peer: GeneratedMember = org.nodes.peer0!;
    node = { id: peer.name, mspDir: peer.mspDir, tlsRootCertPath: peer.tlsCaPath };
    server = new grpc.Server();
    const creds = grpc.ServerCredentials.createSsl(null, [{ cert_chain: fs.readFileSync(peer.tlsCertPath), private_key: fs.readFileSync(peer.tlsKeyPath) }], false);
    grpcPort = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', creds, (err, port) => (err ? reject(err) : resolve(port))));
    admin = https.createServer({ cert: fs.readFileSync(peer.tlsCertPath), key: fs.readFileSync(peer.tlsKeyPath) }, (_req, res) => res.end('{"channels":[]}'));
    await new Promise<void>((resolve) => admin.listen(0, '127.0.0.1', resolve));
    adminPort = (admin.address() as { port: number }).port;
  }, 30_000);

  afterAll(async () => {
    server?.forceShutdown();
    await new Promise<void>((resolve) => (admin === undefined ? resolve() : admin.close(() => resolve())));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** What each CLI client gets from the node: the gRPC probe's status, an orderer connection's readiness, the admin API's HTTP status or error. */
  const dialAll = async (): Promise<[grpc.status, boolean, number | string]> => {
    const peerClient = new grpc.Client(`127.0.0.1:${grpcPort}`, nodeCredentials(node, { tls: true }), { 'grpc.ssl_target_name_override': node.id });
    const user = org.users.Admin!;
    const orderer = new OrdererClient(`127.0.0.1:${grpcPort}`, ordererTls({ spec: { tls: true, mutualTls: false } } as Parameters<typeof ordererTls>[0], node, user));
    try {
      const endpoint = { address: `127.0.0.1:${adminPort}`, ca: fs.readFileSync(node.tlsRootCertPath), cert: fs.readFileSync(user.tlsCertPath), key: fs.readFileSync(user.tlsKeyPath), serverName: node.id };
      const adminAnswer = await participationRequest({ ...endpoint, revoked: nodeServerRevocations(node) }, 'GET', '/participation/v1/channels').then(
        (r) => r.status,
        (err: Error) => err.message,
      );
      return [await probe(peerClient), await orderer.ready(5_000), adminAnswer];
    } finally {
      peerClient.close();
      orderer.close();
    }
  };

  it('dials a node its MSP folder does not revoke, and refuses it once crls/ holds its TLS CA CRL listing its certificate', async () => {
    expect(await dialAll()).toEqual([grpc.status.UNIMPLEMENTED, true, 200]);

    const crl = await nextOrgCrl({ orgDir: org.orgDir, domain: org.domain }, [fs.readFileSync(org.nodes.peer0!.tlsCertPath)], [], 'tlsca');
    fs.mkdirSync(path.join(node.mspDir, 'crls'), { recursive: true });
    fs.writeFileSync(path.join(node.mspDir, 'crls', 'tls-crl.pem'), crl.pem);

    const [status, ready, adminAnswer] = await dialAll();
    expect([status, ready]).toEqual([grpc.status.UNAVAILABLE, false]);
    expect(adminAnswer).toEqual(expect.stringContaining('is on the CRL of TLS CA'));
  }, 30_000);
});
