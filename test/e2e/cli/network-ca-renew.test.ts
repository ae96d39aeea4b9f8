import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseConfigBlock } from '../../../core/protocol/config-parse';
import type { FabricMSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { copiesOf, replaceFiles } from '../../../cli/services/network/ca-copies';
import { ordererBlock } from '../../../cli/services/block/orderer-block-source';
import { loadClientIdentity } from '../../../cli/services/client/client-identity';
import { recoverExpiredCa } from '../../../cli/services/network/expired-ca-recovery';
import { recoverExpiredCas } from '../../../cli/services/network/expired-cas-recovery';
import type { NetworkRecovery } from '../../../cli/services/network/expired-network-recovery';
import { recoverExpiredOrdererCas } from '../../../cli/services/network/expired-orderer-cas-recovery';
import { recoverExpiredTlsCa } from '../../../cli/services/network/expired-tls-ca-recovery';
import { openNetwork } from '../../../cli/services/network/network-access';
import { renewOrgCas } from '../../../cli/services/network/org-ca-renewal';
import { resolveMspOrg } from '../../../cli/services/network/org-msp-channels';
import { orgAuthority } from '../../../plugins/msp-x509/crypto-material/org-authority';
import { asReported, type CaRenewed, expireFiles, expireInChannels, expireOrg as expireOrgIn, quiet, type Recovered, type Renewed } from './ca-renew-helpers';
import { errorOf, json, runCli, type CliResult, startMutualTlsOrg, type StartedNetwork } from './run-cli';

const ORG1 = 'org1.example.com';
const PEER = `peer0.${ORG1}`;
const ORDERER = 'orderer.example.com';

/**
 * An org's CAs renewed on a running network (real processes, mutual TLS): the new CA certificates
 * (same key and subject) replace the old in the channel config and in every file, the running
 * nodes reload them (same processes; a renewed TLS CA too: their listeners' client CA roots are
 * re-read), certificates issued before and after both work, the CLI still connects with the
 * renewed roots, nodes restarted on the new files serve; a renewed peer's and
 * user's old enrollment certificates revoked (`--revoke-old`) are on the org's CRL in the channel
 * and the old user key is refused.
 */
describe('weft network renew --ca / --revoke-old (real processes)', () => {
  let tmp: string;
  let net: string;
  const orgDir = (): string => path.join(net, 'organizations', 'peerOrganizations', ORG1);
  const invoke = (user: string, id: string): Promise<CliResult> =>
    runCli(['chaincode', 'invoke', net, '--name', 'basic', '--org', 'Org1', '--user', user, 'CreateAsset', id, 'blue', '3', user, '10', '--json']);
  const pids = (): string[] => [ORDERER, PEER].map((id) => fs.readFileSync(path.join(net, 'run', `${id}.pid`), 'utf8').trim());
  /** `weft channel info`: the CLI reaches the peer over mutual TLS with the roots in the directory. */
  const channelInfo = async (): Promise<Record<string, unknown>> => json(await runCli(['channel', 'info', net, '--json']));
  const channelMsp = async (mspId: string): Promise<FabricMSPConfig> => {
    const file = path.join(tmp, `config-${Date.now()}.block`);
    json(await runCli(['channel', 'fetch', net, 'config', '-o', file, '--json']));
    return parseConfigBlock(fs.readFileSync(file)).msps.get(mspId)!;
  };

  let started: StartedNetwork;
  beforeAll(async () => {
    started = await startMutualTlsOrg('weft-e2e-ca-renew-');
    ({ tmp, net } = started);
  }, 180_000);
  afterAll(() => started?.stop());

  it("renews Org1's CA and TLS CA while running: channel and files hold the new certificates, the nodes reload them, certificates issued before and after work, and after a restart", async () => {
    const oldCa = fs.readFileSync(path.join(orgDir(), 'ca', `ca.${ORG1}-cert.pem`));
    const before = pids();
    const renewed = json(await runCli(['network', 'renew', net, '--org', 'Org1', '--ca', '--tls-ca', '--days', '3650', '--json'], { timeoutMs: 60_000 })) as unknown as CaRenewed;
    expect(renewed.cas.map((c) => c.which)).toEqual(['ca', 'tlsca']);
    expect(renewed.channels.length).toBeGreaterThan(0);
    expect(renewed.restarted).toEqual([]);
    // The peer reads Org1's CAs, the orderer Org1's TLS CA (a client root under mutual TLS): both reload, same processes.
    expect(renewed.reloaded).toEqual(expect.arrayContaining([PEER, ORDERER]));
    expect(renewed.restartNeeded).toEqual([]);
    expect(pids()).toEqual(before);
    expect(await channelInfo()).toMatchObject({ height: expect.any(Number) });
    const newCa = fs.readFileSync(path.join(orgDir(), 'ca', `ca.${ORG1}-cert.pem`));
    expect(newCa.equals(oldCa)).toBe(false);
    expect(orgAuthority.sameCa(newCa, oldCa)).toBe(true);
    // Every copy, under its old name (NodeOU config.yaml points at cacerts/<name>), holds the new one.
    for (const rel of [`msp/cacerts/ca.${ORG1}-cert.pem`, `peers/${PEER}/msp/cacerts/ca.${ORG1}-cert.pem`, `users/User1@${ORG1}/msp/cacerts/ca.${ORG1}-cert.pem`]) {
      expect([rel, fs.readFileSync(path.join(orgDir(), rel)).equals(newCa)]).toEqual([rel, true]);
    }
    expect(fs.readFileSync(path.join(orgDir(), 'peers', PEER, 'tls', 'ca.crt'))).toEqual(fs.readFileSync(path.join(orgDir(), 'tlsca', `tlsca.${ORG1}-cert.pem`)));
    // The channel's Org1MSP has the new root in place of the old, and its NodeOUs name it.
    const msp = await channelMsp('Org1MSP');
    expect(msp.getRootCertsList_asU8().map((c) => Buffer.from(c).equals(newCa))).toEqual([true]);
    expect(Buffer.from(msp.getFabricNodeOus()!.getClientOuIdentifier()!.getCertificate_asU8()).equals(newCa)).toBe(true);
    const s = json(await runCli(['network', 'status', net, '--json'])) as { cas: { mspId: string; ca: string; daysLeft: number }[] };
    expect(s.cas.find((c) => c.mspId === 'Org1MSP' && c.ca === 'ca')!.daysLeft).toBeGreaterThanOrEqual(3648);

    // User1's certificates come from the old CA certificate, User3's from the new one.
    expect(json(await invoke('User1', 'ca-1'))).toMatchObject({ valid: true });
    json(await runCli(['network', 'add-user', net, '--org', 'Org1', '--name', 'User3', '--json']));
    expect(json(await invoke('User3', 'ca-2'))).toMatchObject({ valid: true });
    // Restarted on the new files, they serve both.
    expect((await runCli(['network', 'down', net, '--grace', '5'])).code).toBe(0);
    expect((await runCli(['network', 'up', net])).code).toBe(0);
    expect(json(await invoke('User1', 'ca-3'))).toMatchObject({ valid: true });
    expect(json(await invoke('User3', 'ca-4'))).toMatchObject({ valid: true });
  }, 90_000);

  it('finishes a run that stopped before the files: run again, every copy holds the newest certificate', async () => {
    const stale = path.join(orgDir(), 'users', `User1@${ORG1}`, 'msp', 'cacerts', `ca.${ORG1}-cert.pem`);
    const before = fs.readFileSync(stale);
    const first = json(await runCli(['network', 'renew', net, '--org', 'Org1', '--ca', '--json'], { timeoutMs: 60_000 })) as unknown as CaRenewed;
    // As if that run had stopped before this file's swap.
    fs.writeFileSync(stale, before);
    // A renewed CA alone is taken by a reload: the running peer's local MSP holds it, no restart.
    expect(first.reloaded).toContain(PEER);
    expect(first.restartNeeded).not.toContain(PEER);
    const again = json(await runCli(['network', 'renew', net, '--org', 'Org1', '--ca', '--json'], { timeoutMs: 60_000 })) as unknown as CaRenewed;
    expect(again.cas[0]!.serialNumber).not.toBe(first.cas[0]!.serialNumber);
    expect(again.channels.length).toBeGreaterThan(0);
    expect(again.files).toContain(stale);
    const newest = fs.readFileSync(path.join(orgDir(), 'ca', `ca.${ORG1}-cert.pem`));
    expect(fs.readFileSync(stale)).toEqual(newest);
    expect(Buffer.from((await channelMsp('Org1MSP')).getRootCertsList_asU8()[0]!).equals(newest)).toBe(true);
    expect(json(await invoke('User1', 'ca-5'))).toMatchObject({ valid: true });
  }, 90_000);

  it("renews the orderer org's CAs (its MSP in /Channel/Orderer, signed by its Admin): the nodes reload them, peers and the CLI still reach the orderer; --restart restarts them", async () => {
    const before = pids();
    const renewed = json(await runCli(['network', 'renew', net, '--org', 'OrdererOrg', '--ca', '--tls-ca', '--json'], { timeoutMs: 60_000 })) as unknown as CaRenewed;
    expect(renewed.channels.length).toBeGreaterThan(0);
    // Both read the orderer org's TLS CA (the peer to dial the orderer, the orderer for its own listeners' client roots).
    expect(renewed).toMatchObject({ restartNeeded: [], restarted: [], reloaded: expect.arrayContaining([ORDERER, PEER]) });
    expect(pids()).toEqual(before);
    expect(json(await invoke('User1', 'ca-6'))).toMatchObject({ valid: true });
    expect(await channelInfo()).toMatchObject({ height: expect.any(Number) });

    const restarted = json(await runCli(['network', 'renew', net, '--org', 'OrdererOrg', '--tls-ca', '--restart', '--json'], { timeoutMs: 90_000 })) as unknown as CaRenewed;
    expect(restarted).toMatchObject({ restartNeeded: [], reloaded: [], restarted: expect.arrayContaining([ORDERER, PEER]) });
    expect(pids().some((pid, i) => pid === before[i])).toBe(false);
    expect(json(await invoke('User1', 'ca-6b'))).toMatchObject({ valid: true });
  }, 120_000);

  it('renews a peer with --revoke-old: it reloads live (no restart), then its old certificate is on the channel CRL and it still endorses', async () => {
    const oldCert = fs.readFileSync(path.join(orgDir(), 'peers', PEER, 'msp', 'signcerts', `${PEER}-cert.pem`));
    // Renewed while running, it reloads: it no longer signs with the certificate revoke --node puts on the CRL.
    expect(json(await runCli(['network', 'renew', net, '--node', PEER, '--json']))).toMatchObject({ reloaded: true });

    const renewed = json(await runCli(['network', 'renew', net, '--node', PEER, '--revoke-old', '--json'], { timeoutMs: 60_000 })) as unknown as Renewed;
    expect(renewed).toMatchObject({ restarted: false, reloaded: true });
    // Both earlier certificates: the one before the renewal above, and the one it issued.
    expect(renewed.revoked.serialNumbers).toHaveLength(2);
    expect(renewed.revoked.channels.length).toBeGreaterThan(0);
    const crls = (await channelMsp('Org1MSP')).getRevocationListList_asU8();
    expect(orgAuthority.orgCrlRevokes({ orgDir: orgDir(), domain: ORG1 }, oldCert, crls)).toBe(true);
    expect(json(await invoke('User1', 'ca-7'))).toMatchObject({ valid: true });
    expect(errorOf(await runCli(['network', 'revoke', net, '--node', PEER, '--json']))).toMatchObject({ code: 'ALREADY_REVOKED', details: { field: '--node' } });
  }, 90_000);

  it("renews a user with --revoke-old: a proposal signed with the old key and certificate is refused", async () => {
    const userDir = path.join(orgDir(), 'users', `User1@${ORG1}`);
    const renewed = json(await runCli(['network', 'renew', net, '--org', 'Org1', '--user', 'User1', '--revoke-old', '--json'], { timeoutMs: 60_000 })) as unknown as Renewed;
    expect(renewed.revoked.serialNumbers).toHaveLength(1);
    expect(json(await invoke('User1', 'ca-8'))).toMatchObject({ valid: true });
    // Whoever kept the old enrollment key and certificate: put them back as User1's (its new TLS certificate still connects).
    fs.rmSync(path.join(userDir, 'msp'), { recursive: true });
    fs.cpSync(path.join(renewed.backupDir, 'msp'), path.join(userDir, 'msp'), { recursive: true });
    expect(errorOf(await invoke('User1', 'ca-9')).message).toContain('access denied');
    // The old TLS certificate is on the org TLS CA's CRL too: presenting it, the CLI gets no connection at all.
    fs.rmSync(path.join(userDir, 'tls'), { recursive: true });
    fs.cpSync(path.join(renewed.backupDir, 'tls'), path.join(userDir, 'tls'), { recursive: true });
    expect(errorOf(await invoke('User1', 'ca-10')).message).toContain('UNAVAILABLE');
  }, 90_000);

  const expireOrg = (name: string, folder: string, domain: string, memberDirs: readonly string[], which?: 'ca' | 'tlsca' | 'both'): Promise<Date> => expireOrgIn(net, name, folder, domain, memberDirs, which);

  it("recovers Org1 after its CA and its members' certificates expired, its peer stopped before: the channel holds the renewed root, the peer is left stopped (the recovery did not stop it), started by hand it endorses again, Org1's Admin updates the channel; a second run changes nothing", async () => {
    const org1 = { orgDir: orgDir(), domain: ORG1 };
    const users = fs.readdirSync(path.join(orgDir(), 'users'));
    const ended = await expireOrg('Org1', orgDir(), ORG1, [path.join(orgDir(), 'peers', PEER), ...users.map((u) => path.join(orgDir(), 'users', u))]);
    // Its peer stopped before the recovery (by the operator, or on its expired certificate).
    expect((await runCli(['network', 'down', net, '--node', PEER, '--grace', '5'])).code).toBe(0);

    const recovered = json(await runCli(['network', 'renew', net, '--org', 'Org1', '--ca', '--json'], { timeoutMs: 180_000 })) as unknown as Recovered;
    expect(recovered.recovery).toMatchObject({ started: [], leftStopped: [PEER] });
    expect((await runCli(['network', 'up', net, '--node', PEER])).code).toBe(0);
    expect(recovered.cas).toMatchObject([{ which: 'ca', previousNotAfter: asReported(ended) }]);
    expect(recovered.channels.length).toBeGreaterThan(0);
    expect(recovered.recovery.submitter).toEqual({ id: `Admin@example.com`, mspId: 'OrdererMSP' });
    expect(recovered.recovery.members.map((m) => m.id).sort()).toEqual([PEER, ...users].sort());
    for (const m of recovered.recovery.members) expect(new Date(m.enrollment.notAfter).getTime()).toBeGreaterThan(Date.now());
    const newCa = fs.readFileSync(path.join(orgDir(), 'ca', `ca.${ORG1}-cert.pem`));
    expect(Buffer.from((await channelMsp('Org1MSP')).getRootCertsList_asU8()[0]!).equals(newCa)).toBe(true);
    expect(() => process.kill(Number(pids()[1]), 0)).not.toThrow();
    expect(json(await invoke('User1', 'ca-11'))).toMatchObject({ valid: true });
    // Org1's renewed Admin alone signs and submits a change of Org1's own value.
    expect(json(await runCli(['channel', 'update', net, '--anchor-peer', `Org1=${PEER}:7999`, '--json'], { timeoutMs: 60_000 }))).toMatchObject({ channel: expect.any(String) });

    const again = await recoverExpiredCa(net, openNetwork(net), resolveMspOrg(openNetwork(net), 'Org1'), await orgAuthority.renewOrgCa(org1, 'ca'), {}, quiet);
    expect(again).toMatchObject({ cas: [], channels: [], files: [], recovery: { members: [], started: [], nothingToDo: true } });
    expect(fs.readFileSync(path.join(orgDir(), 'ca', `ca.${ORG1}-cert.pem`))).toEqual(newCa);
  }, 300_000);

  it("recovers the orderer org after its CA and its members' certificates expired, its orderer still running: a peer org Admin submits, the orderer reloads its re-issued certificate, blocks it signs verify", async () => {
    const folder = path.join(net, 'organizations', 'ordererOrganizations', 'example.com');
    const before = pids()[0];
    const ended = await expireOrg('OrdererOrg', folder, 'example.com', [path.join(folder, 'orderers', ORDERER), path.join(folder, 'users', 'Admin@example.com')]);
    const recovered = json(await runCli(['network', 'renew', net, '--org', 'OrdererOrg', '--ca', '--json'], { timeoutMs: 180_000 })) as unknown as Recovered;
    expect(recovered.cas).toMatchObject([{ which: 'ca', previousNotAfter: asReported(ended) }]);
    expect(recovered.channels.length).toBeGreaterThan(0);
    expect(recovered.recovery.submitter).toEqual({ id: `Admin@${ORG1}`, mspId: 'Org1MSP' });
    expect(recovered.recovery.members.map((m) => m.id).sort()).toEqual(['Admin@example.com', ORDERER]);
    expect(recovered.recovery.started).toEqual([]);
    expect(pids()[0]).toBe(before);
    const newCa = fs.readFileSync(path.join(folder, 'ca', 'ca.example.com-cert.pem'));
    expect(Buffer.from((await channelMsp('OrdererMSP')).getRootCertsList_asU8()[0]!).equals(newCa)).toBe(true);
    expect(json(await invoke('User1', 'ca-12'))).toMatchObject({ valid: true });
  }, 300_000);

  it("recovers Org1 after its TLS CA and its members' TLS certificates expired, its nodes running: the channel holds the renewed TLS root, the orderer reloads, the CLI reaches every node again and an invoke commits; a second run changes nothing", async () => {
    const users = fs.readdirSync(path.join(orgDir(), 'users'));
    const tlsCaFile = path.join(orgDir(), 'tlsca', `tlsca.${ORG1}-cert.pem`);
    const ended = await expireOrg('Org1', orgDir(), ORG1, [path.join(orgDir(), 'peers', PEER), ...users.map((u) => path.join(orgDir(), 'users', u))], 'tlsca');
    // The CLI trusts the expired root and presents expired client certificates: it reaches no Org1 node.
    expect(errorOf(await runCli(['channel', 'info', net, '--json'])).message).toMatch(/expired|UNAVAILABLE/i);
    const before = pids();

    const recovered = json(await runCli(['network', 'renew', net, '--org', 'Org1', '--tls-ca', '--json'], { timeoutMs: 180_000 })) as unknown as Recovered;
    expect(recovered.cas).toMatchObject([{ which: 'tlsca', previousNotAfter: asReported(ended) }]);
    expect(recovered.recovery.members.map((m) => m.id).sort()).toEqual([PEER, ...users].sort());
    expect(recovered.recovery.started).toEqual([]);
    // The orderer takes Org1's clients only: a reload is enough; the peer reloaded its re-issued certificates. Same processes.
    expect(recovered).toMatchObject({ reloaded: [ORDERER], restarted: [], restartNeeded: [] });
    expect(pids()).toEqual(before);
    const renewedRoot = fs.readFileSync(tlsCaFile);
    expect(new Date(new X509Certificate(renewedRoot).validTo).getTime()).toBeGreaterThan(Date.now());
    expect(fs.readFileSync(path.join(orgDir(), 'peers', PEER, 'tls', 'ca.crt'))).toEqual(renewedRoot);
    expect(recovered.channels.length).toBeGreaterThan(0);
    expect((await channelMsp('Org1MSP')).getTlsRootCertsList_asU8().map((c) => Buffer.from(c).equals(renewedRoot))).toEqual([true]);
    // The CLI reaches the peer and the orderer over mutual TLS; Org1 endorses and the orderer takes the peer's Submit.
    expect(await channelInfo()).toMatchObject({ height: expect.any(Number) });
    expect(json(await invoke('User1', 'ca-13'))).toMatchObject({ valid: true });

    const again = await recoverExpiredTlsCa(net, openNetwork(net), resolveMspOrg(openNetwork(net), 'Org1'), await orgAuthority.renewOrgCa({ orgDir: orgDir(), domain: ORG1 }, 'tlsca'), {}, quiet);
    expect(again).toMatchObject({ cas: [], channels: [], files: [], recovery: { members: [], started: [], nothingToDo: true } });
    expect(fs.readFileSync(tlsCaFile)).toEqual(renewedRoot);
  }, 300_000);

  it("finishes the orderer org's TLS CA recovery that stopped after the files: its members are re-issued, the orderer reloads, the peer restarts (its orderer connections keep the roots they were dialled with), the channel takes the root, the peer commits again", async () => {
    const folder = path.join(net, 'organizations', 'ordererOrganizations', 'example.com');
    const orderer = (): Promise<unknown> => ordererBlock(openNetwork(net), loadClientIdentity(openNetwork(net).ordererAdmin()), 'config');
    const [ordererPid, peerPid] = pids();
    await expireOrg('OrdererOrg', folder, 'example.com', [path.join(folder, 'orderers', ORDERER), path.join(folder, 'users', 'Admin@example.com')], 'tlsca');
    await expect(orderer()).rejects.toThrow();
    // A run that stopped right after replacing every copy with the re-issued TLS CA.
    const reissued = await orgAuthority.renewOrgCa({ orgDir: folder, domain: 'example.com' }, 'tlsca');
    replaceFiles(new Map(copiesOf(openNetwork(net), orgAuthority, reissued).map((f) => [f, reissued.certPem] as const)));

    const recovered = json(await runCli(['network', 'renew', net, '--org', 'OrdererOrg', '--tls-ca', '--json'], { timeoutMs: 180_000 })) as unknown as Recovered;
    expect(recovered).toMatchObject({ cas: [], files: [], restarted: [PEER], reloaded: [], restartNeeded: [], recovery: { started: [], nothingToDo: false } });
    expect(recovered.recovery.members.map((m) => m.id).sort()).toEqual(['Admin@example.com', ORDERER]);
    expect(pids()[0]).toBe(ordererPid);
    expect(pids()[1]).not.toBe(peerPid);
    expect(recovered.channels.length).toBeGreaterThan(0);
    expect((await channelMsp('OrdererMSP')).getTlsRootCertsList_asU8().map((c) => Buffer.from(c).toString())).toEqual([reissued.certPem]);
    await expect(orderer()).resolves.toMatchObject({ number: expect.any(Number) });
    expect(json(await invoke('User1', 'ca-14'))).toMatchObject({ valid: true });
  }, 300_000);

  it("recovers Org1 after its CA and TLS CA both expired, in one run that, stopped after the files, is finished by running it again: one config update per channel puts both roots in, the peer runs and endorses, Org1's renewed Admin updates the channel; a third run changes nothing", async () => {
    const org1 = { orgDir: orgDir(), domain: ORG1 };
    const users = fs.readdirSync(path.join(orgDir(), 'users'));
    await expireOrg('Org1', orgDir(), ORG1, [path.join(orgDir(), 'peers', PEER), ...users.map((u) => path.join(orgDir(), 'users', u))], 'both');
    expect((await runCli(['network', 'down', net, '--node', PEER, '--grace', '5'])).code).toBe(0);
    // weft network status names the one command that recovers both.
    const status = await runCli(['network', 'status', net]);
    expect(status.stdout).toMatch(new RegExp(`ca +Org1MSP +EXPIRED \\S+ \\(recover: weft network renew \\S+ --org Org1 --ca --tls-ca\\)`));
    expect(status.stdout).toMatch(new RegExp(`tlsca +Org1MSP +EXPIRED \\S+ \\(recover: weft network renew \\S+ --org Org1 --ca --tls-ca\\)`));

    // A run that stops right after replacing the files (its progress line for them fails it).
    const stopAfterFiles = (m: string): void => {
      if (m.includes('replaced under')) throw new Error('stopped after the files');
    };
    const updates: string[] = [];
    await expect(renewOrgCas(net, { org: 'Org1', ca: true, tlsCa: true }, (m) => (stopAfterFiles(m), updates.push(m)))).rejects.toThrow('stopped after the files');
    const caFile = path.join(orgDir(), 'ca', `ca.${ORG1}-cert.pem`);
    const tlsCaFile = path.join(orgDir(), 'tlsca', `tlsca.${ORG1}-cert.pem`);
    const [newCa, newTlsCa] = [fs.readFileSync(caFile), fs.readFileSync(tlsCaFile)];
    for (const root of [newCa, newTlsCa]) expect(new Date(new X509Certificate(root).validTo).getTime()).toBeGreaterThan(Date.now());
    // One config update per channel carried both roots, signed inside by Org1's expired Admin, submitted by the orderer org's.
    const accepted = updates.filter((m) => m.includes('accepted Org1MSP'));
    expect(accepted.length).toBeGreaterThan(0);
    for (const m of accepted) expect(m).toMatch(/renewed CA and TLS CA certificates \(signed by Org1MSP's Admin, submitted by Admin@example\.com\)/);
    // Org1's members and peer cannot read yet: read as the orderer org's Admin through the orderer.
    const network = openNetwork(net);
    const msp = parseConfigBlock((await ordererBlock(network, loadClientIdentity(network.ordererAdmin()), 'config')).bytes).msps.get('Org1MSP')!;
    expect(Buffer.from(msp.getRootCertsList_asU8()[0]!).equals(newCa)).toBe(true);
    expect(msp.getTlsRootCertsList_asU8().map((c) => Buffer.from(c).equals(newTlsCa))).toEqual([true]);

    const finished = json(await runCli(['network', 'renew', net, '--org', 'Org1', '--ca', '--tls-ca', '--json'], { timeoutMs: 180_000 })) as unknown as Recovered;
    // The peer stopped before the recovery: left stopped, named; started by hand on its re-issued certificates.
    expect(finished).toMatchObject({ cas: [], channels: [], files: [], restarted: [], restartNeeded: [], recovery: { started: [], leftStopped: [PEER], nothingToDo: false } });
    expect((await runCli(['network', 'up', net, '--node', PEER])).code).toBe(0);
    expect(finished.recovery.members.map((m) => m.id).sort()).toEqual([PEER, ...users].sort());
    for (const m of finished.recovery.members) expect(new Date(m.enrollment.notAfter).getTime()).toBeGreaterThan(Date.now());
    // The orderer reads Org1's TLS root for its clients: it reloads the renewed copy.
    expect(finished.reloaded).toContain(ORDERER);
    expect(fs.readFileSync(path.join(orgDir(), 'peers', PEER, 'tls', 'ca.crt'))).toEqual(newTlsCa);
    expect(fs.readFileSync(path.join(orgDir(), 'peers', PEER, 'msp', 'cacerts', `ca.${ORG1}-cert.pem`))).toEqual(newCa);
    expect(() => process.kill(Number(pids()[1]), 0)).not.toThrow();
    expect(await channelInfo()).toMatchObject({ height: expect.any(Number) });
    expect(json(await invoke('User1', 'ca-15'))).toMatchObject({ valid: true });
    expect(json(await runCli(['channel', 'update', net, '--anchor-peer', `Org1=${PEER}:7998`, '--json'], { timeoutMs: 60_000 }))).toMatchObject({ channel: expect.any(String) });

    const again = await recoverExpiredCas(net, network, resolveMspOrg(network, 'Org1'), { ca: await orgAuthority.renewOrgCa(org1, 'ca'), tlsCa: await orgAuthority.renewOrgCa(org1, 'tlsca') }, {}, quiet);
    expect(again).toMatchObject({ cas: [], channels: [], files: [], reloaded: [], restarted: [], recovery: { members: [], started: [], nothingToDo: true } });
    expect([fs.readFileSync(caFile), fs.readFileSync(tlsCaFile)]).toEqual([newCa, newTlsCa]);
  }, 300_000);

  it("recovers a network whose every CA and TLS CA expired at once (as weft network init makes them), no Admin left to carry another's update: members re-issued from their old start verify against the expired roots, every node restarts, each org's Admin replaces its roots; an invoke commits, Org1's Admin updates the channel, a second run changes nothing", async () => {
    const ordererFolder = path.join(net, 'organizations', 'ordererOrganizations', 'example.com');
    const users = fs.readdirSync(path.join(orgDir(), 'users'));
    const ended = new Date(Date.now() - 5_000);
    // Every org's values in the channels first, while their Admins still sign and connect; then the files.
    const org1Cas = await expireInChannels(net, 'Org1', orgDir(), ORG1, 'both', ended);
    const ordererCas = await expireInChannels(net, 'OrdererOrg', ordererFolder, 'example.com', 'both', ended);
    await expireFiles(net, orgDir(), [path.join(orgDir(), 'peers', PEER), ...users.map((u) => path.join(orgDir(), 'users', u))], org1Cas, ended);
    await expireFiles(net, ordererFolder, [path.join(ordererFolder, 'orderers', ORDERER), path.join(ordererFolder, 'users', 'Admin@example.com')], ordererCas, ended);
    const status = (await runCli(['network', 'status', net])).stdout;
    for (const line of ['ca +Org1MSP', 'tlsca +Org1MSP', 'ca +OrdererMSP', 'tlsca +OrdererMSP']) expect(status).toMatch(new RegExp(`${line} +EXPIRED \\S+ \\(recover: weft network renew \\S+ --all-expired\\)`));
    // No unexpired Admin is left to carry one org's update.
    expect(errorOf(await runCli(['network', 'renew', net, '--org', 'Org1', '--ca', '--tls-ca', '--json']))).toMatchObject({ code: 'NO_CONFIG_SUBMITTER' });
    const before = pids();

    const recovered = json(await runCli(['network', 'renew', net, '--all-expired', '--json'], { timeoutMs: 240_000 })) as unknown as NetworkRecovery;
    expect(recovered.cas.map((c) => `${c.mspId} ${c.which}`).sort()).toEqual(['OrdererMSP ca', 'OrdererMSP tlsca', 'Org1MSP ca', 'Org1MSP tlsca']);
    expect([...recovered.stopped].sort()).toEqual([ORDERER, PEER].sort());
    expect([...recovered.started].sort()).toEqual([ORDERER, PEER].sort());
    expect(recovered.leftStopped).toEqual([]);
    expect(recovered.members.map((m) => m.id).sort()).toEqual([PEER, ...users, ORDERER, 'Admin@example.com'].sort());
    for (const m of recovered.members) expect([new Date(m.enrollment.notBefore) < ended, new Date(m.enrollment.notAfter).getTime() > Date.now()]).toEqual([true, true]);
    expect(new Set(recovered.channels.map((c) => c.mspId))).toEqual(new Set(['Org1MSP', 'OrdererMSP']));
    expect(pids().some((pid, i) => pid === before[i])).toBe(false);
    for (const [mspId, folder, domain] of [['Org1MSP', orgDir(), ORG1], ['OrdererMSP', ordererFolder, 'example.com']] as const) {
      const msp = await channelMsp(mspId);
      expect(Buffer.from(msp.getRootCertsList_asU8()[0]!).equals(fs.readFileSync(path.join(folder, 'ca', `ca.${domain}-cert.pem`)))).toBe(true);
      expect(Buffer.from(msp.getTlsRootCertsList_asU8()[0]!).equals(fs.readFileSync(path.join(folder, 'tlsca', `tlsca.${domain}-cert.pem`)))).toBe(true);
    }
    expect(json(await invoke('User1', 'ca-16'))).toMatchObject({ valid: true });
    expect(json(await runCli(['channel', 'update', net, '--anchor-peer', `Org1=${PEER}:7997`, '--json'], { timeoutMs: 60_000 }))).toMatchObject({ channel: expect.any(String) });

    const again = json(await runCli(['network', 'renew', net, '--all-expired', '--json'], { timeoutMs: 60_000 })) as unknown as NetworkRecovery;
    expect(again).toMatchObject({ cas: [], files: [], stopped: [], members: [], started: [], channels: [], nothingToDo: true });
  }, 420_000);

  it("recovers the orderer org after its CA and TLS CA both expired, the peer org's valid, in one run that, stopped after the files with the orderer down, is finished by running it again: it starts the orderer it stopped, blocks the re-issued orderer signs verify, the channel's /Channel/Orderer MSP holds both roots, the renewed Admin updates the channel; a third run changes nothing", async () => {
    const folder = path.join(net, 'organizations', 'ordererOrganizations', 'example.com');
    const ordererOrg = { orgDir: folder, domain: 'example.com' };
    const ended = await expireOrg('OrdererOrg', folder, 'example.com', [path.join(folder, 'orderers', ORDERER), path.join(folder, 'users', 'Admin@example.com')], 'both');
    const status = (await runCli(['network', 'status', net])).stdout;
    for (const ca of ['ca', 'tlsca']) expect(status).toMatch(new RegExp(`${ca} +OrdererMSP +EXPIRED \\S+ \\(recover: weft network renew \\S+ --org OrdererOrg --ca --tls-ca\\)`));
    const stopAfterFiles = (m: string): void => {
      if (m.includes('replaced under')) throw new Error('stopped after the files');
    };
    await expect(renewOrgCas(net, { org: 'OrdererOrg', ca: true, tlsCa: true }, stopAfterFiles)).rejects.toThrow('stopped after the files');
    const down = json(await runCli(['network', 'status', net, '--json'])) as unknown as { orderers: { id: string; running: boolean }[] };
    expect(down.orderers).toMatchObject([{ id: ORDERER, running: false }]);

    const finished = json(await runCli(['network', 'renew', net, '--org', 'OrdererOrg', '--ca', '--tls-ca', '--json'], { timeoutMs: 240_000 })) as unknown as Recovered;
    // The orderer the first run stopped is started (remembered in run/), the peer restarts onto the renewed TLS root.
    expect(finished).toMatchObject({ cas: [], files: [], restarted: [PEER], recovery: { stopped: [], started: [ORDERER], leftStopped: [], nothingToDo: false, submitter: { id: `Admin@${ORG1}`, mspId: 'Org1MSP' } } });
    expect(finished.recovery.members.map((m) => m.id).sort()).toEqual(['Admin@example.com', ORDERER]);
    for (const m of finished.recovery.members) expect([new Date(m.enrollment.notBefore!) < ended, new Date(m.enrollment.notAfter).getTime() > Date.now()]).toEqual([true, true]);
    expect(finished.channels.length).toBeGreaterThan(0);
    const [newCa, newTlsCa] = (['ca', 'tlsca'] as const).map((w) => fs.readFileSync(path.join(folder, w, `${w}.example.com-cert.pem`)));
    const msp = await channelMsp('OrdererMSP');
    expect([Buffer.from(msp.getRootCertsList_asU8()[0]!).equals(newCa!), Buffer.from(msp.getTlsRootCertsList_asU8()[0]!).equals(newTlsCa!)]).toEqual([true, true]);
    expect(json(await invoke('User1', 'ca-17'))).toMatchObject({ valid: true });
    // The orderer org's renewed Admin signs and submits a change of an orderer value.
    expect(json(await runCli(['channel', 'update', net, '--batch-timeout', '300ms', '--json'], { timeoutMs: 60_000 }))).toMatchObject({ channel: expect.any(String) });
    expect(json(await invoke('User1', 'ca-18'))).toMatchObject({ valid: true });

    const network = openNetwork(net);
    const again = await recoverExpiredOrdererCas(net, network, resolveMspOrg(network, 'OrdererOrg'), { ca: await orgAuthority.renewOrgCa(ordererOrg, 'ca'), tlsCa: await orgAuthority.renewOrgCa(ordererOrg, 'tlsca') }, {}, quiet);
    expect(again).toMatchObject({ cas: [], channels: [], files: [], reloaded: [], restarted: [], recovery: { members: [], stopped: [], started: [], nothingToDo: true } });
    expect(fs.existsSync(path.join(net, 'run', 'renew-stopped.json'))).toBe(false);
  }, 420_000);
});
