import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findFreePorts } from '../../../cli/services/free-ports';
import { httpsGet, json, REPO, runCli } from './run-cli';

interface NodeStatus {
  id: string;
  running: boolean;
  healthy: boolean;
  height?: number;
}

/** This machine's first IPv4 address away from loopback: a host whose nodes listen on every interface. */
function ownAddress(): string {
  const own = Object.values(os.networkInterfaces())
    .flat()
    .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal);
  if (own === undefined) throw new Error('this test needs a network interface with an IPv4 address besides loopback');
  return own.address;
}

/** One HTTPS GET with an optional client certificate. */
/**
 * A network whose nodes sit on different hosts (`weft network init --host`), started host by host
 * (`weft network up --node`). The hosts are addresses of this machine: 127.0.0.3 on loopback for
 * Org1's peer, and its own network address for the orderer and Org2's peer, which listen on every
 * interface and serve their operations endpoints over TLS. Every connection checks a certificate
 * against the host it dials: peers reach the orderer at that address through the channel config's
 * endpoint, which only its certificate's SANs vouch for.
 */
describe('weft network across hosts (real processes)', () => {
  let tmp: string;
  let net: string;
  const status = async (): Promise<NodeStatus[]> => {
    const s = json(await runCli(['network', 'status', net, '--json'])) as { orderers: NodeStatus[]; peers: NodeStatus[] };
    return [...s.orderers, ...s.peers];
  };

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-e2e-hosts-'));
    net = path.join(tmp, 'net');
  });
  afterAll(async () => {
    await runCli(['network', 'down', net, '--grace', '5']);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('init places each node on its host; up starts the nodes it is given, host by host', async () => {
    const base = await findFreePorts(7);
    const own = ownAddress();
    const hosts = [`orderer.example.com=${own}`, 'peer0.org1.example.com=127.0.0.3', `peer0.org2.example.com=${own}`];
    const init = json(await runCli(['network', 'init', net, '--base-port', String(base), '--batch-timeout', '250ms', ...hosts.flatMap((h) => ['--host', h]), '--json']));
    expect((init.nodes as { address: string }[]).map((n) => n.address)).toEqual([`${own}:${base}`, `127.0.0.3:${base + 2}`, `${own}:${base + 4}`]);

    const unknown = await runCli(['network', 'up', net, '--node', 'peer7.org1.example.com', '--json']);
    expect(JSON.parse(unknown.stdout).error).toMatchObject({ code: 'UNKNOWN_NODE', message: expect.stringContaining('its nodes: orderer.example.com, peer0.org1.example.com') });

    const first = json(await runCli(['network', 'up', net, '--node', 'orderer.example.com', '--json']));
    expect(first.nodes).toEqual(['orderer.example.com']);
    expect((await status()).map((n) => [n.id, n.running])).toEqual([
      ['orderer.example.com', true],
      ['peer0.org1.example.com', false],
      ['peer0.org2.example.com', false],
    ]);

    const rest = json(await runCli(['network', 'up', net, '--node', 'peer0.org1.example.com', '--node', 'peer0.org2.example.com', '--json']));
    expect(rest.nodes).toEqual(['peer0.org1.example.com', 'peer0.org2.example.com']);
    for (const node of await status()) expect(node).toMatchObject({ running: true, healthy: true, height: 1 });
    const again = await runCli(['network', 'up', net, '--node', 'peer0.org1.example.com']);
    expect(again.code).not.toBe(0);
    expect(again.message).toMatch(/peer0\.org1\.example\.com is already up/);
  });

  it("a node away from loopback serves its operations endpoint over TLS: /metrics only to its org's TLS client certificates", async () => {
    const s = json(await runCli(['network', 'status', net, '--json'])) as {
      orderers: { id: string; operationsAddress: string; tlsRootCertPath: string }[];
      peers: { id: string; operationsAddress: string; tlsRootCertPath: string }[];
      users: { id: string; tlsCertPath: string; tlsKeyPath: string }[];
    };
    expect([...s.orderers, ...s.peers].map((n) => (n as { operationsTls?: boolean }).operationsTls)).toEqual([true, false, true]);
    const orderer = s.orderers[0]!;
    const ordererCa = fs.readFileSync(orderer.tlsRootCertPath);
    expect((await httpsGet(orderer.operationsAddress, '/healthz', ordererCa, orderer.id)).status).toBe(200);
    expect((await httpsGet(orderer.operationsAddress, '/metrics', ordererCa, orderer.id)).status).toBe(401);
    const org2 = s.peers[1]!;
    const ca = fs.readFileSync(org2.tlsRootCertPath);
    expect((await httpsGet(org2.operationsAddress, '/healthz', ca, org2.id)).status).toBe(200);
    expect((await httpsGet(org2.operationsAddress, '/metrics', ca, org2.id)).status).toBe(401);
    const user = (id: string) => s.users.find((u) => u.id === id)!;
    const cert = (id: string) => ({ cert: fs.readFileSync(user(id).tlsCertPath), key: fs.readFileSync(user(id).tlsKeyPath) });
    expect((await httpsGet(org2.operationsAddress, '/metrics', ca, org2.id, cert('Admin@org1.example.com'))).status).toBe(401);
    const metrics = await httpsGet(org2.operationsAddress, '/metrics', ca, org2.id, cert('Admin@org2.example.com'));
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('ledger_blockchain_height');
    // Org1's peer, on loopback, keeps plain HTTP.
    expect((await fetch(`http://${s.peers[0]!.operationsAddress}/healthz`)).status).toBe(200);
  });

  it('commits transactions: the peers pull blocks from the orderer at its host and endorse for each other', async () => {
    const project = path.join(REPO, 'chaincode-examples', 'asset-transfer');
    json(await runCli(['chaincode', 'deploy', net, project, '--name', 'basic', '--json'], { timeoutMs: 180_000 }));
    json(await runCli(['chaincode', 'invoke', net, '--name', 'basic', 'CreateAsset', 'a1', 'red', '5', 'Tom', '100', '--json']));
    const read = json(await runCli(['chaincode', 'query', net, '--name', 'basic', '--org', 'Org2', 'ReadAsset', 'a1', '--json']));
    expect(read.json).toMatchObject({ ID: 'a1', Color: 'red', Owner: 'Tom' });
    // Org2's peer commits the block on its own time: every node ends at the orderer's height.
    let heights = (await status()).map((n) => n.height);
    for (let tries = 0; new Set(heights).size !== 1 && tries < 20; tries++) {
      await new Promise((r) => setTimeout(r, 500));
      heights = (await status()).map((n) => n.height);
    }
    expect(new Set(heights).size).toBe(1);
    expect(heights[0]).toBeGreaterThanOrEqual(4); // genesis, approvals, commit, CreateAsset
  });

  it('down --node stops one node, and up --node brings it back to commit with the others', async () => {
    const bogus = await runCli(['network', 'down', net, '--node', 'peer7.org1.example.com', '--json']);
    expect(JSON.parse(bogus.stdout).error.code).toBe('UNKNOWN_NODE');
    const down = json(await runCli(['network', 'down', net, '--node', 'peer0.org2.example.com', '--json']));
    expect(down.nodes).toEqual([{ id: 'peer0.org2.example.com', result: 'stopped' }]);
    expect((await status()).map((n) => n.running)).toEqual([true, true, false]);

    const back = json(await runCli(['network', 'up', net, '--node', 'peer0.org2.example.com', '--json']));
    expect(back.nodes).toEqual(['peer0.org2.example.com']);
    // MAJORITY of two orgs: this commits only with Org2's peer endorsing again.
    json(await runCli(['chaincode', 'invoke', net, '--name', 'basic', 'UpdateAsset', 'a1', 'blue', '5', 'Tom', '100', '--json']));
    const read = json(await runCli(['chaincode', 'query', net, '--name', 'basic', '--org', 'Org2', 'ReadAsset', 'a1', '--json']));
    expect(read.json).toMatchObject({ ID: 'a1', Color: 'blue' });
  });
});
