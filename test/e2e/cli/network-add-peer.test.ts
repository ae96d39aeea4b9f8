import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findFreePorts } from '../../../cli/services/free-ports';
import { type CliResult, REPO, errorOf, json, runCli } from './run-cli';

const KV = path.join(REPO, 'test', 'integration', 'peer', 'fixtures', 'kv-events');
const PEER1_ORG1 = 'peer1.org1.example.com';
const PEER1_ORG2 = 'peer1.org2.example.com';

interface PeerStatus {
  id: string;
  running: boolean;
  healthy: boolean;
  height?: number;
  snapshotBlock?: number;
}

/**
 * `weft network add-peer` on a running 2-org network of real processes (one peer per org, TLS):
 * Org1 gets a second peer, which is given the org's installed chaincode, joins the channel from
 * its genesis block, catches up, answers a query with the committed value and, through its own
 * Gateway, commits an invoke. Org2's running peer, never restarted, uses it for Org1's endorsement
 * once Org1's first peer is down (it learned it by membership exchange). `status` lists it, `down`
 * and `up` restart it with the rest, a second add-peer of the same name is refused with nothing
 * written, and Org2 gets a peer that joins from a snapshot of its first peer.
 */
describe('weft network add-peer (2 orgs, real processes)', () => {
  let tmp: string;
  let net: string;
  const weft = (...args: string[]): Promise<CliResult> => runCli([...args, '--json']);
  const get = async (key: string, peer: string) => (json(await weft('chaincode', 'query', net, '--name', 'kv', 'Get', key, '--peer', peer)) as { result: string }).result;
  const peers = async (): Promise<PeerStatus[]> => (json(await weft('network', 'status', net)) as unknown as { peers: PeerStatus[] }).peers;
  /** network.yaml, every node config and every path in the directory (node data and logs aside). */
  const snapshot = (dir: string) => {
    const paths = (fs.readdirSync(dir, { recursive: true }) as string[]).filter((p) => !/^(logs|run)\b|\/data\b/.test(p)).sort();
    return { paths, files: paths.filter((p) => /\.yaml$/.test(p)).map((p) => fs.readFileSync(path.join(dir, p), 'utf8')) };
  };

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-e2e-addpeer-'));
    net = path.join(tmp, 'net');
    const base = await findFreePorts(16);
    json(await weft('network', 'init', net, '--base-port', String(base), '--batch-timeout', '250ms'));
    json(await weft('network', 'up', net));
    json(await weft('chaincode', 'deploy', net, KV, '--name', 'kv'));
    json(await weft('chaincode', 'invoke', net, '--name', 'kv', 'Put', 'color', 'blue'));
    // Without a second Org1 peer, Org2's Gateway finds no Org1 endorser while peer0.org1 is down (the default policy needs both orgs).
    json(await weft('network', 'down', net, '--node', 'peer0.org1.example.com', '--grace', '5'));
    expect((await weft('chaincode', 'invoke', net, '--name', 'kv', 'Put', 'shape', 'square', '--org', 'Org2')).code).not.toBe(0);
    json(await weft('network', 'up', net, '--node', 'peer0.org1.example.com'));
  }, 120_000);
  afterAll(async () => {
    await runCli(['network', 'down', net, '--grace', '5']);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("adds peer1 to Org1: installed, joined, caught up, serving the committed value; its Gateway commits", async () => {
    const added = json(await weft('network', 'add-peer', net, '--org', 'Org1'));
    expect(added).toMatchObject({
      org: 'Org1',
      mspId: 'Org1MSP',
      peer: { id: PEER1_ORG1, name: 'peer1', address: expect.stringMatching(/^127\.0\.0\.1:\d+$/) },
      configsUpdated: ['peer0.org1.example.com', 'peer0.org2.example.com'],
      restartNeeded: [],
      started: true,
      installed: [expect.stringMatching(/^kv_/)],
      channels: [{ channel: 'mychannel', joinedFrom: 'genesis block', height: expect.any(Number), othersHeight: expect.any(Number) }],
    });
    const [joined] = added.channels as { height: number; othersHeight: number }[];
    expect(joined!.height).toBeGreaterThanOrEqual(joined!.othersHeight);
    expect(joined!.othersHeight).toBeGreaterThan(3); // genesis, lifecycle approvals and commit, the Put
    // The cryptogen layout, keys 0600.
    const tlsKey = path.join(net, 'organizations', 'peerOrganizations', 'org1.example.com', 'peers', PEER1_ORG1, 'tls', 'server.key');
    expect(fs.statSync(tlsKey).mode & 0o777).toBe(0o600);

    expect(await get('color', PEER1_ORG1)).toBe('blue');
    json(await weft('chaincode', 'invoke', net, '--name', 'kv', 'Put', 'size', '7', '--peer', PEER1_ORG1));
    expect(await get('size', 'peer0.org2.example.com')).toBe('7');
    expect((await peers()).find((p) => p.id === PEER1_ORG1)).toMatchObject({ running: true, healthy: true, height: expect.any(Number) });
  }, 90_000);

  it("Org2's running Gateway, never restarted, gets Org1's endorsement from the new peer while Org1's first peer is down", async () => {
    json(await weft('network', 'down', net, '--node', 'peer0.org1.example.com', '--grace', '5'));
    try {
      // Membership is exchanged every 5 s: peer0.org2 may hear of the new peer a round after it joined.
      let invoked = await weft('chaincode', 'invoke', net, '--name', 'kv', 'Put', 'shape', 'round', '--org', 'Org2');
      for (let i = 0; i < 4 && invoked.code !== 0; i++) {
        await new Promise((r) => setTimeout(r, 2500));
        invoked = await weft('chaincode', 'invoke', net, '--name', 'kv', 'Put', 'shape', 'round', '--org', 'Org2');
      }
      json(invoked);
      expect(await get('shape', PEER1_ORG1)).toBe('round');
    } finally {
      json(await weft('network', 'up', net, '--node', 'peer0.org1.example.com'));
    }
  }, 60_000);

  it('refuses the same name again, writing nothing', async () => {
    const before = snapshot(net);
    expect(errorOf(await weft('network', 'add-peer', net, '--org', 'Org1', '--name', 'peer1'))).toMatchObject({ code: 'PEER_EXISTS', details: { field: '--name' } });
    expect(snapshot(net)).toEqual(before);
  });

  it('network down and up restart the new peer with the rest, its ledger kept', async () => {
    const height = (await peers()).find((p) => p.id === PEER1_ORG1)!.height!;
    json(await weft('network', 'down', net, '--grace', '5'));
    json(await weft('network', 'up', net));
    expect((await peers()).find((p) => p.id === PEER1_ORG1)).toMatchObject({ running: true, healthy: true, height: expect.any(Number) });
    expect((await peers()).find((p) => p.id === PEER1_ORG1)!.height).toBeGreaterThanOrEqual(height);
    expect(await get('size', PEER1_ORG1)).toBe('7');
  }, 60_000);

  it("adds peer1 to Org2 from a snapshot of Org2's first peer", async () => {
    const taken = json(await weft('snapshot', 'submit', net, '--peer', 'peer0.org2.example.com', '--wait')) as { snapshots: { block: number; dir: string }[] };
    const { block, dir } = taken.snapshots[0]!;
    const added = json(await weft('network', 'add-peer', net, '--org', 'Org2', '--snapshot', dir));
    expect(added).toMatchObject({ peer: { id: PEER1_ORG2 }, started: true, installed: [expect.stringMatching(/^kv_/)], channels: [{ channel: 'mychannel', joinedFrom: 'snapshot' }] });
    expect((await peers()).find((p) => p.id === PEER1_ORG2)).toMatchObject({ running: true, snapshotBlock: block });
    expect(await get('shape', PEER1_ORG2)).toBe('round');
  }, 60_000);
});
