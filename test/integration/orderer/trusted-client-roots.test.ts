import * as fs from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadOrdererConfig } from '../../../core/orderer/orderer-config';
import { OrdererNode } from '../../../core/orderer/orderer-node';
import { generateOrg, loadMspConfig, type GeneratedOrg } from '../../../plugins/msp-x509';
import { adminRequest, generateMaterial, genesisBlock, tmpDir, writeNodeConfig, type Material } from './orderer-fixture';

/** A method the orderer does not serve: UNIMPLEMENTED once the TLS handshake took the client, UNAVAILABLE when it refused it. */
function probe(client: grpc.Client): Promise<grpc.status> {
  return new Promise((resolve) => {
    client.makeUnaryRequest('/weft.test.Probe/Ping', (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), { deadline: Date.now() + 5_000 }, (err) =>
      resolve(err?.code ?? grpc.status.OK),
    );
  });
}

/**
 * A mutual-TLS orderer trusts the TLS CAs of the orgs of the channels it serves (Fabric's
 * `caManager.updateTrustedRoots`), beyond its YAML's `clientRootCAs`: Org2 is in neither until the
 * orderer joins a channel naming it, stays trusted across a restart (the channel reopens), and is
 * refused again once the orderer leaves the channel.
 */
describe('orderer under mutual TLS: client roots follow the channels it serves', () => {
  let dir: string;
  let m: Material;
  let org2: GeneratedOrg;
  let orderer: OrdererNode | undefined;
  const clients: grpc.Client[] = [];

  /** A fresh connection (no shared subchannel) presenting Org2 User1's TLS certificate. */
  const org2Probe = (port: number): Promise<grpc.status> => {
    const user = org2.users.User1!;
    const creds = grpc.credentials.createSsl(fs.readFileSync(m.ordererOrg.tlsCaCertPath), fs.readFileSync(user.tlsKeyPath), fs.readFileSync(user.tlsCertPath));
    const client = new grpc.Client(`127.0.0.1:${port}`, creds, { 'grpc.ssl_target_name_override': 'localhost', 'grpc.use_local_subchannel_pool': 1 });
    clients.push(client);
    return probe(client);
  };

  beforeAll(async () => {
    dir = tmpDir('weft-orderer-mtls-roots-');
    m = await generateMaterial(dir);
    org2 = await generateOrg({ domain: 'org2.example.com', mspId: 'Org2MSP', kind: 'peer', users: ['User1'] }, path.join(dir, 'org2'));
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await orderer?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('takes an org from the moment it joins a channel naming it, after a restart too, and refuses it once the channel is removed', async () => {
    const configFile = writeNodeConfig(m, 'orderer0', { mutualTls: true }).configFile;
    orderer = new OrdererNode(loadOrdererConfig(configFile));
    let { grpcPort, adminPort } = await orderer.start();
    expect(await org2Probe(grpcPort)).toBe(grpc.status.UNAVAILABLE);

    const genesis = genesisBlock(m, 'beta', {
      applicationOrgs: [
        { mspId: 'Org1MSP', mspConfig: loadMspConfig(m.peerOrg.mspDir, 'Org1MSP') },
        { mspId: 'Org2MSP', mspConfig: loadMspConfig(org2.mspDir, 'Org2MSP') },
      ],
    });
    const join = await adminRequest(m, adminPort!, 'POST', '/participation/v1/channels', { field: 'config-block', bytes: genesis });
    expect(join.status).toBe(201);
    expect(await org2Probe(grpcPort)).toBe(grpc.status.UNIMPLEMENTED);

    await orderer.stop();
    orderer = new OrdererNode(loadOrdererConfig(configFile));
    ({ grpcPort, adminPort } = await orderer.start());
    expect(await org2Probe(grpcPort)).toBe(grpc.status.UNIMPLEMENTED);

    expect((await adminRequest(m, adminPort!, 'DELETE', '/participation/v1/channels/beta')).status).toBe(204);
    expect(await org2Probe(grpcPort)).toBe(grpc.status.UNAVAILABLE);
  }, 60_000);
});
