import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findFreePorts } from '../../../cli/services/free-ports';
import { REPO, runCli, type CliResult } from './run-cli';

interface PeerStatus {
  id: string;
  mspId: string;
  running: boolean;
  healthy: boolean;
  height?: number;
}

/**
 * `weft network add-org` on a running 2-org network with mutual TLS (real processes, one network
 * for the file): Fabric's "Adding an Org to a Channel" tutorial as one command. No node's config
 * lists Org3's TLS CA, yet the orderer serves Org3's peer blocks and takes its broadcasts, and the
 * other orgs' peers take its calls: they trust the TLS CAs of their channels' orgs, as Fabric's
 * nodes do. Org3's peer runs and holds the default channel, Org1's Gateway gets Org3's endorsement
 * for a chaincode whose policy needs it (found through the anchor peer, trusted through the channel
 * config's TLS CA), Org3's user reads, and `down`/`up` restart Org3's peer too. Refusals leave the
 * directory as it was.
 */
describe('weft network add-org (2 orgs + 1, mutual TLS, real processes)', () => {
  let tmp: string;
  let net: string;
  const json = (r: CliResult): Record<string, unknown> => {
    if (r.code !== 0) throw new Error(`weft exited ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  };
  const errorOf = (r: CliResult): { code: string; message: string; details: Record<string, unknown> } => {
    expect(r.code).not.toBe(0);
    return (JSON.parse(r.stdout) as { error: { code: string; message: string; details: Record<string, unknown> } }).error;
  };
  /** network.yaml and every path in the directory (node data and logs aside), to show a refusal changed nothing. */
  const snapshot = (dir: string): { networkFile: string; paths: string[] } => ({
    networkFile: fs.readFileSync(path.join(dir, 'network.yaml'), 'utf8'),
    paths: (fs.readdirSync(dir, { recursive: true }) as string[]).filter((p) => !/^(logs|run)\b|\/data\b/.test(p)).sort(),
  });
  const peers = async (): Promise<PeerStatus[]> => (json(await runCli(['network', 'status', net, '--json'])) as unknown as { peers: PeerStatus[] }).peers;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-e2e-addorg-'));
    net = path.join(tmp, 'net');
    const base = await findFreePorts(9);
    json(await runCli(['network', 'init', net, '--base-port', String(base), '--batch-timeout', '250ms', '--mutual-tls', '--json']));
    expect((await runCli(['network', 'up', net])).code).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await runCli(['network', 'down', net, '--grace', '5']);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('refuses a taken name and a directory without a majority of Admin keys, changing nothing', async () => {
    const before = snapshot(net);
    expect(errorOf(await runCli(['network', 'add-org', net, '--name', 'Org2', '--json']))).toMatchObject({ code: 'ORG_EXISTS', message: expect.stringContaining('org name Org2') });

    // Org1's directory alone: the default channel's Application/Admins is a MAJORITY of Org1 and Org2, so both.
    const org1 = path.join(tmp, 'org1');
    json(await runCli(['network', 'export', net, org1, '--org', 'Org1', '--json']));
    const org1Before = snapshot(org1);
    const unsigned = errorOf(await runCli(['network', 'add-org', org1, '--json']));
    expect(unsigned).toMatchObject({
      code: 'CONFIG_UPDATE_UNSIGNED',
      message: expect.stringContaining('/Channel/Application/Admins: MAJORITY (2 of Org1MSP, Org2MSP Admins); signed: Org1MSP'),
      details: { unsigned: ['Org2MSP'], suggestions: expect.arrayContaining([expect.stringContaining('does not yet take signatures from other directories')]) },
    });
    expect(snapshot(org1)).toEqual(org1Before);

    expect(snapshot(net)).toEqual(before);
    // The channel was not changed either: still its genesis config.
    expect(json(await runCli(['channel', 'info', net, '--json']))).toMatchObject({ configBlock: 0 });
  });

  it("adds Org3: the config update signed by Org1's and Org2's Admins, Org3's peer running on the default channel", async () => {
    const added = json(await runCli(['network', 'add-org', net, '--json']));
    expect(added).toMatchObject({
      org: 'Org3',
      mspId: 'Org3MSP',
      domain: 'org3.example.com',
      channel: 'mychannel',
      peers: [{ id: 'peer0.org3.example.com', address: expect.stringMatching(/^127\.0\.0\.1:\d+$/) }],
      users: ['Admin', 'User1'],
      configBlock: 1,
      signedBy: ['Org1MSP', 'Org2MSP'],
      policies: [{ policy: '/Channel/Application/Admins', needs: 2, signed: ['Org1MSP', 'Org2MSP'] }],
      started: ['peer0.org3.example.com'],
    });
    const address = (added.peers as { address: string }[])[0]!.address;
    const info = json(await runCli(['channel', 'info', net, '--json'])) as { configBlock: number; config: { applicationOrgs: { mspId: string; anchorPeers: string[] }[] } };
    expect(info.configBlock).toBe(1);
    expect(info.config.applicationOrgs).toContainEqual(expect.objectContaining({ mspId: 'Org3MSP', anchorPeers: [address] }));

    const list = json(await runCli(['channel', 'list', net, '--json'])) as { nodes: { id: string; channels: string[] }[] };
    expect(list.nodes).toContainEqual({ id: 'peer0.org3.example.com', kind: 'peer', channels: ['mychannel'] });
    expect((await peers()).find((p) => p.id === 'peer0.org3.example.com')).toMatchObject({ mspId: 'Org3MSP', running: true, healthy: true, height: 2 });
    // The other nodes' configs were not touched: the peers reach Org3 through the channel config,
    // and (mutual TLS) they and the orderer take its TLS clients because the channel config names its CA.
    expect(fs.readFileSync(path.join(net, 'nodes', 'peer0.org1.example.com', 'peer.yaml'), 'utf8')).not.toContain('org3');
    expect(fs.readFileSync(path.join(net, 'nodes', 'orderer.example.com', 'orderer.yaml'), 'utf8')).not.toContain('org3');
  }, 60_000);

  it("Org1's Gateway gets Org3's endorsement for a chaincode whose policy needs Org3; Org3's user reads", async () => {
    const project = path.join(REPO, 'chaincode-examples', 'asset-transfer');
    const deployed = json(await runCli(['chaincode', 'deploy', net, project, '--name', 'basic', '--policy', "AND('Org1MSP.peer','Org3MSP.peer')", '--json'], { timeoutMs: 120_000 }));
    expect(deployed).toMatchObject({ approvedBy: ['Org1MSP', 'Org2MSP', 'Org3MSP'], committed: true });
    expect(json(await runCli(['chaincode', 'invoke', net, '--name', 'basic', '--org', 'Org1', 'CreateAsset', 'a1', 'red', '5', 'Tom', '100', '--json']))).toMatchObject({ valid: true });
    const read = json(await runCli(['chaincode', 'query', net, '--name', 'basic', '--org', 'Org3', '--user', 'User1', 'ReadAsset', 'a1', '--json']));
    expect(read.json).toMatchObject({ ID: 'a1', Owner: 'Tom' });
  }, 90_000);

  it("network down then up restarts Org3's peer with its ledger", async () => {
    json(await runCli(['network', 'down', net, '--grace', '5', '--json']));
    json(await runCli(['network', 'up', net, '--json']));
    const org3 = (await peers()).find((p) => p.id === 'peer0.org3.example.com')!;
    expect(org3).toMatchObject({ running: true, healthy: true });
    expect(org3.height).toBeGreaterThanOrEqual(4);
    const read = json(await runCli(['chaincode', 'query', net, '--name', 'basic', '--org', 'Org3', 'ReadAsset', 'a1', '--json']));
    expect(read.json).toMatchObject({ ID: 'a1' });
  }, 60_000);
});
