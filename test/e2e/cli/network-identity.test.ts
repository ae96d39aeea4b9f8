import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { findFreePorts } from '../../../cli/services/free-ports';
import { parseConfigBlock } from '../../../core/protocol/config-parse';
import { orgCrlRevokes } from '../../../plugins/msp-x509/crypto-material/org-authority';
import { type CliResult, errorOf, json, REPO, runCli } from './run-cli';

/**
 * `weft network add-user` and `weft network revoke` on a running 2-org network (real processes,
 * one network for the file): a user added to Org1 invokes and queries at once; revoked, its
 * proposals are refused by the peers on every channel of Org1 while User1 keeps working; refusals
 * (no CA key here, the Admin, an unknown or already revoked user) change nothing.
 */
describe('weft network add-user / revoke (2 orgs, real processes)', () => {
  let tmp: string;
  let net: string;
  /** An export of net for Org1 made while User2 was listed: a host that still holds User2's key after the revocation. */
  let org1Host: string;
  const networkFile = (dir = net): string => fs.readFileSync(path.join(dir, 'network.yaml'), 'utf8');
  const usersOf = (org: string, dir = net): string[] =>
    (parseYaml(networkFile(dir)) as { orgs: { name: string; users: string[] }[] }).orgs.find((o) => o.name === org)!.users;
  const orgDir = (dir = net): string => path.join(dir, 'organizations', 'peerOrganizations', 'org1.example.com');
  const user2Cert = (): Buffer => fs.readFileSync(path.join(orgDir(), 'users', 'User2@org1.example.com', 'msp', 'signcerts', 'User2@org1.example.com-cert.pem'));
  /** Whether the channel's latest config has an Org1MSP revocation_list that revokes User2 (as Fabric's MSP decides it). */
  const channelRevokesUser2 = async (channel: string): Promise<boolean> => {
    const file = path.join(tmp, `${channel}-config.block`);
    json(await runCli(['channel', 'fetch', net, 'config', '--channel', channel, '-o', file, '--json']));
    const crls = parseConfigBlock(fs.readFileSync(file)).msps.get('Org1MSP')!.getRevocationListList_asU8();
    return orgCrlRevokes({ orgDir: orgDir(), domain: 'org1.example.com' }, user2Cert(), crls);
  };
  const invoke = (dir: string, user: string, id: string): Promise<CliResult> =>
    runCli(['chaincode', 'invoke', dir, '--name', 'basic', '--org', 'Org1', '--user', user, 'CreateAsset', id, 'blue', '3', user, '10', '--json']);
  const query = (dir: string, user: string, id: string): Promise<CliResult> =>
    runCli(['chaincode', 'query', dir, '--name', 'basic', '--org', 'Org1', '--user', user, 'ReadAsset', id, '--json']);

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-e2e-identity-'));
    net = path.join(tmp, 'net');
    org1Host = path.join(tmp, 'org1-host');
    const base = await findFreePorts(7);
    json(await runCli(['network', 'init', net, '--base-port', String(base), '--batch-timeout', '250ms', '--json']));
    expect((await runCli(['network', 'up', net])).code).toBe(0);
    json(await runCli(['channel', 'create', net, 'second', '--json']));
    const project = path.join(REPO, 'chaincode-examples', 'asset-transfer');
    json(await runCli(['chaincode', 'deploy', net, project, '--name', 'basic', '--json'], { timeoutMs: 180_000 }));
  }, 300_000);
  afterAll(async () => {
    await runCli(['network', 'down', net, '--grace', '5']);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('refuses a bad name, an existing one, an unknown org: the field named, network.yaml byte-identical', async () => {
    const before = networkFile();
    expect(errorOf(await runCli(['network', 'add-user', net, '--org', 'Org1', '--name', 'user-2', '--json']))).toMatchObject({ code: 'BAD_USER_NAME', details: { field: '--name' } });
    expect(errorOf(await runCli(['network', 'add-user', net, '--org', 'Org1', '--name', 'user1', '--json']))).toMatchObject({
      code: 'USER_EXISTS',
      message: expect.stringContaining('already has a user User1'),
    });
    expect(errorOf(await runCli(['network', 'add-user', net, '--org', 'Org9', '--name', 'User2', '--json']))).toMatchObject({ code: 'UNKNOWN_ORG', details: { field: '--org' } });
    expect(networkFile()).toBe(before);
    expect(fs.existsSync(path.join(orgDir(), 'users', 'User2@org1.example.com'))).toBe(false);
  });

  it('adds User2 to Org1: it invokes and queries at once, with no config update', async () => {
    const added = json(await runCli(['network', 'add-user', net, '--org', 'Org1', '--name', 'User2', '--json']));
    expect(added).toMatchObject({ org: 'Org1', mspId: 'Org1MSP', users: [{ name: 'User2', id: 'User2@org1.example.com' }] });
    expect(usersOf('Org1')).toEqual(['Admin', 'User1', 'User2']);
    expect(networkFile()).toContain('# Peer organizations'); // rendered through the documented template, comments kept
    expect(fs.statSync(path.join(orgDir(), 'users', 'User2@org1.example.com', 'msp', 'keystore', 'priv_sk')).mode & 0o777).toBe(0o600);
    expect(json(await invoke(net, 'User2', 'u2'))).toMatchObject({ valid: true });
    expect((json(await query(net, 'User2', 'u2')).json as { Owner: string }).Owner).toBe('User2');
    expect(json(await runCli(['channel', 'info', net, '--json']))).toMatchObject({ configBlock: 0 });
  });

  it('refuses where the CA key is not (an exported directory), the Admin, an unknown user: nothing changes', async () => {
    json(await runCli(['network', 'export', net, org1Host, '--org', 'Org1', '--json']));
    const exported = networkFile(org1Host);
    // The copy holds User2's key and works for it, until the revocation below.
    expect((json(await query(org1Host, 'User2', 'u2')).json as { Owner: string }).Owner).toBe('User2');
    const before = networkFile();
    for (const args of [
      ['network', 'add-user', org1Host, '--org', 'Org1', '--name', 'User3'],
      ['network', 'revoke', org1Host, '--org', 'Org1', '--user', 'User2'],
    ]) {
      const err = errorOf(await runCli([...args, '--json']));
      expect(err).toMatchObject({ code: 'CA_KEY_NOT_HERE', message: expect.stringContaining(path.join(orgDir(org1Host), 'ca', 'priv_sk')) });
      expect(err.details.suggestions).toEqual(expect.arrayContaining([expect.stringContaining('the directory weft network init made')]));
    }
    expect(errorOf(await runCli(['network', 'revoke', net, '--org', 'Org1', '--user', 'Admin', '--json']))).toMatchObject({ code: 'CANNOT_REVOKE_ADMIN', details: { field: '--user' } });
    expect(errorOf(await runCli(['network', 'revoke', net, '--org', 'Org1', '--user', 'Nobody', '--json']))).toMatchObject({ code: 'UNKNOWN_USER', details: { field: '--user' } });
    expect(networkFile(org1Host)).toBe(exported);
    expect(networkFile()).toBe(before);
    expect(fs.existsSync(path.join(orgDir(), 'msp', 'crls'))).toBe(false);
  });

  it("revokes User2: every channel of Org1 gets the CRL, the peers refuse User2's invoke and query, User1 still works", async () => {
    expect(await channelRevokesUser2('mychannel')).toBe(false);
    const revoked = json(await runCli(['network', 'revoke', net, '--org', 'Org1', '--user', 'User2', '--json']));
    expect(revoked).toMatchObject({ org: 'Org1', user: 'User2', crlNumber: 1, channels: [{ channel: 'mychannel' }, { channel: 'second' }] });
    expect(revoked.revokedSerials).toEqual([revoked.serialNumber]);
    expect(await channelRevokesUser2('mychannel')).toBe(true);
    expect(await channelRevokesUser2('second')).toBe(true);
    expect(usersOf('Org1')).toEqual(['Admin', 'User1']);
    expect(fs.readFileSync(path.join(orgDir(), 'msp', 'crls', 'crl.pem'), 'utf8')).toContain('BEGIN X509 CRL');
    expect(fs.existsSync(path.join(orgDir(), 'peers', 'peer0.org1.example.com', 'msp', 'crls', 'crl.pem'))).toBe(true);
    // Its TLS certificate too, on the org TLS CA's CRL (Weft's nodes refuse connections presenting it); no identity is revoked by that CRL.
    const user2Tls = new X509Certificate(fs.readFileSync(path.join(orgDir(), 'users', 'User2@org1.example.com', 'tls', 'client.crt')));
    expect(revoked.tls).toEqual({ serialNumber: user2Tls.serialNumber.replace(/^0+(?=.)/, ''), crlNumber: 1 });
    expect(orgCrlRevokes({ orgDir: orgDir(), domain: 'org1.example.com' }, user2Tls.raw, [fs.readFileSync(path.join(orgDir(), 'peers', 'peer0.org1.example.com', 'msp', 'crls', 'tls-crl.pem'))], 'tlsca')).toBe(true);

    // The export made before still lists User2 and holds its key, as a leaked copy would: the peers refuse it.
    for (const refused of [await invoke(org1Host, 'User2', 'u3'), await query(org1Host, 'User2', 'u2')]) {
      expect(refused.code).not.toBe(0);
      expect(refused.stdout + refused.stderr).toMatch(/access denied: channel \[mychannel\] creator org \[Org1MSP\]/);
    }
    expect(json(await invoke(net, 'User1', 'u4'))).toMatchObject({ valid: true });
    expect((json(await query(org1Host, 'User1', 'u4')).json as { Owner: string }).Owner).toBe('User1');
    // Here User2 is gone from network.yaml: the CLI says so before asking a peer.
    expect(errorOf(await query(net, 'User2', 'u2'))).toMatchObject({ code: 'UNKNOWN_USER', message: expect.stringContaining('User2 was revoked or removed') });
  });

  it('refuses to revoke User2 again, changing nothing; a later revocation keeps User2 on the CRL', async () => {
    const before = networkFile();
    const crl = fs.readFileSync(path.join(orgDir(), 'msp', 'crls', 'crl.pem'));
    expect(errorOf(await runCli(['network', 'revoke', net, '--org', 'Org1', '--user', 'User2', '--json']))).toMatchObject({
      code: 'USER_ALREADY_REVOKED',
      message: expect.stringContaining('mychannel, second'),
    });
    expect(errorOf(await runCli(['network', 'add-user', net, '--org', 'Org1', '--name', 'User2', '--json']))).toMatchObject({ code: 'USER_EXISTS' });
    expect(networkFile()).toBe(before);
    expect(fs.readFileSync(path.join(orgDir(), 'msp', 'crls', 'crl.pem'))).toEqual(crl);

    json(await runCli(['network', 'add-user', net, '--org', 'Org1', '--name', 'User3', '--json']));
    const again = json(await runCli(['network', 'revoke', net, '--org', 'org1.example.com', '--user', 'User3', '--json']));
    expect(again).toMatchObject({ user: 'User3', crlNumber: 2 });
    expect(again.revokedSerials).toHaveLength(2);
    expect(await channelRevokesUser2('second')).toBe(true);
  });

  it("restarted, Org1's peer loads its local MSP with the CRL and still refuses User2", async () => {
    json(await runCli(['network', 'down', net, '--grace', '5', '--json']));
    json(await runCli(['network', 'up', net, '--json']));
    expect((json(await query(net, 'User1', 'u4')).json as { Owner: string }).Owner).toBe('User1');
    const refused = await query(org1Host, 'User2', 'u2');
    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toMatch(/access denied: channel \[mychannel\] creator org \[Org1MSP\]/);
  }, 120_000);
});
