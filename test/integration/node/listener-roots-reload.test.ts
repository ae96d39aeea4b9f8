import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { loadOrdererConfig } from '../../../core/orderer/orderer-config';
import { OrdererNode } from '../../../core/orderer/orderer-node';
import { generateOrg, type GeneratedMember, type GeneratedOrg } from '../../../plugins/msp-x509';
import { generateMaterial, type Material, writeNodeConfig } from '../orderer/orderer-fixture';
import { type ReloadingOperations, startReloadingOperations } from './reloading-operations-fixture';

/** What a request got: the HTTP status, or the TLS error that ended the handshake. */
type Answer = number | string;

/** GET `pathname` over HTTPS presenting `client`'s TLS certificate (server certificate not checked: the roots under test are the client ones). */
function get(port: number, pathname: string, client: GeneratedMember, agent?: https.Agent): Promise<Answer> {
  return new Promise((resolve) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path: pathname,
        rejectUnauthorized: false,
        cert: fs.readFileSync(client.tlsCertPath),
        key: fs.readFileSync(client.tlsKeyPath),
        ...(agent === undefined ? { agent: false } : { agent }),
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end();
  });
}

/**
 * A renewed (or replaced) client CA root taken without a restart: the operations endpoint's and the
 * orderer admin listener's client root files are re-read by the certificate reload, as the gRPC
 * listener's are. After the file is swapped and the node reloads, a client certificate of the new
 * root is taken and one of the old root only is refused, on new connections; a connection made
 * before keeps working; a root file that does not parse refuses the whole reload, naming its config
 * field, and the listener keeps its roots.
 */
describe('operations and admin listeners: client CA roots reload', () => {
  let dir: string;
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-roots-reload-'));
  });

  describe('operations endpoint', () => {
    let org1: GeneratedOrg;
    let org2: GeneratedOrg;
    let endpoint: ReloadingOperations;
    let rootFile: string;
    const port = (): number => endpoint.port();
    const reloader = () => endpoint.reloader;

    beforeAll(async () => {
      org1 = await generateOrg({ domain: 'org1.example.com', mspId: 'Org1MSP', kind: 'peer', users: ['Admin'] }, path.join(dir, 'ops'));
      org2 = await generateOrg({ domain: 'org2.example.com', mspId: 'Org2MSP', kind: 'peer', users: ['Admin'] }, path.join(dir, 'ops'));
      rootFile = path.join(dir, 'ops-client-roots.pem');
      fs.copyFileSync(org1.tlsCaCertPath, rootFile);
      endpoint = await startReloadingOperations(org1, [rootFile]);
    });
    afterAll(async () => {
      await endpoint?.stop();
    });

    it('takes clients of the new root on /metrics after the file is swapped and reloaded, refuses those of the old root only, and keeps an open connection', async () => {
      const oldClient = org1.users.Admin!;
      const newClient = org2.users.Admin!;
      const kept = new https.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        expect(await get(port(), '/metrics', oldClient, kept)).toBe(200);
        expect(await get(port(), '/metrics', newClient)).toBe(401);

        // Not a certificate: refused naming the field; the endpoint keeps the roots it had.
        fs.writeFileSync(rootFile, 'not a certificate\n');
        expect(reloader().reload()).toMatchObject({ result: 'refused', file: rootFile, reason: expect.stringContaining('peer.operations.tls.rootCertFiles[0]') });
        expect(await get(port(), '/metrics', oldClient)).toBe(200);

        fs.copyFileSync(org2.tlsCaCertPath, rootFile);
        expect(reloader().reload()).toEqual({ result: 'reloaded', changed: [], clientRootFiles: [rootFile] });
        expect(await get(port(), '/metrics', newClient)).toBe(200);
        expect(await get(port(), '/metrics', oldClient)).toBe(401);
        // The connection made before the reload was authorized by its handshake: it goes on until it closes.
        expect(await get(port(), '/metrics', oldClient, kept)).toBe(200);
        expect(reloader().reload()).toEqual({ result: 'unchanged' });
      } finally {
        kept.destroy();
      }
    });
  });

  describe('orderer admin (channel participation) listener', () => {
    let m: Material;
    let orderer: OrdererNode;
    let adminPort: number;
    let rootFile: string;
    const channels = '/participation/v1/channels';

    beforeAll(async () => {
      m = await generateMaterial(path.join(dir, 'orderer'));
      const { configFile } = writeNodeConfig(m, 'orderer0');
      rootFile = path.join(dir, 'admin-client-roots.pem');
      fs.copyFileSync(m.ordererOrg.tlsCaCertPath, rootFile);
      const yaml = parse(fs.readFileSync(configFile, 'utf8')) as { orderer: { admin: { tls: { clientRootCAs: string[] } } } };
      yaml.orderer.admin.tls.clientRootCAs = [rootFile];
      fs.writeFileSync(configFile, stringify(yaml));
      orderer = new OrdererNode(loadOrdererConfig(configFile));
      adminPort = (await orderer.start()).adminPort!;
    }, 60_000);
    afterAll(async () => {
      await orderer?.stop();
    });

    it('takes admins of the new root after the file is swapped and reloaded, and refuses those of the old root only', async () => {
      const ordererAdmin = m.ordererOrg.users.Admin!;
      const peerAdmin = m.peerOrg.users.Admin!;
      expect(await get(adminPort, channels, ordererAdmin)).toBe(200);
      // Mutual TLS is always on here: a client of another root is refused in the handshake.
      expect(await get(adminPort, channels, peerAdmin)).not.toBe(200);

      fs.writeFileSync(rootFile, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
      expect(orderer.reloadCertificates()).toMatchObject({ result: 'refused', file: rootFile, reason: expect.stringContaining('orderer.admin.tls.clientRootCAs[0]') });
      expect(await get(adminPort, channels, ordererAdmin)).toBe(200);

      fs.copyFileSync(m.peerOrg.tlsCaCertPath, rootFile);
      expect(orderer.reloadCertificates()).toEqual({ result: 'reloaded', changed: [], clientRootFiles: [rootFile] });
      expect(await get(adminPort, channels, peerAdmin)).toBe(200);
      expect(await get(adminPort, channels, ordererAdmin)).not.toBe(200);
    }, 30_000);
  });
});
