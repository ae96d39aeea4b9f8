import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findFreePorts } from '../../../cli/services/free-ports';
import { json, runCli } from './run-cli';

/**
 * `weft network revoke` on a running network reloads the revoking org's running peers once it has
 * written the CRL into their local MSP folders, and says which did: their local checks refuse
 * the revoked certificate from then on, with no restart (real processes).
 */
describe('weft network revoke reloads the local MSP of the running nodes', () => {
  let tmp: string;
  let net: string;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-e2e-revoke-reload-'));
    net = path.join(tmp, 'net');
    const base = await findFreePorts(7);
    json(await runCli(['network', 'init', net, '--base-port', String(base), '--batch-timeout', '250ms', '--json']));
    expect((await runCli(['network', 'up', net])).code).toBe(0);
  }, 300_000);
  afterAll(async () => {
    await runCli(['network', 'down', net, '--grace', '5']);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("lists Org1's running peer as reloaded, none left for a restart", async () => {
    const revoked = json(await runCli(['network', 'revoke', net, '--org', 'Org1', '--user', 'User1', '--json']));
    expect(revoked).toMatchObject({ user: 'User1', reloaded: ['peer0.org1.example.com'], signalled: [], restartNeeded: [] });
    expect(fs.readFileSync(path.join(net, 'organizations', 'peerOrganizations', 'org1.example.com', 'peers', 'peer0.org1.example.com', 'msp', 'crls', 'crl.pem'), 'utf8')).toContain('BEGIN X509 CRL');
  }, 120_000);
});
