import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { loadNodeConfig } from '../../../../core/node/config';
import { toOrdererNodeConfig } from '../../../../core/orderer/orderer-config';
import { parsePeerConfig } from '../../../../core/peer/peer-config';
import { parseConfigBlock } from '../../../../core/protocol/config-parse';
import { loadSigningIdentity } from '../../../../plugins/msp-x509';
import { DEFAULT_INIT_OPTIONS, initNetwork, initNetworkFromFile } from '../../../../cli/services/network/network-init';
import { NetworkLayout } from '../../../../cli/services/network/network-layout';
import { loadNetworkSpec } from '../../../../cli/services/network/network-spec';

describe('initNetwork', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-init-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('writes network.yaml, cryptogen-layout material, valid node configs and a genesis block', async () => {
    const dir = path.join(tmp, 'net');
    const steps: string[] = [];
    const result = await initNetwork(dir, { ...DEFAULT_INIT_OPTIONS, orgs: 3, peersPerOrg: 2, basePort: 20000, batchTimeout: '250ms', maxMessageCount: 7 }, (s) =>
      steps.push(s),
    );
    expect(steps.length).toBeGreaterThan(0);
    const spec = loadNetworkSpec(dir);
    expect(spec.orgs.map((o) => o.mspId)).toEqual(['Org1MSP', 'Org2MSP', 'Org3MSP']);
    expect(spec.orgs[2]!.peers).toHaveLength(2);
    expect(fs.readFileSync(result.networkFile, 'utf8')).toMatch(/# BatchTimeout/);

    const layout = new NetworkLayout(dir, spec);
    // cryptogen's folder layout
    for (const rel of [
      'organizations/ordererOrganizations/example.com/orderers/orderer.example.com/tls/server.crt',
      'organizations/peerOrganizations/org3.example.com/peers/peer1.org3.example.com/msp/signcerts/peer1.org3.example.com-cert.pem',
      'organizations/peerOrganizations/org1.example.com/users/User1@org1.example.com/msp/keystore/priv_sk',
      'organizations/peerOrganizations/org1.example.com/msp/config.yaml',
    ]) {
      expect(fs.existsSync(path.join(dir, rel))).toBe(true);
    }
    for (const u of layout.users()) {
      expect(loadSigningIdentity(u.mspDir, u.mspId).mspId).toBe(u.mspId);
      expect(fs.existsSync(u.certPath) && fs.existsSync(u.keyPath)).toBe(true);
    }

    // each node config validates with the node's own schema, and points at existing files
    for (const node of layout.nodes()) {
      const config = loadNodeConfig(node.configFile);
      expect(config.id).toBe(node.id);
      expect(fs.existsSync(config.msp.dir)).toBe(true);
      if (node.kind === 'orderer') {
        const o = toOrdererNodeConfig(config);
        expect(fs.existsSync(o.orderer.tls.cert)).toBe(true);
        expect(o.orderer.operations?.listenAddress).toBe(node.operationsAddress);
      } else {
        const p = parsePeerConfig(config);
        expect(p.peer.listenAddress).toBe(node.address);
        expect(p.peer.gateway.peers).toHaveLength(layout.peers().length - 1);
        expect(fs.existsSync(p.peer.tls.certFile!)).toBe(true);
      }
    }
    const ports = layout.nodes().flatMap((n) => [n.address, n.adminAddress, n.operationsAddress].filter((a) => a !== undefined));
    expect(ports).toHaveLength(1 + 1 + 1 + 6 * 2);
    expect(new Set(ports).size).toBe(ports.length);
    // The peers keep the ports they had before orderers had an operations server: it is taken last.
    expect(layout.peers()[0]!.address).toBe('127.0.0.1:20002');
    expect(layout.orderers()[0]!.operationsAddress).toBe('127.0.0.1:20014');

    const parsed = parseConfigBlock(fs.readFileSync(result.genesisBlock));
    expect(parsed.channelId).toBe('mychannel');
    expect(JSON.stringify(parsed)).toContain('Org3MSP');
  });

  it('turns peer TLS off with tls: false', async () => {
    const dir = path.join(tmp, 'plain');
    await initNetwork(dir, { ...DEFAULT_INIT_OPTIONS, tls: false, basePort: 21000 });
    const spec = loadNetworkSpec(dir);
    expect(spec.tls).toBe(false);
    const peer = new NetworkLayout(dir, spec).peers()[0]!;
    expect(parsePeerConfig(loadNodeConfig(peer.configFile)).peer.tls.enabled).toBe(false);
  });

  it("with mutualTls every node requires client certificates of the network orgs' TLS CAs", async () => {
    const dir = path.join(tmp, 'mtls');
    await initNetwork(dir, { ...DEFAULT_INIT_OPTIONS, orgs: 3, mutualTls: true, basePort: 21000 });
    const spec = loadNetworkSpec(dir);
    expect(spec.mutualTls).toBe(true);
    const layout = new NetworkLayout(dir, spec);
    const peerOrgCas = spec.orgs.map((o) => layout.orgTlsCaCert(o));
    const peer = parsePeerConfig(loadNodeConfig(layout.peers()[2]!.configFile)).peer.tls;
    expect(peer.clientAuthRequired).toBe(true);
    expect(peer.rootCertFiles).toEqual(peerOrgCas);
    const orderer = toOrdererNodeConfig(loadNodeConfig(layout.orderers()[0]!.configFile)).orderer.tls;
    expect(orderer.clientAuthRequired).toBe(true);
    expect(orderer.clientRootCAs).toEqual([layout.orgTlsCaCert(undefined), ...peerOrgCas]);

    // Off by default; and it needs TLS.
    const oneWay = path.join(tmp, 'one-way');
    await initNetwork(oneWay, { ...DEFAULT_INIT_OPTIONS, basePort: 21000 });
    const oneWayLayout = new NetworkLayout(oneWay, loadNetworkSpec(oneWay));
    expect(oneWayLayout.spec.mutualTls).toBe(false);
    expect(parsePeerConfig(loadNodeConfig(oneWayLayout.peers()[0]!.configFile)).peer.tls.clientAuthRequired).toBe(false);
    expect(toOrdererNodeConfig(loadNodeConfig(oneWayLayout.orderers()[0]!.configFile)).orderer.tls.clientAuthRequired).toBe(false);
    await expect(initNetwork(path.join(tmp, 'mtls-plain'), { ...DEFAULT_INIT_OPTIONS, tls: false, mutualTls: true })).rejects.toThrow(/mutualTls: mutual TLS needs tls: true/);
    expect(fs.existsSync(path.join(tmp, 'mtls-plain'))).toBe(false);
  });

  it('places nodes on the hosts --host names: certificates, listen and advertised addresses, the genesis block', async () => {
    const dir = path.join(tmp, 'hosts');
    await initNetwork(dir, { ...DEFAULT_INIT_OPTIONS, basePort: 24000, hosts: ['10.1.2.3', 'peer0.org2.example.com=vm2.internal', 'orderer.example.com=127.0.0.5'] });
    const layout = new NetworkLayout(dir, loadNetworkSpec(dir));
    const [org1, org2] = layout.peers();
    expect(layout.nodes().map((n) => n.host)).toEqual(['127.0.0.5', '10.1.2.3', 'vm2.internal']);

    // A loopback host keeps its own address; any other listens on every interface and advertises its host.
    const orderer = toOrdererNodeConfig(loadNodeConfig(layout.orderers()[0]!.configFile));
    expect(orderer.orderer.listenAddress).toBe('127.0.0.5:24000');
    expect(orderer.orderer.admin?.listenAddress).toBe('127.0.0.5:24001');
    const peer = parsePeerConfig(loadNodeConfig(org1!.configFile));
    expect(peer.peer).toMatchObject({ listenAddress: '0.0.0.0:24002', externalAddress: '10.1.2.3:24002', operations: { listenAddress: '0.0.0.0:24003' } });
    // Listening on every interface, its operations endpoint serves TLS: /metrics and /logspec for its org's TLS client certificates.
    expect(peer.peer.operations?.tls).toEqual({
      enabled: true,
      certFile: path.join(org1!.tlsDir, 'server.crt'),
      keyFile: path.join(org1!.tlsDir, 'server.key'),
      rootCertFiles: [org1!.tlsRootCertPath],
      clientAuthRequired: false,
    });
    expect(orderer.orderer.operations?.tls).toBeUndefined();
    expect(peer.peer.gateway.peers.map((p) => p.address)).toEqual(['vm2.internal:24004']);

    const tlsCert = (node: typeof org1) => new X509Certificate(fs.readFileSync(path.join(node!.tlsDir, 'server.crt')));
    expect(tlsCert(org1).checkIP('10.1.2.3')).toBe('10.1.2.3');
    expect(tlsCert(org2).checkHost('vm2.internal')).toBe('vm2.internal');
    expect(tlsCert(org1).checkHost('vm2.internal')).toBeUndefined();
    expect(tlsCert(layout.orderers()[0]).checkIP('127.0.0.5')).toBe('127.0.0.5');

    // Peers find the orderer, and each other's anchor peers, at these hosts through the channel config.
    const config = JSON.stringify(parseConfigBlock(fs.readFileSync(layout.genesisBlockFile)));
    expect(config).toContain('127.0.0.5:24000');
    expect(config).toContain('vm2.internal');
  });

  it('rejects --host values it cannot place, writing nothing', async () => {
    const dir = path.join(tmp, 'badhosts');
    const init = (hosts: string[]) => initNetwork(dir, { ...DEFAULT_INIT_OPTIONS, basePort: 25000, hosts });
    await expect(init(['10.0.0.1', '10.0.0.2'])).rejects.toMatchObject({ code: 'INIT_OPTIONS_INVALID', message: expect.stringContaining('given 2 times') });
    await expect(init(['peer9.org1.example.com=10.0.0.1'])).rejects.toMatchObject({
      message: expect.stringContaining('no node peer9.org1.example.com (its nodes: orderer.example.com, peer0.org1.example.com, peer0.org2.example.com)'),
    });
    await expect(init(['peer0.org1.example.com=not_a host'])).rejects.toThrow(/orgs\.0\.peers\.0\.host: a DNS name or an IPv4 address/);
    await expect(init(['::1'])).rejects.toThrow(/host: a DNS name or an IPv4 address \(for IPv6, use a DNS name\)/);
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('init --from builds a hand-written network.yaml: its org names, domains, users, hosts and channels', async () => {
    const file = path.join(tmp, 'my-network.yaml');
    const peer = (name: string, port: number, host?: string) => ({ name, ...(host ? { host } : {}), port, operationsPort: port + 1 });
    const spec = {
      version: 1,
      channel: { name: 'trade', batchTimeout: '500ms', maxMessageCount: 10 },
      otherChannels: [{ name: 'audit', batchTimeout: '1s', maxMessageCount: 5, orgs: ['Acme'] }],
      ordererOrg: { name: 'Ordering', mspId: 'OrderingMSP', domain: 'ordering.test', orderers: [{ name: 'osn1', port: 26000, adminPort: 26001, operationsPort: 26002 }] },
      orgs: [
        { name: 'Acme', mspId: 'AcmeMSP', domain: 'acme.test', peers: [peer('p0', 26010), peer('p1', 26012)], users: ['Admin', 'Alice'] },
        { name: 'Beta', mspId: 'BetaMSP', domain: 'beta.test', peers: [peer('p0', 26020, 'beta.internal')] },
      ],
    };
    fs.writeFileSync(file, stringifyYaml(spec));
    const dir = path.join(tmp, 'from');
    const result = await initNetworkFromFile(dir, file);
    expect(result.channels).toEqual(['trade', 'audit']);
    expect(result.nodes.map((n) => [n.id, n.address])).toEqual([
      ['osn1.ordering.test', '127.0.0.1:26000'],
      ['p0.acme.test', '127.0.0.1:26010'],
      ['p1.acme.test', '127.0.0.1:26012'],
      ['p0.beta.test', 'beta.internal:26020'],
    ]);
    expect(result.users.map((u) => u.id)).toEqual(['Admin@acme.test', 'Alice@acme.test', 'Admin@beta.test', 'User1@beta.test']);

    const layout = new NetworkLayout(dir, loadNetworkSpec(dir));
    expect(loadSigningIdentity(layout.users()[1]!.mspDir, 'AcmeMSP').mspId).toBe('AcmeMSP');
    expect(new X509Certificate(fs.readFileSync(path.join(layout.peers()[2]!.tlsDir, 'server.crt'))).checkHost('beta.internal')).toBe('beta.internal');
    // Each channel's genesis block has its member orgs only.
    const members = (channel: string) => parseConfigBlock(fs.readFileSync(layout.genesisBlockFileOf(channel))).applicationOrgs.map((o) => o.mspId);
    expect(members('trade')).toEqual(['AcmeMSP', 'BetaMSP']);
    expect(members('audit')).toEqual(['AcmeMSP']);
    expect(loadNetworkSpec(dir).otherChannels).toEqual([{ name: 'audit', batchTimeout: '1s', maxMessageCount: 5, orgs: ['Acme'] }]);
  });

  it('init --from refuses a network.yaml that names an org, domain or node twice, or that cannot be read, writing nothing', async () => {
    const file = path.join(tmp, 'twice.yaml');
    const org = (name: string, domain: string, mspId: string, port: number) => ({ name, mspId, domain, peers: [{ name: 'peer0', port, operationsPort: port + 1 }] });
    const write = (orgs: unknown[], orderers = [{ name: 'orderer', port: 27000, adminPort: 27001 }]) =>
      fs.writeFileSync(file, stringifyYaml({ version: 1, channel: { name: 'c', batchTimeout: '1s', maxMessageCount: 1 }, ordererOrg: { mspId: 'OMSP', domain: 'o.test', orderers }, orgs }));
    const dir = path.join(tmp, 'never');
    write([org('A', 'a.test', 'AMSP', 27010), org('A', 'b.test', 'BMSP', 27020)]);
    await expect(initNetworkFromFile(dir, file)).rejects.toThrow(/orgs\.1\.name: org name A is used twice/);
    await expect(initNetworkFromFile(dir, file)).rejects.toMatchObject({ code: 'NETWORK_SPEC_INVALID', details: { suggestions: [expect.stringContaining('start from a network.yaml that weft network init wrote')] } });
    write([org('A', 'a.test', 'AMSP', 27010), org('B', 'a.test', 'BMSP', 27020)]);
    await expect(initNetworkFromFile(dir, file)).rejects.toThrow(/orgs\.1\.domain: domain a\.test is used twice/);
    write([{ ...org('A', 'a.test', 'AMSP', 27010), peers: [{ name: 'peer0', port: 27010, operationsPort: 27011 }, { name: 'peer0', port: 27012, operationsPort: 27013 }] }]);
    await expect(initNetworkFromFile(dir, file)).rejects.toThrow(/orgs\.0\.peers\.1\.name: peer name peer0 is used twice/);
    await expect(initNetworkFromFile(dir, path.join(tmp, 'absent.yaml'))).rejects.toMatchObject({ code: 'NETWORK_SPEC_NOT_FOUND' });
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('refuses a non-empty directory and leaves it untouched', async () => {
    fs.writeFileSync(path.join(tmp, 'keep.txt'), 'x');
    await expect(initNetwork(tmp, DEFAULT_INIT_OPTIONS)).rejects.toMatchObject({ code: 'TARGET_NOT_EMPTY' });
    expect(fs.readdirSync(tmp)).toEqual(['keep.txt']);
  });

  it('rejects bad options with the field named and writes nothing', async () => {
    const dir = path.join(tmp, 'bad');
    await expect(initNetwork(dir, { ...DEFAULT_INIT_OPTIONS, channel: 'Bad_Name' })).rejects.toThrow(/channel\.name/);
    await expect(initNetwork(dir, { ...DEFAULT_INIT_OPTIONS, orderers: 3 })).rejects.toThrow(/Weft's orderer orders alone, so etcdraft here is a one-consenter Raft with exactly one orderer, got 3/);
    await expect(initNetwork(dir, { ...DEFAULT_INIT_OPTIONS, batchTimeout: 'soon' })).rejects.toThrow(/batchTimeout/);
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('reports a hand-broken network.yaml with the path of the bad field', async () => {
    const dir = path.join(tmp, 'net');
    await initNetwork(dir, { ...DEFAULT_INIT_OPTIONS, basePort: 22000 });
    const file = path.join(dir, 'network.yaml');
    const raw = parseYaml(fs.readFileSync(file, 'utf8')) as { orgs: { peers: { port: number }[] }[] };
    raw.orgs[1]!.peers[0]!.port = raw.orgs[0]!.peers[0]!.port;
    fs.writeFileSync(file, JSON.stringify(raw));
    expect(() => loadNetworkSpec(dir)).toThrow(/orgs\.1\.peers\.0\.port: port \d+ is already used/);
    expect(() => loadNetworkSpec(tmp)).toThrow(/not a Weft network directory/);
  });

  it('loads a network.yaml written before orderers had an operations server', async () => {
    const dir = path.join(tmp, 'older');
    await initNetwork(dir, { ...DEFAULT_INIT_OPTIONS, basePort: 23000 });
    const file = path.join(dir, 'network.yaml');
    const raw = parseYaml(fs.readFileSync(file, 'utf8')) as { ordererOrg: { orderers: { operationsPort?: number }[] } };
    delete raw.ordererOrg.orderers[0]!.operationsPort;
    fs.writeFileSync(file, JSON.stringify(raw));
    const layout = new NetworkLayout(dir, loadNetworkSpec(dir));
    expect(layout.orderers()[0]!.operationsAddress).toBeUndefined();
    expect(layout.orderers()[0]!.adminAddress).toBe('127.0.0.1:23001');
  });

  it('checks the channels of network.yaml; forChannel narrows a layout to a channel\'s member orgs', async () => {
    const dir = path.join(tmp, 'channels');
    await initNetwork(dir, { ...DEFAULT_INIT_OPTIONS, basePort: 24000 });
    const file = path.join(dir, 'network.yaml');
    const raw = parseYaml(fs.readFileSync(file, 'utf8')) as { channel: Record<string, unknown>; otherChannels: Record<string, unknown>[] };
    expect(raw.otherChannels).toEqual([]);
    const write = (change: (r: typeof raw) => void): void => {
      const copy = structuredClone(raw);
      change(copy);
      fs.writeFileSync(file, JSON.stringify(copy));
    };
    write((r) => r.otherChannels.push({ name: 'mychannel', batchTimeout: '1s', maxMessageCount: 10 }));
    expect(() => loadNetworkSpec(dir)).toThrow(/otherChannels\.0\.name: channel mychannel is listed twice/);
    write((r) => r.otherChannels.push({ name: 'b', batchTimeout: '1s', maxMessageCount: 10, orgs: ['Org9'] }));
    expect(() => loadNetworkSpec(dir)).toThrow(/otherChannels\.0\.orgs: no org named Org9 \(orgs: Org1, Org2\)/);
    write((r) => (r.channel.orgs = ['Org1']));
    expect(() => loadNetworkSpec(dir)).toThrow(/channel\.orgs: the default channel has every org/);

    write((r) => r.otherChannels.push({ name: 'b', batchTimeout: '1s', maxMessageCount: 10, orgs: ['Org2'] }));
    const layout = new NetworkLayout(dir, loadNetworkSpec(dir));
    const b = layout.forChannel('b');
    expect(b.spec.channel.name).toBe('b');
    expect(b.peers().map((p) => p.id)).toEqual(['peer0.org2.example.com']);
    expect(b.channels().map((c) => c.name)).toEqual(['b', 'mychannel']);
    expect(b.forChannel('mychannel').peers()).toHaveLength(2);
    expect(b.genesisBlockFile).toBe(path.join(dir, 'channel-artifacts', 'b.block'));
    expect(() => layout.forChannel('nope')).toThrow(expect.objectContaining({ code: 'UNKNOWN_CHANNEL', message: expect.stringContaining('it has: mychannel, b') }));
  });
});
