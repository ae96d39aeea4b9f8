import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse as parseYaml, stringify } from 'yaml';
import { DEFAULT_INIT_OPTIONS, initNetwork, specFromOptions } from '../../../../cli/services/network/network-init';
import { ConfigError } from '../../../../core/errors';
import { loadNetworkSpec, NETWORK_FILE, parseNetworkSpec, readNetworkSpecFile, type NetworkSpec } from '../../../../cli/services/network/network-spec';
import { networkStatus } from '../../../../cli/services/network/network-control';
import { capabilitiesText } from '../../../../cli/services/network/channel-capabilities-status';
import { checkJoiningOrg, usedPortsOn } from '../../../../cli/services/network/new-org-spec';
import { nodeHealthy, operationsEndpoint } from '../../../../cli/services/network/node-processes';
import { openNetwork } from '../../../../cli/services/network/network-access';
import { refusal } from '../../../support/refusal';

/** A Fabric org as add-org --definition records it from a printOrg JSON: peers on their own hosts, on Fabric's port, no operations port. */
const fabricOrg = {
  name: 'Org3',
  mspId: 'Org3MSP',
  domain: 'org3.example.com',
  peers: [
    { name: 'peer0', host: 'peer0.org3.example.com', port: 7051 },
    { name: 'peer1', host: 'peer1.org3.example.com', port: 7051 },
  ],
  users: ['Admin'],
};

describe('network.yaml ports: per host', () => {
  const base = specFromOptions({ ...DEFAULT_INIT_OPTIONS, basePort: 7051 });
  const withOrg = (org: object): unknown => ({ ...base, orgs: [...base.orgs, org] });

  it('lets nodes on different hosts use the same port, as Fabric peers on 7051 each', () => {
    // base's orderer is 127.0.0.1:7051 too.
    expect(base.ordererOrg.orderers[0]!.port).toBe(7051);
    const spec = parseNetworkSpec(withOrg(fabricOrg), 'test');
    expect(spec.orgs[2]!.peers.map((p) => `${p.host}:${p.port}`)).toEqual(['peer0.org3.example.com:7051', 'peer1.org3.example.com:7051']);
  });

  it('refuses the same port twice on one host, naming both nodes; host names compare case-insensitively and loopback is one machine', () => {
    const twice = { ...fabricOrg, peers: [fabricOrg.peers[0]!, { ...fabricOrg.peers[1]!, host: 'PEER0.org3.example.com' }] };
    expect(refusal(() => parseNetworkSpec(withOrg(twice), 'test')).message).toMatch(
      /orgs\.2\.peers\.1\.port: port 7051 is already used by peer0\.org3\.example\.com port, on the same host as PEER0\.org3\.example\.com/,
    );
    // localhost is the machine 127.0.0.1 is: the orderer has 7051 there.
    const loopback = { ...fabricOrg, peers: [{ name: 'peer0', host: 'localhost', port: 7051, operationsPort: 9443 }] };
    expect(refusal(() => parseNetworkSpec(withOrg(loopback), 'test')).message).toMatch(/orgs\.2\.peers\.0\.port: port 7051 is already used by orderer port, on the same host as localhost/);
  });

  it('gives a joining org the ports free on its own hosts (PORT_TAKEN only on the same machine)', () => {
    const spec = parseNetworkSpec(base, 'test');
    const org = parseNetworkSpec(withOrg(fabricOrg), 'test').orgs[2]!;
    expect(() => checkJoiningOrg(spec, org, 'org3.json')).not.toThrow();
    expect(usedPortsOn(spec, 'peer0.org3.example.com').size).toBe(0);
    const local = { ...org, peers: [{ name: 'peer0', host: '127.0.0.2', port: base.orgs[1]!.peers[0]!.port, operationsPort: 9443 }] };
    expect(refusal(() => checkJoiningOrg(spec, local, 'org3.json'))).toMatchObject({ code: 'PORT_TAKEN', details: { field: 'org.peers.0.port' } });
  });
});

describe('network.yaml operations ports: needed by the peers run from the directory', () => {
  let tmp: string;
  let dir: string;
  let raw: NetworkSpec;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-network-spec-'));
    dir = path.join(tmp, 'net');
    await initNetwork(dir, { ...DEFAULT_INIT_OPTIONS, basePort: 40610 });
    raw = parseYaml(fs.readFileSync(path.join(dir, NETWORK_FILE), 'utf8')) as NetworkSpec;
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const write = (spec: unknown): void => fs.writeFileSync(path.join(dir, NETWORK_FILE), stringify(spec));

  it('accepts a peer without one when its keys are elsewhere (another org, such as a Fabric org added from its printOrg JSON)', () => {
    write({ ...raw, orgs: [...raw.orgs, fabricOrg] });
    expect(loadNetworkSpec(dir).orgs[2]!.peers[0]).toEqual({ name: 'peer0', host: 'peer0.org3.example.com', port: 7051 });
  });

  it('network status and health checks skip such a peer: no operations address, nothing asked', async () => {
    // On loopback, so that its qscc call is refused at once (nothing listens there).
    write({ ...raw, orgs: [...raw.orgs, { ...fabricOrg, peers: [{ name: 'peer0', host: '127.0.0.1', port: 40651 }] }] });
    try {
      const peer = openNetwork(dir).peers().find((p) => p.mspId === 'Org3MSP')!;
      expect(operationsEndpoint(peer)).toBeUndefined();
      expect(await nodeHealthy(peer)).toBe(false);
      const status = await networkStatus(dir);
      const listed = status.peers.find((p) => p.mspId === 'Org3MSP')!;
      expect(listed).toMatchObject({ id: 'peer0.org3.example.com', keysHere: false, running: false, healthy: false });
      expect(listed.operationsAddress).toBeUndefined();
    } finally {
      write(raw);
    }
  });

  it("network status gives each channel's capabilities; with no peer running, network.yaml's record, saying so", async () => {
    write({ ...raw, channel: { ...raw.channel, capabilities: { channel: 'V2_0', application: 'V2_0' } }, otherChannels: [{ ...raw.channel, name: 'audit' }] });
    try {
      const status = await networkStatus(dir);
      // Levels network.yaml leaves out are at Weft's defaults, as the genesis block was made.
      expect(status.capabilities).toEqual([
        { channel: 'mychannel', capabilities: { channel: ['V2_0'], orderer: ['V2_0'], application: ['V2_0'] }, source: 'network.yaml' },
        { channel: 'audit', capabilities: { channel: ['V3_0'], orderer: ['V2_0'], application: ['V2_5'] }, source: 'network.yaml' },
      ]);
      expect(status.capabilities.map(capabilitiesText)).toEqual([
        "channel V2_0, orderer V2_0, application V2_0 (network.yaml's record: no peer of it answered)",
        "channel V3_0, orderer V2_0, application V2_5 (network.yaml's record: no peer of it answered)",
      ]);
      // A config block read live may name several capabilities at a level, or none (configtxgen by hand).
      const live = { channel: 'audit', capabilities: { channel: ['V2_0', 'V1_4_3'], orderer: [], application: ['V2_5'] }, source: 'peer' as const, node: 'peer0.org1.example.com' };
      expect(capabilitiesText(live)).toBe('channel V2_0+V1_4_3, orderer -, application V2_5 (config block on peer0.org1.example.com)');
    } finally {
      write(raw);
    }
  });

  it('refuses a peer without one whose keys are here, naming it', () => {
    const [org1, ...others] = raw.orgs;
    const { operationsPort: _dropped, ...peer0 } = org1!.peers[0]!;
    write({ ...raw, orgs: [{ ...org1, peers: [peer0] }, ...others] });
    const err = refusal(() => loadNetworkSpec(dir));
    expect(err).toMatchObject({ code: 'NETWORK_SPEC_INVALID', details: { field: 'orgs.0.peers.0.operationsPort' } });
    expect(err.message).toContain('peer0.org1.example.com is run from this directory (its keys are here');
    write(raw);
  });

  it('refuses a peer without one in a file network init --from makes a network of: every org gets its keys there', () => {
    const file = path.join(tmp, 'by-hand.yaml');
    fs.writeFileSync(file, stringify({ ...raw, orgs: [...raw.orgs, fabricOrg] }));
    const err = refusal(() => readNetworkSpecFile(file, () => new ConfigError('NETWORK_SPEC_NOT_FOUND', 'missing')));
    expect(err).toMatchObject({ code: 'NETWORK_SPEC_INVALID', details: { field: 'orgs.2.peers.0.operationsPort' } });
  });
});
