import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readChaincodePackage } from '../../../../core/chaincode/chaincode-package';
import { packageCcaasService } from '../../../../cli/services/chaincode/package-ccaas';
import { generateOrg, type GeneratedOrg } from '../../../../plugins/msp-x509';

/** `weft chaincode package --ccaas`'s service: flags to connection.json, the package file, the server's start line. */
describe('weft chaincode package --ccaas', () => {
  let dir: string;
  let org: GeneratedOrg;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-ccaas-cli-'));
    org = await generateOrg({ domain: 'org1.example.com', mspId: 'Org1MSP', kind: 'peer' }, dir);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes the package with the TLS files\' PEM in connection.json and prints the ID the server starts with', async () => {
    const user = org.users.User1;
    const output = path.join(dir, 'out', 'basic.tar.gz');
    const result = await packageCcaasService({
      address: 'basic.example.com:9999',
      label: 'basic_1.0',
      output,
      dialTimeout: '10s',
      tlsRootCertFile: org.tlsCaCertPath,
      tlsClientCertFile: user.tlsCertPath,
      tlsClientKeyFile: user.tlsKeyPath,
      tlsServerName: 'basic',
    });
    const pkg = await readChaincodePackage(fs.readFileSync(output));
    expect(result).toMatchObject({ file: output, label: 'basic_1.0', packageId: pkg.packageId, bytes: fs.statSync(output).size });
    expect(result.serverCommand).toContain(`CHAINCODE_ID=${pkg.packageId} CHAINCODE_SERVER_ADDRESS=0.0.0.0:9999`);
    expect(JSON.parse(Buffer.from(pkg.code.get('connection.json') as Uint8Array).toString())).toEqual({
      address: 'basic.example.com:9999',
      dial_timeout: '10s',
      tls_required: true,
      client_auth_required: true,
      root_cert: fs.readFileSync(org.tlsCaCertPath, 'utf8'),
      client_key: fs.readFileSync(user.tlsKeyPath, 'utf8'),
      client_cert: fs.readFileSync(user.tlsCertPath, 'utf8'),
      domain: 'basic',
    });
  });

  it('keeps a templated address for each peer to fill in, and says which port the server listens on', async () => {
    const output = path.join(dir, 'templated.tar.gz');
    const result = await packageCcaasService({ address: '{{.peername}}-basic:{{.port}}', label: 'basic_1.0', output });
    const pkg = await readChaincodePackage(fs.readFileSync(output));
    expect(JSON.parse(Buffer.from(pkg.code.get('connection.json') as Uint8Array).toString())).toMatchObject({ address: '{{.peername}}-basic:{{.port}}' });
    expect(result.serverCommand).toContain('CHAINCODE_SERVER_ADDRESS=0.0.0.0:<the port {{.port}} gives>');
  });

  it('refuses a client certificate without TLS, half a client identity and an unreadable file, naming the flag', async () => {
    const user = org.users.User1;
    const base = { address: 'cc:9999', label: 'cc_1', output: path.join(dir, 'never.tar.gz') };
    await expect(packageCcaasService({ ...base, tlsClientCertFile: user.tlsCertPath, tlsClientKeyFile: user.tlsKeyPath })).rejects.toMatchObject({ details: { field: '--tls-root-cert' } });
    await expect(packageCcaasService({ ...base, tlsRootCertFile: org.tlsCaCertPath, tlsClientCertFile: user.tlsCertPath })).rejects.toMatchObject({ details: { field: '--tls-client-key' } });
    await expect(packageCcaasService({ ...base, tlsRootCertFile: path.join(dir, 'missing.pem') })).rejects.toMatchObject({ code: 'CHAINCODE_BAD_CONNECTION', details: { field: '--tls-root-cert' } });
    await expect(packageCcaasService({ ...base, project: path.join(dir, 'nowhere') })).rejects.toMatchObject({ code: 'CHAINCODE_NOT_FOUND' });
    expect(fs.existsSync(base.output)).toBe(false);
  });
});
