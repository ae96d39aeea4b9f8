import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { generateOrg, type GeneratedOrg } from '../../../plugins/msp-x509';
import { renewOrgMember } from '../../../plugins/msp-x509/crypto-material/org-authority';
import { type ReloadingOperations, startReloadingOperations } from './reloading-operations-fixture';

/**
 * The operations endpoint over HTTPS takes a renewed certificate with the node's reload, and serves
 * the reload itself as `POST /reload-certificates`, to clients with a certificate of its client
 * roots only (as `PUT /logspec`).
 */
describe('operations endpoint: certificate reload', () => {
  let dir: string;
  let org: GeneratedOrg;
  let endpoint: ReloadingOperations;

  const peer = () => org.nodes.peer0!;
  const admin = () => org.users.Admin!;
  const port = (): number => endpoint.port();
  const der = (file: string): Buffer => new X509Certificate(fs.readFileSync(file)).raw;
  const served = (): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port: port(), rejectUnauthorized: false });
      socket.once('secureConnect', () => {
        resolve(socket.getPeerCertificate().raw);
        socket.destroy();
      });
      socket.once('error', reject);
    });
  const post = (withClientCert: boolean): Promise<{ status: number; body: Record<string, unknown> }> =>
    new Promise((resolve, reject) => {
      const req = https.request(
        {
          host: '127.0.0.1',
          port: port(),
          method: 'POST',
          path: '/reload-certificates',
          ca: fs.readFileSync(org.tlsCaCertPath),
          checkServerIdentity: () => undefined,
          ...(withClientCert && { cert: fs.readFileSync(admin().tlsCertPath), key: fs.readFileSync(admin().tlsKeyPath) }),
        },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) as Record<string, unknown> }));
        },
      );
      req.on('error', reject);
      req.end();
    });

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-ops-reload-'));
    org = await generateOrg({ domain: 'org1.example.com', mspId: 'Org1MSP', kind: 'peer', users: ['Admin'] }, dir);
    endpoint = await startReloadingOperations(org, [org.tlsCaCertPath]);
  });

  afterAll(async () => {
    await endpoint?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a client without a certificate of its roots, answers unchanged files with 200, and serves a renewed certificate after a reload', async () => {
    expect((await post(false)).status).toBe(401);
    expect(await post(true)).toEqual({ status: 200, body: { result: 'unchanged' } });

    const old = der(peer().tlsCertPath);
    expect((await served()).equals(old)).toBe(true);
    const copy = path.join(dir, 'renewed');
    await renewOrgMember({ orgDir: org.orgDir, domain: org.domain }, peer().dir, copy);
    fs.renameSync(peer().dir, `${copy}.old`);
    fs.renameSync(copy, peer().dir);

    const reloaded = await post(true);
    expect(reloaded).toMatchObject({ status: 200, body: { result: 'reloaded', changed: [{ certificate: 'enrollment' }, { certificate: 'tls_operations' }] } });
    expect((await served()).equals(der(peer().tlsCertPath))).toBe(true);
    expect(endpoint.reloader.signer.idBytes).toEqual(new Uint8Array(fs.readFileSync(peer().signCertPath)));

    // A key that is not the certificate's: 422 with the file and the reason, the server keeps its certificate.
    fs.copyFileSync(admin().tlsKeyPath, peer().tlsKeyPath);
    expect(await post(true)).toMatchObject({ status: 422, body: { result: 'refused', file: peer().tlsKeyPath, reason: expect.stringContaining('not the one of the TLS certificate') } });
    expect((await served()).equals(der(peer().tlsCertPath))).toBe(true);
  });
});
