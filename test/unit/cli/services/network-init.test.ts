import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadNodeConfig } from '../../../../core/node/config';
import { toOrdererNodeConfig } from '../../../../core/orderer/orderer-config';
import { parsePeerConfig } from '../../../../core/peer/peer-config';
import { parseConfigBlock } from '../../../../core/protocol/config-parse';
import { loadSigningIdentity } from '../../../../plugins/msp-x509';
import { DEFAULT_INIT_OPTIONS, initNetwork } from '../../../../cli/services/network/network-init';
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

  it('refuses a non-empty directory and leaves it untouched', async () => {
    fs.writeFileSync(path.join(tmp, 'keep.txt'), 'x');
    await expect(initNetwork(tmp, DEFAULT_INIT_OPTIONS)).rejects.toMatchObject({ code: 'TARGET_NOT_EMPTY' });
    expect(fs.readdirSync(tmp)).toEqual(['keep.txt']);
  });

  it('rejects bad options with the field named and writes nothing', async () => {
    const dir = path.join(tmp, 'bad');
    await expect(initNetwork(dir, { ...DEFAULT_INIT_OPTIONS, channel: 'Bad_Name' })).rejects.toThrow(/channel\.name/);
    await expect(initNetwork(dir, { ...DEFAULT_INIT_OPTIONS, orderers: 3 })).rejects.toThrow(/solo consensus runs exactly one orderer/);
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
