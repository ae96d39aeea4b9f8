import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse as parseYaml } from 'yaml';
import { parseConfigBlock } from '../../../../core/protocol/config-parse';
import { openNetwork } from '../../../../cli/services/network/network-access';
import { exportNetwork } from '../../../../cli/services/network/network-export';
import { DEFAULT_INIT_OPTIONS, initNetwork } from '../../../../cli/services/network/network-init';
import { removePeer, type RemovePeerOptions } from '../../../../cli/services/network/network-remove-peer';
import { loadNetworkSpec } from '../../../../cli/services/network/network-spec';
import { anchorEdits } from '../../../../cli/services/network/org-anchor-peers';
import type { OrgMspState } from '../../../../cli/services/network/org-msp-channels';

const quiet = (): void => {};
const PEER0 = 'peer0.org1.example.com';
const ORG1 = path.join('organizations', 'peerOrganizations', 'org1.example.com');
type GatewayPeers = { peer: { gateway: { peers: { address: string }[] } } };

/**
 * `weft network remove-peer` without processes: its refusals (each naming the field, nothing
 * written), the channel configs' anchor peers it would change, and what it does to the directory
 * once no config update is needed: the other peers' configs, the backups, network.yaml; a failure
 * part-way is REMOVE_PEER_UNFINISHED, and the same call again finishes it.
 */
describe('network remove-peer: refusals, anchor peers, and the directory edits', () => {
  let tmp: string;
  let net: string;
  /** network.yaml, every node config and every path under the directory. */
  const state = (dir = net) => {
    const paths = (fs.readdirSync(dir, { recursive: true }) as string[]).sort();
    return { paths, yaml: paths.filter((p) => p.endsWith('.yaml')).map((p) => fs.readFileSync(path.join(dir, p), 'utf8')) };
  };
  /** The default channel's config as its genesis block has it: peer0 of each org is its anchor peer. */
  const genesisStates = (): OrgMspState[] => {
    const layout = openNetwork(net);
    const current = parseConfigBlock(fs.readFileSync(layout.genesisBlockFile));
    return [{ layout, current, block: 0, msp: current.msps.get('Org1MSP')! }];
  };
  const remove = (options: Partial<RemovePeerOptions>, channels: () => OrgMspState[] = () => []) =>
    removePeer(net, { peer: PEER0, revoke: false, ...options }, quiet, () => Promise.resolve(channels()));

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-rmpeer-'));
    net = path.join(tmp, 'net');
    await initNetwork(net, { ...DEFAULT_INIT_OPTIONS, peersPerOrg: 2, basePort: 43900 });
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it.each([
    [{ peer: 'peer9.org1.example.com' }, 'UNKNOWN_PEER', '--peer', `the peers are: ${PEER0}, peer1.org1.example.com`],
    [{ peer: 'orderer.example.com' }, 'UNKNOWN_PEER', '--peer', 'is an orderer'],
    [{ peer: 'peer0' }, 'AMBIGUOUS_PEER', '--peer', `${PEER0} and peer0.org2.example.com`],
    [{ peer: 'peer0', org: 'Org9' }, 'UNKNOWN_ORG', '--org', 'Org1 (Org1MSP), Org2 (Org2MSP)'],
  ])('%j: %s naming %s, nothing written', async (options, code, field, text) => {
    const before = state();
    await expect(remove(options)).rejects.toMatchObject({ code, message: expect.stringContaining(text), details: { field } });
    expect(state()).toEqual(before);
  });

  it('refuses to revoke while no orderer runs: NETWORK_NOT_RUNNING, nothing written', async () => {
    const before = state();
    await expect(remove({ revoke: true })).rejects.toMatchObject({ code: 'NETWORK_NOT_RUNNING', message: expect.stringContaining('needs the orderer') });
    expect(state()).toEqual(before);
  });

  it('refuses --no-revoke of an anchor peer while no orderer runs: the anchor must move first', async () => {
    const before = state();
    await expect(remove({}, genesisStates)).rejects.toMatchObject({ code: 'NETWORK_NOT_RUNNING', message: expect.stringContaining("moving Org1MSP's anchor peer off") });
    expect(state()).toEqual(before);
  });

  it('refuses a directory from weft network export (no CA key): CA_KEY_NOT_HERE, nothing written', async () => {
    const exported = path.join(tmp, 'org1');
    exportNetwork(net, exported, ['Org1'], quiet);
    const before = state(exported);
    await expect(removePeer(exported, { peer: PEER0, revoke: true }, quiet)).rejects.toMatchObject({ code: 'CA_KEY_NOT_HERE' });
    expect(state(exported)).toEqual(before);
  });

  it("refuses without Org1's Admin key, which signs the config updates: KEY_NOT_HERE, nothing written", async () => {
    const key = path.join(net, ORG1, 'users', 'Admin@org1.example.com', 'msp', 'keystore', 'priv_sk');
    fs.renameSync(key, path.join(tmp, 'admin.key'));
    try {
      const before = state();
      await expect(remove({ revoke: true })).rejects.toMatchObject({ code: 'KEY_NOT_HERE', message: expect.stringContaining('Admin@org1.example.com') });
      await expect(remove({}, genesisStates)).rejects.toMatchObject({ code: 'KEY_NOT_HERE' });
      expect(state()).toEqual(before);
    } finally {
      fs.renameSync(path.join(tmp, 'admin.key'), key);
    }
  });

  it("replaces the peer among its org's anchor peers by the org's next peer; another peer changes nothing", () => {
    const network = openNetwork(net);
    const [peer0, peer1] = network.peersOf(network.spec.orgs[0]!);
    const [edit, ...more] = anchorEdits(genesisStates(), 'Org1MSP', peer0!, peer1!);
    expect(more).toEqual([]);
    expect(edit!.anchors).toEqual([{ host: '127.0.0.1', port: Number(peer1!.address.split(':')[1]) }]);
    expect(anchorEdits(genesisStates(), 'Org1MSP', peer1!, peer0!)).toEqual([]);
  });

  it('takes it out of the other configs, then fails to move its folders: REMOVE_PEER_UNFINISHED; run again, it finishes', async () => {
    const peer0Address = openNetwork(net).peersOf(loadNetworkSpec(net).orgs[0]!)[0]!.address;
    const others = ['peer1.org1.example.com', 'peer0.org2.example.com', 'peer1.org2.example.com'].map((id) => path.join(net, 'nodes', id, 'peer.yaml'));
    for (const file of others) expect((parseYaml(fs.readFileSync(file, 'utf8')) as GatewayPeers).peer.gateway.peers.map((p) => p.address)).toContain(peer0Address);
    // `backups` a file: the move cannot start.
    fs.writeFileSync(path.join(net, 'backups'), '');
    await expect(remove({})).rejects.toMatchObject({ code: 'REMOVE_PEER_UNFINISHED', details: { done: ['stop', "other peers' configs"], left: ['move to backups/', 'network.yaml'] } });
    expect(loadNetworkSpec(net).orgs[0]!.peers.map((p) => p.name)).toEqual(['peer0', 'peer1']);
    fs.rmSync(path.join(net, 'backups'));
    // As if a run had died between the two renames: its crypto folder is in a run folder already.
    const interrupted = path.join(net, 'backups', 'remove-2026-01-01T00-00-00-000Z');
    fs.mkdirSync(path.join(interrupted, ORG1, 'peers'), { recursive: true, mode: 0o700 });
    fs.renameSync(path.join(net, ORG1, 'peers', PEER0), path.join(interrupted, ORG1, 'peers', PEER0));

    const result = await remove({});
    expect(result).toMatchObject({ org: 'Org1', peer: { id: PEER0, name: 'peer0', address: peer0Address }, anchorPeers: [], stopped: 'not-running', configsUpdated: [] });
    expect(result.revoked).toBeUndefined();
    // The rest joins the interrupted run's folder: one folder holds all of it.
    expect(result.moved).toEqual([path.join('nodes', PEER0)]);
    expect(result.backupDir).toBe(interrupted);
    expect(loadNetworkSpec(net).orgs.map((o) => o.peers.map((p) => p.name))).toEqual([['peer1'], ['peer0', 'peer1']]);
    for (const file of others) {
      const text = fs.readFileSync(file, 'utf8');
      expect(text.startsWith('# peer ')).toBe(true); // the generated header comment stays
      expect((parseYaml(text) as GatewayPeers).peer.gateway.peers.map((p) => p.address)).not.toContain(peer0Address);
    }
    // Nothing left in place; the keys kept, 0700.
    expect(fs.existsSync(path.join(net, ORG1, 'peers', PEER0))).toBe(false);
    expect(fs.existsSync(path.join(net, 'nodes', PEER0))).toBe(false);
    const backup = result.backupDir!;
    expect(path.dirname(backup)).toBe(path.join(net, 'backups'));
    expect(path.basename(backup)).toMatch(/^remove-/);
    for (const dir of [path.dirname(backup), backup]) expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(fs.existsSync(path.join(backup, ORG1, 'peers', PEER0, 'msp', 'keystore', 'priv_sk'))).toBe(true);
    expect(fs.existsSync(path.join(backup, 'nodes', PEER0, 'peer.yaml'))).toBe(true);

    // Gone from network.yaml: unknown now, saying where it went.
    await expect(remove({})).rejects.toMatchObject({ code: 'UNKNOWN_PEER', message: expect.stringContaining(`removed already: its folders are in ${backup}`) });
  });

  it("refuses the org's last peer: LAST_PEER_OF_ORG naming what to do instead, nothing written", async () => {
    const before = state();
    await expect(remove({ peer: 'peer1', org: 'Org1' })).rejects.toMatchObject({
      code: 'LAST_PEER_OF_ORG',
      details: { field: '--peer', suggestions: expect.arrayContaining([expect.stringContaining('weft network add-peer')]) },
    });
    expect(state()).toEqual(before);
  });
});
