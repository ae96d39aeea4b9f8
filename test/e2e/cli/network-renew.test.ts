import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { ordererBlock } from '../../../cli/services/block/orderer-block-source';
import { loadClientIdentity } from '../../../cli/services/client/client-identity';
import { OrdererAdminClient } from '../../../cli/services/client/orderer-admin';
import { withPeerClient } from '../../../cli/services/client/peer-client';
import { readingThroughOrderer } from '../../../cli/services/network/consenter-channels';
import { openNetwork, peerAdmin, qsccRead } from '../../../cli/services/network/network-access';
import { channelGenesisBlock } from '../../../cli/services/network/network-channels';
import { NetworkLayout } from '../../../cli/services/network/network-layout';
import { BlockchainInfo } from '@hyperledger/fabric-protos/lib/common/ledger_pb';
import { parseConfigBlock } from '../../../core/protocol/config-parse';
import { decodeEtcdraftMetadata } from '../../../core/protocol/etcdraft-config';
import { encodeTime } from '../../../plugins/msp-x509/crypto-material/certificate-builder';
import { loadOrgCa } from '../../../plugins/msp-x509/crypto-material/org-authority';
import { reissue } from '../../unit/plugins/msp-x509/cert-forge';
import { eventually } from '../../integration/peer/network-fixture';
import { errorOf, httpsGet, json, runCli, startMutualTlsOrg, type StartedNetwork } from './run-cli';

interface Expiry {
  notAfter: string;
  daysLeft: number;
  state: string;
  certPath: string;
}
interface Status {
  up: boolean;
  peers: { id: string; address: string; operationsAddress: string; tlsRootCertPath: string; healthy: boolean; certificate: Expiry }[];
  orderers: { id: string; certificate: Expiry }[];
  users: { id: string; tlsCertPath: string; tlsKeyPath: string; certificate: Expiry }[];
  cas: { mspId: string; ca: string; state: string }[];
}
interface Renewed {
  id: string;
  enrollment: { path: string; serialNumber: string; notAfter: string };
  tls: { path: string; serialNumber: string; notAfter: string };
  backupDir: string;
  restarted: boolean;
  reloaded: boolean;
  restartNeeded: boolean;
  revoked?: { serialNumbers: string[] };
}

const PEER = 'peer0.org1.example.com';

/**
 * `weft network status` shows when certificates expire and `weft network renew` re-issues them, on
 * a running one-org network under mutual TLS (real processes): a peer renewed while running reloads
 * its certificates live (same process) and serves, endorses and can have its old certificate
 * revoked without a restart; one renewed with --restart serves with its new TLS certificate; a renewed user invokes with its new enrollment and TLS client
 * certificates, the old files are in backups/ and no longer in the live folders.
 */
describe('weft network status (expiry) / renew (real processes)', () => {
  let tmp: string;
  let net: string;
  const status = async (): Promise<Status> => json(await runCli(['network', 'status', net, '--json'])) as unknown as Status;
  const renew = async (...args: string[]): Promise<Renewed> => json(await runCli(['network', 'renew', net, ...args, '--json'])) as unknown as Renewed;
  const peerDir = (): string => path.join(net, 'organizations', 'peerOrganizations', 'org1.example.com', 'peers', PEER);
  /** The serial of the certificate the peer presents on its gRPC port. */
  const servedSerial = async (address: string): Promise<string> => {
    const [host, port] = address.split(':');
    const socket = tls.connect({ host, port: Number(port), servername: PEER, rejectUnauthorized: false, ALPNProtocols: ['h2'] });
    try {
      await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
      return socket.getPeerCertificate().serialNumber;
    } finally {
      socket.destroy();
    }
  };
  const filesUnder = (dir: string): Buffer[] =>
    fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => fs.readFileSync(path.join(e.parentPath, e.name)));

  /** A channel's latest config block as the orderer holds it (network.yaml need not list the channel), and the consenter it names. */
  const ordererConfig = async (channel: string): Promise<{ number: number; consenter: Buffer }> => {
    const layout = openNetwork(net);
    const read = await ordererBlock(readingThroughOrderer(layout, layout.orderers()[0]!, channel), loadClientIdentity(layout.ordererAdmin()), 'config');
    const { consensusType } = parseConfigBlock(read.bytes);
    return { number: read.number, consenter: Buffer.from(decodeEtcdraftMetadata(consensusType.metadata).getConsentersList()[0]!.getServerTlsCert_asU8()) };
  };

  let started: StartedNetwork;
  beforeAll(async () => {
    // etcdraft: the channel names the orderer's TLS certificate as its consenter, which renewing the orderer must update.
    started = await startMutualTlsOrg('weft-e2e-renew-', ['--consensus', 'etcdraft']);
    ({ tmp, net } = started);
  }, 180_000);
  afterAll(() => started?.stop());

  it("shows each node's, user's and CA's expiry: init's ten years, nothing flagged", async () => {
    const s = await status();
    for (const member of [...s.orderers, ...s.peers, ...s.users]) {
      expect(member.certificate).toMatchObject({ state: 'valid', daysLeft: expect.any(Number) });
      expect(member.certificate.daysLeft).toBeGreaterThan(3600);
    }
    expect(s.cas.map((c) => `${c.mspId} ${c.ca} ${c.state}`)).toEqual(['OrdererMSP ca valid', 'OrdererMSP tlsca valid', 'Org1MSP ca valid', 'Org1MSP tlsca valid']);
  });

  it('renews a running peer for 10 days: it reloads them live (same process), status flags it, --revoke-old needs no restart; --restart still restarts', async () => {
    const peerStatus = (await status()).peers.find((p) => p.id === PEER)!;
    const address = peerStatus.address;
    const pidFile = path.join(net, 'run', `${PEER}.pid`);
    const pid = fs.readFileSync(pidFile, 'utf8').trim();
    const oldSign = fs.readFileSync(path.join(peerDir(), 'msp', 'signcerts', `${PEER}-cert.pem`));
    const admin = (await status()).users.find((u) => u.id === 'Admin@org1.example.com')!;
    const gauges = async (): Promise<(kind: string) => number> => {
      const { body: metrics } = await httpsGet(peerStatus.operationsAddress, '/metrics', fs.readFileSync(peerStatus.tlsRootCertPath), PEER, {
        cert: fs.readFileSync(admin.tlsCertPath),
        key: fs.readFileSync(admin.tlsKeyPath),
      });
      return (kind) => Number(new RegExp(`^weft_certificate_expiry_timestamp_seconds\\{kind="${kind}"\\} (\\d+)$`, 'm').exec(metrics)?.[1]);
    };
    const invoke = async (id: string): Promise<Record<string, unknown>> =>
      json(await runCli(['chaincode', 'invoke', net, '--name', 'basic', '--org', 'Org1', '--user', 'User1', 'CreateAsset', id, 'blue', '3', 'User1', '10', '--json']));

    const short = await renew('--node', PEER, '--days', '10');
    expect(short).toMatchObject({ id: PEER, restarted: false, reloaded: true, restartNeeded: false });
    expect(fs.readFileSync(pidFile, 'utf8').trim()).toBe(pid);
    expect(BigInt(`0x${await servedSerial(address)}`)).toBe(BigInt(`0x${short.tls.serialNumber}`));
    // The peer is the org's one endorser: a valid invoke is endorsed with the key of the certificate the gauge reports.
    expect(await invoke('reload-1')).toMatchObject({ valid: true });
    expect((await gauges())('enrollment')).toBe(Math.floor(Date.parse(short.enrollment.notAfter) / 1000));
    const flagged = (await status()).peers.find((p) => p.id === PEER)!.certificate;
    expect(flagged).toMatchObject({ state: 'expiring', daysLeft: 9 });
    // The replaced folder is kept whole, outside organizations/ (so no export copies its keys); the live one holds none of its files.
    expect(short.backupDir.startsWith(path.join(net, 'backups') + path.sep)).toBe(true);
    expect(fs.readFileSync(path.join(short.backupDir, 'msp', 'signcerts', `${PEER}-cert.pem`))).toEqual(oldSign);
    expect(fs.statSync(path.join(net, 'backups')).mode & 0o777).toBe(0o700);

    // Reloaded, the peer no longer signs with the certificates revoked: no restart needed.
    const revoking = json(await runCli(['network', 'renew', net, '--node', PEER, '--revoke-old', '--json'], { timeoutMs: 60_000 })) as unknown as Renewed;
    expect(revoking).toMatchObject({ reloaded: true, restarted: false, restartNeeded: false });
    expect(revoking.revoked!.serialNumbers).toHaveLength(2);
    expect(fs.readFileSync(pidFile, 'utf8').trim()).toBe(pid);
    expect(await invoke('reload-2')).toMatchObject({ valid: true });

    const renewed = await renew('--node', PEER, '--restart');
    expect(renewed).toMatchObject({ restarted: true, reloaded: false, restartNeeded: false });
    expect(fs.readFileSync(pidFile, 'utf8').trim()).not.toBe(pid);
    expect(BigInt(`0x${await servedSerial(address)}`)).toBe(BigInt(`0x${renewed.tls.serialNumber}`));
    const after = await status();
    expect(after.up).toBe(true);
    expect(after.peers.find((p) => p.id === PEER)!.certificate).toMatchObject({ state: 'valid' });
    // The restarted peer tracks the certificates it now runs on (Fabric's TrackExpiration, as a gauge).
    const gauge = await gauges();
    expect(gauge('enrollment')).toBe(Math.floor(Date.parse(renewed.enrollment.notAfter) / 1000));
    expect(gauge('tls_server')).toBe(Math.floor(Date.parse(renewed.tls.notAfter) / 1000));
    // None of the earlier certificates and keys is left in the live folder.
    const live = filesUnder(peerDir());
    for (const backup of [short.backupDir, revoking.backupDir, renewed.backupDir]) {
      for (const file of [`msp/signcerts/${PEER}-cert.pem`, 'msp/keystore/priv_sk', 'tls/server.crt', 'tls/server.key']) {
        const old = fs.readFileSync(path.join(backup, file));
        expect([file, live.some((f) => f.equals(old))]).toEqual([file, false]);
      }
    }
    expect(fs.statSync(path.join(peerDir(), 'msp', 'keystore', 'priv_sk')).mode & 0o777).toBe(0o600);
  }, 150_000);

  it("renews the orderer: every etcdraft channel it serves, network.yaml's and one joined outside it, names its new TLS certificate first; it reloads, orders, and serves them all after a restart", async () => {
    const ORDERER = 'orderer.example.com';
    const tlsFile = path.join(net, 'organizations', 'ordererOrganizations', 'example.com', 'orderers', ORDERER, 'tls', 'server.crt');
    const invoke = async (id: string): Promise<Record<string, unknown>> =>
      json(await runCli(['chaincode', 'invoke', net, '--name', 'basic', '--org', 'Org1', '--user', 'User1', 'CreateAsset', id, 'green', '3', 'User1', '10', '--json']));
    const consenterCert = async (): Promise<Buffer> => {
      const file = path.join(tmp, `config-${Date.now()}.block`);
      json(await runCli(['channel', 'fetch', net, 'config', '-o', file, '--json']));
      const { consensusType } = parseConfigBlock(new Uint8Array(fs.readFileSync(file)));
      expect(consensusType.type).toBe('etcdraft');
      return Buffer.from(decodeEtcdraftMetadata(consensusType.metadata).getConsentersList()[0]!.getServerTlsCert_asU8());
    };
    expect(await consenterCert()).toEqual(fs.readFileSync(tlsFile));

    // Channels network.yaml never lists, as an operator joins them: osnadmin channel join for the
    // orderer, peer channel join -b for the peer. `side` is etcdraft, naming the orderer; `legacy` is solo.
    const layout = openNetwork(net);
    const orderer = layout.orderers()[0]!;
    const peer = layout.peers()[0]!;
    const participation = new OrdererAdminClient(orderer, layout);
    const side = channelGenesisBlock(layout, { name: 'side', batchTimeout: '250ms', maxMessageCount: 10 });
    await participation.join('side', side);
    const peerAdminId = peerAdmin(layout, peer);
    await withPeerClient(layout.spec, peer, peerAdminId, (c) => c.call(peerAdminId.signer, '', 'cscc', ['JoinChain', side]));
    await participation.join('legacy', channelGenesisBlock(new NetworkLayout(net, { ...layout.spec, consensus: 'solo' }), { name: 'legacy', batchTimeout: '250ms', maxMessageCount: 10 }));
    expect(await ordererConfig('side')).toEqual({ number: 0, consenter: fs.readFileSync(tlsFile) });

    const run = await runCli(['network', 'renew', net, '--node', ORDERER, '--json'], { timeoutMs: 120_000 });
    const renewed = json(run) as unknown as Renewed & { consenterUpdates: { channel: string; configBlock: number }[] };
    expect(renewed).toMatchObject({ id: ORDERER, reloaded: true, restartNeeded: false });
    expect(renewed.consenterUpdates.map((u) => u.channel).sort()).toEqual(['mychannel', 'side']);
    expect(run.message).toContain('channel legacy: its solo config names no consenter');
    const renewedTls = fs.readFileSync(tlsFile);
    expect(renewedTls).not.toEqual(fs.readFileSync(path.join(renewed.backupDir, 'tls', 'server.crt')));
    expect(await consenterCert()).toEqual(renewedTls);
    expect(await ordererConfig('side')).toEqual({ number: 1, consenter: renewedTls });
    expect(renewed.consenterUpdates.find((u) => u.channel === 'side')).toMatchObject({ configBlock: 1 });
    // The peer that joined `side` was waited for: it holds the config block when renew returns.
    expect(BlockchainInfo.deserializeBinary(await qsccRead(layout, peer, 'side', ['GetChainInfo', 'side'])).getHeight()).toBe(2);
    expect(await invoke('orderer-renewed-1')).toMatchObject({ valid: true });

    // Started again on its new certificate, the orderer finds itself the consenter of every channel:
    // up waits for its /healthz, which fails while a channel is not served.
    expect((await runCli(['network', 'down', net, '--node', ORDERER])).code).toBe(0);
    expect((await runCli(['network', 'up', net, '--node', ORDERER])).code).toBe(0);
    expect((await status()).up).toBe(true);
    for (const channel of ['side', 'legacy']) expect(await participation.info(channel)).toMatchObject({ status: 'active' });
  }, 240_000);

  it("renews the orderer while this directory's peer is stopped: every channel is rotated without waiting for it, and started, the peer takes each new config block from the orderer", async () => {
    const ORDERER = 'orderer.example.com';
    const layout = openNetwork(net);
    const participation = new OrdererAdminClient(layout.orderers()[0]!, layout);
    const ordererHeight = async (channel: string): Promise<number> => (await participation.info(channel))!.height!;
    const heightsBefore = { mychannel: await ordererHeight('mychannel'), side: await ordererHeight('side') };
    expect((await runCli(['network', 'down', net, '--node', PEER])).code).toBe(0);
    let run: Awaited<ReturnType<typeof runCli>>;
    try {
      run = await runCli(['network', 'renew', net, '--node', ORDERER, '--json'], { timeoutMs: 120_000 });
    } finally {
      await runCli(['network', 'up', net, '--node', PEER]);
    }
    const renewed = json(run) as unknown as Renewed & { consenterUpdates: { channel: string; notWaitedFor?: string[] }[] };
    // mychannel is network.yaml's, side is not: the stopped peer is named, not waited for, in each (progress and --json).
    expect(renewed.consenterUpdates.map((u) => [u.channel, u.notWaitedFor]).sort()).toEqual([
      ['mychannel', [PEER]],
      ['side', [PEER]],
    ]);
    for (const channel of ['mychannel', 'side']) expect(run.message).toContain(`channel ${channel}: not waiting for ${PEER}, which does not run here: started, it takes the new config block from the orderer`);
    const peer = layout.peers()[0]!;
    for (const channel of ['mychannel', 'side'] as const) {
      const height = await ordererHeight(channel);
      expect(height).toBeGreaterThan(heightsBefore[channel]);
      // Up again, the peer pulls what it missed from the orderer (which now serves its new certificate): the config block included.
      await eventually(async () => expect(BlockchainInfo.deserializeBinary(await qsccRead(layout, peer, channel, ['GetChainInfo', channel])).getHeight()).toBe(height), 30_000);
    }
  }, 180_000);

  it("renews a solo network's orderer that consents for etcdraft channels joined with osnadmin: each is rotated as on an etcdraft network, the solo one left as it is", async () => {
    const ORDERER = 'orderer.example.com';
    const tlsFile = path.join(net, 'organizations', 'ordererOrganizations', 'example.com', 'orderers', ORDERER, 'tls', 'server.crt');
    const networkFile = path.join(net, 'network.yaml');
    const yaml = fs.readFileSync(networkFile, 'utf8');
    expect(yaml).toMatch(/^consensus: etcdraft$/m);
    // A solo network as renew sees it: network.yaml's consensus is all it reads of the network's. Its
    // orderer serves the etcdraft channels it was joined to (mychannel and side here) and the solo legacy.
    fs.writeFileSync(networkFile, yaml.replace(/^consensus: etcdraft$/m, 'consensus: solo'));
    let run: Awaited<ReturnType<typeof runCli>>;
    try {
      run = await runCli(['network', 'renew', net, '--node', ORDERER, '--json'], { timeoutMs: 120_000 });
    } finally {
      fs.writeFileSync(networkFile, yaml);
    }
    const renewed = json(run) as unknown as Renewed & { consenterUpdates: { channel: string }[] };
    expect(renewed).toMatchObject({ id: ORDERER, reloaded: true });
    expect(renewed.consenterUpdates.map((u) => u.channel).sort()).toEqual(['mychannel', 'side']);
    expect(run.message).toContain('channel legacy: its solo config names no consenter');
    const renewedTls = fs.readFileSync(tlsFile);
    expect(renewedTls).not.toEqual(fs.readFileSync(path.join(renewed.backupDir, 'tls', 'server.crt')));
    // What the orderer finds itself by when it next opens the channel (the restart in the next test).
    expect((await ordererConfig('side')).consenter).toEqual(renewedTls);
  }, 180_000);

  it("renews the orderer while its org's Admin, who signs channel updates, has an ended certificate: it keeps its TLS key, by which every channel still finds it, updates none, and serves them after a restart", async () => {
    const ORDERER = 'orderer.example.com';
    const folder = path.join(net, 'organizations', 'ordererOrganizations', 'example.com');
    const tlsFile = path.join(folder, 'orderers', ORDERER, 'tls', 'server.crt');
    const adminCert = path.join(folder, 'users', 'Admin@example.com', 'msp', 'signcerts', 'Admin@example.com-cert.pem');
    const original = fs.readFileSync(adminCert);
    const issued = new X509Certificate(original);
    // The Admin's enrollment certificate as its CA would have issued it to end 5 s ago (same key): the orderer refuses what it signs.
    const ended = await reissue(issued.raw, undefined, {
      selfSignKey: loadOrgCa(folder, 'ca').signer.privateKey,
      mutate: (c) => {
        c.notBefore = encodeTime(new Date(issued.validFrom));
        c.notAfter = encodeTime(new Date(Date.now() - 5_000));
      },
    });
    const before = fs.readFileSync(tlsFile);
    fs.writeFileSync(adminCert, ended.pem);
    let run: Awaited<ReturnType<typeof runCli>>;
    try {
      run = await runCli(['network', 'renew', net, '--node', ORDERER, '--json'], { timeoutMs: 120_000 });
    } finally {
      fs.writeFileSync(adminCert, original);
    }
    const renewed = json(run) as unknown as Renewed & { consenterUpdates?: unknown[] };
    expect(renewed).toMatchObject({ id: ORDERER, reloaded: true, restartNeeded: false });
    expect(renewed.consenterUpdates).toBeUndefined();
    expect(run.message).toContain("Admin@example.com's certificate (it signs the channel update) ended");
    const after = new X509Certificate(fs.readFileSync(tlsFile));
    expect(after.serialNumber).not.toBe(new X509Certificate(before).serialNumber);
    expect(after.publicKey.equals(new X509Certificate(before).publicKey)).toBe(true);
    expect((await runCli(['network', 'down', net, '--node', ORDERER])).code).toBe(0);
    expect((await runCli(['network', 'up', net, '--node', ORDERER])).code).toBe(0);
    expect((await status()).up).toBe(true);
  }, 180_000);

  it('a channel that refuses the new consenter certificate (an update over its AbsoluteMaxBytes) leaves every channel naming the old one, the ones rotated before it rotated back, and the orderer unrenewed', async () => {
    const ORDERER = 'orderer.example.com';
    const tlsFile = path.join(net, 'organizations', 'ordererOrganizations', 'example.com', 'orderers', ORDERER, 'tls', 'server.crt');
    const layout = openNetwork(net);
    // Joined outside network.yaml; listed after mychannel (the orderer lists its channels by name), so mychannel is rotated first.
    const tight = channelGenesisBlock(layout, { name: 'zlocked', batchTimeout: '250ms', maxMessageCount: 10, absoluteMaxBytes: 1000, preferredMaxBytes: 1000 });
    await new OrdererAdminClient(layout.orderers()[0]!, layout).join('zlocked', tight);
    const tlsBefore = fs.readFileSync(tlsFile);
    const mychannelBefore = await ordererConfig('mychannel');
    const err = errorOf(await runCli(['network', 'renew', net, '--node', ORDERER, '--json'], { timeoutMs: 120_000 }));
    expect(err).toMatchObject({ code: 'CONFIG_UPDATE_REFUSED', details: { channel: 'zlocked' } });
    expect(err.message).toContain('AbsoluteMaxBytes');
    expect(fs.readFileSync(tlsFile)).toEqual(tlsBefore);
    // mychannel took the new certificate, then the old one back: a later config block, naming the certificate the orderer runs with.
    const mychannelAfter = await ordererConfig('mychannel');
    expect(mychannelAfter.number).toBeGreaterThan(mychannelBefore.number);
    expect(mychannelAfter.consenter).toEqual(tlsBefore);
    expect(await ordererConfig('zlocked')).toEqual({ number: 0, consenter: tlsBefore });
    expect((await status()).up).toBe(true);
  }, 180_000);

  it('renews a user: it invokes at once with its new certificates, no config update', async () => {
    const userDir = path.join(net, 'organizations', 'peerOrganizations', 'org1.example.com', 'users', 'User1@org1.example.com');
    const { configBlock } = json(await runCli(['channel', 'info', net, '--json']));
    const renewed = await renew('--org', 'Org1', '--user', 'User1', '--days', '20');
    expect(renewed.enrollment.path).toBe(path.join(userDir, 'msp', 'signcerts', 'User1@org1.example.com-cert.pem'));
    for (const file of ['msp/signcerts/User1@org1.example.com-cert.pem', 'tls/client.crt', 'msp/keystore/priv_sk', 'tls/client.key']) {
      expect(fs.readFileSync(path.join(userDir, file))).not.toEqual(fs.readFileSync(path.join(renewed.backupDir, file)));
    }
    expect((await status()).users.find((u) => u.id === 'User1@org1.example.com')!.certificate).toMatchObject({ state: 'expiring', daysLeft: 19 });
    // The command status prints beside the flagged user renews it.
    const text = await runCli(['network', 'status', net]);
    const printed = /^ {2}user +User1@org1\.example\.com .*\(\d+ days left; renew: (weft network renew [^)]+)\)/m.exec(text.stdout)?.[1];
    expect(printed).toBe(`weft network renew ${net} --org Org1 --user User1`);
    json(await runCli([...printed!.split(' ').slice(1), '--json']));
    expect((await status()).users.find((u) => u.id === 'User1@org1.example.com')!.certificate).toMatchObject({ state: 'valid' });
    const invoked = json(await runCli(['chaincode', 'invoke', net, '--name', 'basic', '--org', 'Org1', '--user', 'User1', 'CreateAsset', 'r1', 'blue', '3', 'User1', '10', '--json']));
    expect(invoked).toMatchObject({ valid: true });
    expect(json(await runCli(['channel', 'info', net, '--json']))).toMatchObject({ configBlock });
  });

  it('refuses without the CA key (an exported directory), an unknown user, --restart for a user: nothing written', async () => {
    const exported = path.join(tmp, 'org1-host');
    json(await runCli(['network', 'export', net, exported, '--org', 'Org1', '--json']));
    const before = filesUnder(path.join(exported, 'organizations'));
    expect(errorOf(await runCli(['network', 'renew', exported, '--node', PEER, '--json']))).toMatchObject({
      code: 'CA_KEY_NOT_HERE',
      details: { file: path.join(exported, 'organizations', 'peerOrganizations', 'org1.example.com', 'ca', 'priv_sk') },
    });
    expect(filesUnder(path.join(exported, 'organizations'))).toEqual(before);
    expect(fs.existsSync(path.join(exported, 'backups'))).toBe(false);
    expect(errorOf(await runCli(['network', 'renew', net, '--org', 'Org1', '--user', 'Nobody', '--json']))).toMatchObject({ code: 'UNKNOWN_USER', details: { field: '--user' } });
    expect(errorOf(await runCli(['network', 'renew', net, '--org', 'Org1', '--user', 'User1', '--restart', '--json']))).toMatchObject({ code: 'RESTART_NEEDS_NODE', details: { field: '--restart' } });
    expect(errorOf(await runCli(['network', 'renew', net, '--json']))).toMatchObject({ code: 'RENEW_TARGET' });
  });
});
