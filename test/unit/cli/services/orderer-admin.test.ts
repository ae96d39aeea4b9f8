import * as fs from 'node:fs';
import * as https from 'node:https';
import { type AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { OrdererAdminClient } from '../../../../cli/services/client/orderer-admin';
import { mspTooling } from '../../../../cli/services/msp-tooling';
import { DEFAULT_INIT_OPTIONS, specFromOptions } from '../../../../cli/services/network/network-init';
import { NetworkLayout } from '../../../../cli/services/network/network-layout';

/**
 * The participation API client checks the orderer's certificate against the orderer's own name.
 * Every generated orderer certificate also names `localhost`, so checking that name let one
 * orderer (or anyone holding an orderer-org TLS server certificate) pass for another.
 */
describe('OrdererAdminClient server identity', () => {
  let tmp: string;
  let layout: NetworkLayout;
  let server: https.Server;
  let address: string;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-osnadmin-'));
    layout = new NetworkLayout(tmp, specFromOptions({ ...DEFAULT_INIT_OPTIONS, basePort: 30000 }));
    // Two orderers of one org, from one TLS CA: orderer2 answers where orderer is dialled.
    await mspTooling().generator.generateOrg({ domain: 'example.com', mspId: 'OrdererMSP', kind: 'orderer', nodes: ['orderer', 'orderer2'], users: ['Admin'] }, tmp);
    const tlsDir = path.join(layout.ordererOrgDir(), 'orderers', 'orderer2.example.com', 'tls');
    server = https.createServer(
      { cert: fs.readFileSync(path.join(tlsDir, 'server.crt')), key: fs.readFileSync(path.join(tlsDir, 'server.key')), ca: fs.readFileSync(path.join(tlsDir, 'ca.crt')), requestCert: true, rejectUnauthorized: true },
      (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"channels":[{"name":"mychannel"}]}'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("refuses a certificate that does not name the orderer it dials, and accepts the orderer's own", async () => {
    const orderer = { ...layout.orderers()[0]!, adminAddress: address };
    await expect(new OrdererAdminClient(orderer, layout).list()).rejects.toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });

    const orderer2 = { ...orderer, id: 'orderer2.example.com' };
    expect(await new OrdererAdminClient(orderer2, layout).list()).toEqual([{ name: 'mychannel' }]);
  });
});
