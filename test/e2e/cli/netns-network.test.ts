import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { openNetwork } from '../../../cli/services/network/network-access';
import { NetnsHosts, type NetnsHost } from '../netns-hosts';
import { type CliResult, json, REPO, runCli } from './run-cli';

interface NodeStatus {
  id: string;
  running: boolean;
  healthy: boolean;
  onThisMachine: boolean;
  height?: number;
}

/**
 * A network on three hosts that share nothing but a LAN: each host is a network namespace with its
 * own address, and the orderer org, Org1 and Org2 each run their nodes there from their own
 * directory (`weft network export`), holding their own keys only. Nodes listen on the default
 * ports on every host, as on real machines; every connection between them crosses the bridge.
 */
describe('weft network on three hosts (network namespaces, real processes)', () => {
  let hosts: NetnsHosts;
  let tmp: string;
  const dirs: Record<'orderer' | 'org1' | 'org2', string> = { orderer: '', org1: '', org2: '' };
  let on: Record<'orderer' | 'org1' | 'org2', NetnsHost>;
  const project = path.join(REPO, 'chaincode-examples', 'asset-transfer');

  beforeAll(async () => {
    hosts = await NetnsHosts.create(3);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-e2e-netns-'));
    const net = path.join(tmp, 'net');
    const [h1, h2, h3] = hosts.hosts;
    on = { orderer: h1!, org1: h2!, org2: h3! };
    const placed = [`orderer.example.com=${h1!.address}`, `peer0.org1.example.com=${h2!.address}`, `peer0.org2.example.com=${h3!.address}`];
    json(await runCli(['network', 'init', net, '--batch-timeout', '250ms', ...placed.flatMap((h) => ['--host', h]), '--json']));
    for (const [who, org] of [['orderer', 'OrdererMSP'], ['org1', 'Org1MSP'], ['org2', 'Org2MSP']] as const) {
      dirs[who] = path.join(tmp, who);
      json(await runCli(['network', 'export', net, dirs[who], '--org', org, '--json']));
    }
    // Org1's Gateway gives up on an unreachable endorser after 3 s rather than Fabric's 30 s.
    const org1Peer = path.join(dirs.org1, 'nodes', 'peer0.org1.example.com', 'peer.yaml');
    const config = parseYaml(fs.readFileSync(org1Peer, 'utf8')) as { peer: { gateway: Record<string, unknown> } };
    config.peer.gateway.endorsementTimeoutMs = 3000;
    fs.writeFileSync(org1Peer, stringifyYaml(config));
  });
  afterAll(async () => {
    if ((hosts as NetnsHosts | undefined) === undefined) return; // beforeAll failed to make them
    for (const who of ['org2', 'org1', 'orderer'] as const) await runCli(['network', 'down', dirs[who], '--grace', '5'], { host: on[who] });
    hosts.destroy();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('each host starts its own nodes from its own directory; status sees every host', async () => {
    const misplaced = await runCli(['network', 'up', dirs.orderer, '--json'], { host: on.org1 });
    expect(JSON.parse(misplaced.stdout).error).toMatchObject({ code: 'NO_NODES_HERE' });

    expect(json(await runCli(['network', 'up', dirs.orderer, '--json'], { host: on.orderer })).nodes).toEqual(['orderer.example.com']);
    expect(json(await runCli(['network', 'up', dirs.org1, '--json'], { host: on.org1 })).nodes).toEqual(['peer0.org1.example.com']);
    expect(json(await runCli(['network', 'up', dirs.org2, '--json'], { host: on.org2 })).nodes).toEqual(['peer0.org2.example.com']);

    const s = json(await runCli(['network', 'status', dirs.org2, '--json'], { host: on.org2 })) as { orderers: NodeStatus[]; peers: NodeStatus[] };
    expect([...s.orderers, ...s.peers].map((n) => [n.id, n.onThisMachine, n.running, n.healthy, n.height])).toEqual([
      ['orderer.example.com', false, true, true, undefined],
      ['peer0.org1.example.com', false, true, true, 1],
      ['peer0.org2.example.com', true, true, true, 1],
    ]);
  });

  it('deploys from each org host in turn and commits transactions endorsed across hosts', async () => {
    const first = json(await runCli(['chaincode', 'deploy', dirs.org1, project, '--name', 'basic', '--json'], { host: on.org1, timeoutMs: 180_000 }));
    expect(first).toMatchObject({ committed: false, waitingFor: ['Org2MSP'] });
    const second = json(await runCli(['chaincode', 'deploy', dirs.org2, project, '--name', 'basic', '--json'], { host: on.org2, timeoutMs: 180_000 }));
    expect(second).toMatchObject({ committed: true, approvedBy: ['Org2MSP'] });

    json(await runCli(['chaincode', 'invoke', dirs.org2, '--name', 'basic', 'CreateAsset', 'a1', 'red', '5', 'Tom', '100', '--json'], { host: on.org2 }));
    // Org1's peer received the block from the orderer's host and reads the asset on its own.
    let read: Record<string, unknown> | undefined;
    for (let tries = 0; read === undefined && tries < 40; tries++) {
      const r = await runCli(['chaincode', 'query', dirs.org1, '--name', 'basic', 'ReadAsset', 'a1', '--json'], { host: on.org1 });
      if (r.code === 0) read = JSON.parse(r.stdout) as Record<string, unknown>;
      else await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(read?.json).toMatchObject({ ID: 'a1', Color: 'red', Owner: 'Tom' });
  }, 400_000);

  it("a host cut off from the others fails endorsements it is needed for, and serves again once reconnected", async () => {
    hosts.setLink(2, false); // Org2's host
    try {
      const cut = await runCli(['chaincode', 'invoke', dirs.org1, '--name', 'basic', 'CreateAsset', 'a2', 'blue', '1', 'Ann', '1', '--json'], { host: on.org1 });
      expect(cut.code).not.toBe(0);
      // Org1's Gateway waits out its endorsement timeout for Org2's peer and names it.
      const org2Peer = openNetwork(dirs.org1).peers()[1]!.address;
      expect(JSON.parse(cut.stdout).error).toMatchObject({
        code: 'GATEWAY_FAILED',
        details: { endorsers: [`Org2MSP ${org2Peer}: no endorsement from ${org2Peer} before the deadline`] },
      });
    } finally {
      hosts.setLink(2, true);
    }
    // The same connections carry on once packets flow again: both orgs endorse, and Org2's peer gets the block.
    let committed: CliResult | undefined;
    for (let tries = 0; committed?.code !== 0 && tries < 20; tries++) {
      if (tries > 0) await new Promise((resolve) => setTimeout(resolve, 1000));
      committed = await runCli(['chaincode', 'invoke', dirs.org1, '--name', 'basic', 'CreateAsset', 'a2', 'blue', '1', 'Ann', '1', '--json'], { host: on.org1 });
    }
    expect(committed?.code).toBe(0);
    let read: Record<string, unknown> | undefined;
    for (let tries = 0; read === undefined && tries < 40; tries++) {
      const r = await runCli(['chaincode', 'query', dirs.org2, '--name', 'basic', 'ReadAsset', 'a2', '--json'], { host: on.org2 });
      if (r.code === 0) read = JSON.parse(r.stdout) as Record<string, unknown>;
      else await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(read?.json).toMatchObject({ ID: 'a2', Owner: 'Ann' });
  }, 120_000);
});
