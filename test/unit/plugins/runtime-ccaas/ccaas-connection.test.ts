import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_DIAL_TIMEOUT_MS, parseConnectionJson, parseGoDuration } from '../../../../core/chaincode/ccaas-connection';
import { ChaincodeError } from '../../../../core/errors';
import { generateOrg, type GeneratedOrg } from '../../../../plugins/msp-x509';

const json = (value: unknown): Uint8Array => Buffer.from(JSON.stringify(value));

/** The error `connection.json` holding `value` gets. */
function refusal(value: unknown, packageId?: string): ChaincodeError {
  try {
    parseConnectionJson(json(value), packageId);
  } catch (err) {
    expect(err).toBeInstanceOf(ChaincodeError);
    expect((err as ChaincodeError).code).toBe('CHAINCODE_BAD_CONNECTION');
    return err as ChaincodeError;
  }
  throw new Error(`${JSON.stringify(value)} was accepted`);
}

describe('Go durations, as time.ParseDuration reads them', () => {
  it.each([
    ['10s', 10_000],
    ['1m30s', 90_000],
    ['1.5s', 1_500],
    ['250ms', 250],
    ['1h', 3_600_000],
    ['2us', 0.002],
    ['0', 0],
    ['-3s', -3_000],
  ])('%s is %d ms', (text, ms) => expect(parseGoDuration(text)).toBeCloseTo(ms, 6));

  it.each(['', '10', 's', '10 s', 'ten seconds', '1d', '1.2.3s'])('%j is none', (text) => expect(parseGoDuration(text)).toBeUndefined());
});

describe('connection.json', () => {
  let dir: string;
  let org: GeneratedOrg;
  const pem = (file: string): string => fs.readFileSync(file, 'utf8');

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-ccaas-conn-'));
    org = await generateOrg({ domain: 'org1.example.com', mspId: 'Org1MSP', kind: 'peer' }, dir);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('takes an address with Fabric\'s 3 s dial timeout by default, a Go duration or nanoseconds otherwise', () => {
    expect(parseConnectionJson(json({ address: 'basic.example.com:9999' }))).toEqual({ address: 'basic.example.com:9999', dialTimeoutMs: DEFAULT_DIAL_TIMEOUT_MS });
    expect(parseConnectionJson(json({ address: '[::1]:9999', dial_timeout: '10s' }))).toEqual({ address: '[::1]:9999', dialTimeoutMs: 10_000 });
    expect(parseConnectionJson(json({ address: '10.0.0.1:7052', dial_timeout: 2e9 })).dialTimeoutMs).toBe(2_000);
    expect(parseConnectionJson(json({ address: 'cc:1', dial_timeout: '0s' })).dialTimeoutMs).toBe(DEFAULT_DIAL_TIMEOUT_MS);
  });

  it.each([
    [{}, 'address', 'is missing'],
    [{ address: '' }, 'address', 'is missing'],
    [{ address: 9999 }, 'address', 'must be a string'],
    [{ address: 'localhost' }, 'address', 'must be host:port'],
    [{ address: 'localhost:0' }, 'address', 'port from 1 to 65535'],
    [{ address: 'localhost:70000' }, 'address', 'port from 1 to 65535'],
    [{ address: '::1:9999' }, 'address', 'must be host:port'],
    [{ address: '{{.peername' }, 'address', 'unclosed action'],
    [{ address: 'cc:9999', dial_timeout: 'ten seconds' }, 'dial_timeout', 'must be a Go duration'],
    [{ address: 'cc:9999', dial_timeout: '-1s' }, 'dial_timeout', 'must not be negative'],
    [{ address: 'cc:9999', dial_timeout: true }, 'dial_timeout', 'received boolean'],
    [{ address: 'cc:9999', tls_required: 'yes' }, 'tls_required', 'must be true or false'],
    [{ address: 'cc:9999', tls_required: true }, 'root_cert', 'is missing'],
    [{ address: 'cc:9999', tls_required: true, root_cert: 'not a certificate' }, 'root_cert', 'is not a PEM certificate'],
    [{ address: 'cc:9999', client_auth_required: true }, 'client_auth_required', 'needs TLS'],
    [{ address: 'cc:9999', domain: 7 }, 'domain', 'must be a string'],
  ])('refuses %j naming %s', (value, field, problem) => {
    const err = refusal(value, 'svc_1:ab');
    expect(err.details).toEqual({ field, packageId: 'svc_1:ab' });
    expect(err.message).toContain(`connection.json of package svc_1:ab: "${field}" `);
    expect(err.message).toContain(problem);
  });

  it('refuses what is not a JSON object', () => {
    expect(() => parseConnectionJson(Buffer.from('{address'))).toThrow(/connection.json is not JSON/);
    expect(refusal(['cc:9999']).message).toContain('received an array');
  });

  it('takes TLS with a root certificate, and client authentication with a matching certificate and key', () => {
    const rootCert = pem(org.tlsCaCertPath);
    expect(parseConnectionJson(json({ address: 'cc:9999', tls_required: true, root_cert: rootCert, domain: 'cc.example.com' }))).toEqual({
      address: 'cc:9999',
      dialTimeoutMs: DEFAULT_DIAL_TIMEOUT_MS,
      tls: { rootCert, serverName: 'cc.example.com' },
    });
    const user = org.users.User1;
    const mutual = { address: 'cc:9999', tls_required: true, client_auth_required: true, root_cert: rootCert, client_cert: pem(user.tlsCertPath), client_key: pem(user.tlsKeyPath) };
    expect(parseConnectionJson(json(mutual)).tls).toEqual({ rootCert, clientCert: mutual.client_cert, clientKey: mutual.client_key });
    expect(refusal({ ...mutual, client_cert: undefined }).details).toEqual({ field: 'client_cert' });
    expect(refusal({ ...mutual, client_key: 'garbage' }).message).toContain('"client_key" is not a PEM private key');
    expect(refusal({ ...mutual, client_key: pem(org.users.Admin.tlsKeyPath) }).message).toContain('"client_key" is not the private key of "client_cert"');
  });
});
