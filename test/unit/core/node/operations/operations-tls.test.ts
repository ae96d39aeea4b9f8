import * as https from 'node:https';
import pino from 'pino';
import { NodeLogging } from '../../../../../core/node/logger';
import { OperationsServer, type OperationsTls } from '../../../../../core/node/operations/operations-server';
import { CertificateAuthority } from '../../../../../plugins/msp-x509';

interface Pem {
  certPem: string;
  keyPem: string;
}

/** One HTTPS request; resolves with the status and body, rejects when the handshake fails. */
function request(address: string, path: string, ca: string, client?: Pem, init: { method?: string; body?: string } = {}): Promise<{ status: number; body: string }> {
  const i = address.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: address.slice(0, i), port: Number(address.slice(i + 1)), path, method: init.method ?? 'GET', ca, servername: 'localhost', ...(client && { cert: client.certPem, key: client.keyPem }) },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

describe('operations server over TLS', () => {
  const logging = new NodeLogging('warn', {}, pino(pino.destination({ dest: '/dev/null', sync: true })));
  let ca: CertificateAuthority;
  let server: Pem;
  let client: Pem;
  let stranger: Pem;
  const started: OperationsServer[] = [];

  async function start(clientAuthRequired: boolean): Promise<string> {
    const tls: OperationsTls = { cert: Buffer.from(server.certPem), key: Buffer.from(server.keyPem), clientRootCAs: [Buffer.from(ca.certPem)], clientAuthRequired };
    const ops = new OperationsServer({ listenAddress: '127.0.0.1:0', version: '1.0.0', logging, tls });
    await ops.start();
    started.push(ops);
    return ops.address();
  }

  beforeAll(async () => {
    ca = await CertificateAuthority.createRoot({ commonName: 'tlsca.ops.test', organization: 'ops.test' });
    server = await ca.issue({ commonName: 'peer0.ops.test', usage: 'tls', subjectAltNames: ['localhost', '127.0.0.1'] });
    client = await ca.issue({ commonName: 'Admin@ops.test', usage: 'tls' });
    const otherCa = await CertificateAuthority.createRoot({ commonName: 'tlsca.other.test', organization: 'other.test' });
    stranger = await otherCa.issue({ commonName: 'Admin@other.test', usage: 'tls' });
  });
  afterAll(async () => {
    for (const s of started) await s.stop();
  });

  it('serves /healthz and /version to anyone, and /metrics and /logspec only to clients with a certificate from its roots', async () => {
    const address = await start(false);
    expect((await request(address, '/healthz', ca.certPem)).status).toBe(200);
    expect(JSON.parse((await request(address, '/version', ca.certPem)).body)).toMatchObject({ Version: '1.0.0' });

    for (const path of ['/metrics', '/logspec']) {
      const anonymous = await request(address, path, ca.certPem);
      expect(anonymous.status).toBe(401);
      expect(JSON.parse(anonymous.body).error).toContain('needs a client certificate');
      expect((await request(address, path, ca.certPem, stranger)).status).toBe(401);
    }
    expect((await request(address, '/metrics', ca.certPem, client)).body).toContain('process_cpu_user_seconds_total');
    expect((await request(address, '/logspec', ca.certPem, client, { method: 'PUT', body: '{"spec":"error"}' })).status).toBe(204);
    expect(logging.spec).toBe('error');
    expect((await request(address, '/logspec', ca.certPem, stranger, { method: 'PUT', body: '{"spec":"debug"}' })).status).toBe(401);
    expect(logging.spec).toBe('error');
  });

  it('with clientAuthRequired, refuses the handshake of a client without a certificate, for every resource', async () => {
    const address = await start(true);
    await expect(request(address, '/healthz', ca.certPem)).rejects.toThrow();
    expect((await request(address, '/healthz', ca.certPem, client)).status).toBe(200);
  });
});
