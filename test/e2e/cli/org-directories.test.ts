import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { parse as parseYaml } from 'yaml';
import { findFreePorts } from '../../../cli/services/free-ports';
import { TestOrg } from '../../../plugins/msp-x509/crypto-material/test-org';
import { errorOf, json, REPO, runCli } from './run-cli';

/**
 * Opens an HTTP/2 connection over TLS to a node's gRPC port: 'ok' once the server's first frame
 * arrives (it took the client), else the error that ended the connection.
 */
function handshake(address: string, servername: string, ca: Buffer, client?: { cert: Buffer; key: Buffer }): Promise<string> {
  const i = address.lastIndexOf(':');
  return new Promise((resolve) => {
    const socket = tls.connect({ host: address.slice(0, i), port: Number(address.slice(i + 1)), ca, servername, ALPNProtocols: ['h2'], ...client });
    socket.once('secureConnect', () => socket.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'));
    socket.once('data', () => {
      socket.destroy();
      resolve('ok');
    });
    socket.once('error', (err) => resolve(err.message));
    socket.once('close', () => resolve('closed'));
  });
}

interface NodeStatus {
  id: string;
  running: boolean;
  healthy: boolean;
  height?: number;
}

/**
 * Each org runs its part of the network from its own directory (`weft network export`), holding
 * its own keys and no other org's, as Fabric orgs do. Org1's directory also holds the orderer
 * org's keys; Org2's holds Org2's only. Every node is a real process; the directories share
 * nothing but the network's public material. The network runs with mutual TLS (`--mutual-tls`):
 * every connection, node to node and CLI to node, presents a client certificate.
 */
describe('weft network export: one directory per org (real processes)', () => {
  let tmp: string;
  let net: string;
  let org1: string;
  let org2: string;
  const project = path.join(REPO, 'chaincode-examples', 'asset-transfer');

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-e2e-orgdirs-'));
    net = path.join(tmp, 'net');
    org1 = path.join(tmp, 'org1');
    org2 = path.join(tmp, 'org2');
    const base = await findFreePorts(7);
    json(await runCli(['network', 'init', net, '--base-port', String(base), '--batch-timeout', '250ms', '--mutual-tls', '--json']));
  });
  afterAll(async () => {
    for (const dir of [org2, org1]) await runCli(['network', 'down', dir, '--grace', '5']);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("export writes each org's directory; up there starts the nodes whose keys it holds", async () => {
    const one = json(await runCli(['network', 'export', net, org1, '--org', 'Org1MSP', '--org', 'OrdererMSP', '--json']));
    expect(one).toMatchObject({ orgs: ['Org1MSP', 'OrdererMSP'], nodes: ['orderer.example.com', 'peer0.org1.example.com'] });
    const two = json(await runCli(['network', 'export', net, org2, '--org', 'Org2', '--json']));
    expect(two).toMatchObject({ orgs: ['Org2MSP'], nodes: ['peer0.org2.example.com'] });

    expect(errorOf(await runCli(['network', 'up', org2, '--node', 'peer0.org1.example.com', '--json']))).toMatchObject({
      code: 'NODE_KEYS_NOT_HERE',
      message: expect.stringContaining('peer0.org1.example.com (Org1MSP)'),
    });
    expect(json(await runCli(['network', 'up', org1, '--json'])).nodes).toEqual(['orderer.example.com', 'peer0.org1.example.com']);
    expect(json(await runCli(['network', 'up', org2, '--json'])).nodes).toEqual(['peer0.org2.example.com']);

    // Org2 sees the whole network: peers' heights through its own Admin (a channel reader), the
    // orderer's health only (its participation API takes the orderer org's Admin).
    const s = json(await runCli(['network', 'status', org2, '--json'])) as { orderers: NodeStatus[]; peers: NodeStatus[]; users: { id: string }[] };
    expect(s.orderers.map((n) => [n.id, n.running, n.healthy, n.height])).toEqual([['orderer.example.com', true, true, undefined]]);
    expect(s.peers.map((n) => [n.id, n.running, n.healthy, n.height])).toEqual([
      ['peer0.org1.example.com', true, true, 1],
      ['peer0.org2.example.com', true, true, 1],
    ]);
    expect(s.users.map((u) => u.id)).toEqual(['Admin@org2.example.com', 'User1@org2.example.com']);
    expect(s).toMatchObject({ mutualTls: true, orgKeysHere: ['Org2MSP'] });
    expect([...s.orderers, ...s.peers].map((n) => (n as unknown as { keysHere: boolean }).keysHere)).toEqual([false, false, true]);
  });

  it("under mutual TLS a node refuses a client without a certificate of a network org's TLS CA", async () => {
    const s = json(await runCli(['network', 'status', org2, '--json'])) as {
      orderers: { id: string; address: string; tlsRootCertPath: string }[];
      peers: { id: string; address: string; tlsRootCertPath: string }[];
      users: { tlsCertPath: string; tlsKeyPath: string }[];
    };
    const user = s.users[0]!;
    const clientCert = { cert: fs.readFileSync(user.tlsCertPath), key: fs.readFileSync(user.tlsKeyPath) };
    const stranger = await TestOrg.create({ mspId: 'StrangerMSP' });
    const intruder = await stranger.issue('intruder');
    const strangerCert = { cert: Buffer.from(intruder.certPem), key: Buffer.from(intruder.keyPem) };
    for (const node of [s.orderers[0]!, s.peers[0]!]) {
      const ca = fs.readFileSync(node.tlsRootCertPath);
      // The TLS handshake ends the connection (an alert or a close) before any HTTP/2 frame.
      expect(await handshake(node.address, node.id, ca)).not.toBe('ok');
      expect(await handshake(node.address, node.id, ca, strangerCert)).not.toBe('ok');
      expect(await handshake(node.address, node.id, ca, clientCert)).toBe('ok');
    }
  });

  it('deploy approves for the orgs whose keys are here; the last org to approve commits', async () => {
    const first = json(await runCli(['chaincode', 'deploy', org1, project, '--name', 'basic', '--json'], { timeoutMs: 180_000 }));
    expect(first).toMatchObject({ sequence: 1, installedOn: ['peer0.org1.example.com'], approvedBy: ['Org1MSP'], alreadyApproved: [], committed: false, waitingFor: ['Org2MSP'] });
    // Running it again is safe: Org1's approval of this definition and package is on the ledger, so
    // none is submitted (the peer would refuse one with unchanged content).
    const again = json(await runCli(['chaincode', 'deploy', org1, project, '--name', 'basic', '--json'], { timeoutMs: 180_000 }));
    expect(again).toMatchObject({ sequence: 1, packageId: first.packageId, alreadyApproved: ['Org1MSP'], committed: false, waitingFor: ['Org2MSP'] });
    // Readiness names what differs, as Fabric's checkcommitreadiness --inspect: Org2 approved nothing, and Org1 another version.
    expect(json(await runCli(['chaincode', 'check-commit-readiness', org1, '--name', 'basic', '--sequence', '1', '--json']))).toEqual({
      sequence: 1,
      approvals: { Org1MSP: true, Org2MSP: false },
      mismatches: { Org2MSP: ['ChaincodeParameters'] },
    });
    const other = await runCli(['chaincode', 'check-commit-readiness', org1, '--name', 'basic', '--sequence', '1', '--version', '9.9']);
    expect(other.stdout).toContain('Org1MSP: false (mismatch: [EndorsementInfo])');
    const second = json(await runCli(['chaincode', 'deploy', org2, project, '--name', 'basic', '--json'], { timeoutMs: 180_000 }));
    expect(second).toMatchObject({ sequence: 1, installedOn: ['peer0.org2.example.com'], approvedBy: ['Org2MSP'], alreadyApproved: [], committed: true, waitingFor: [] });
    expect(second.commitTransactionId).toMatch(/^[0-9a-f]{64}$/);
  }, 400_000);

  it("transacts as each org from its own directory, and refuses to sign as another org", async () => {
    // Both orgs endorse (the default policy); each signs from its own directory.
    json(await runCli(['chaincode', 'invoke', org2, '--name', 'basic', 'CreateAsset', 'a1', 'red', '5', 'Tom', '100', '--json']));
    const read = json(await runCli(['chaincode', 'query', org1, '--name', 'basic', 'ReadAsset', 'a1', '--json']));
    expect(read.json).toMatchObject({ ID: 'a1', Owner: 'Tom' });
    // Reading commands ask the directory's own org's peer, as its own Admin.
    const info = json(await runCli(['channel', 'info', org2, '--json'])) as { height: number; configBlock: number };
    expect(info.height).toBeGreaterThanOrEqual(5); // genesis, two approvals, the commit, CreateAsset
    expect(info.configBlock).toBe(0);
    const list = json(await runCli(['channel', 'list', org2, '--json'])) as { nodes: unknown[] };
    expect(list.nodes).toEqual([{ id: 'peer0.org2.example.com', kind: 'peer', channels: ['mychannel'], listed: ['mychannel'] }]);

    expect(errorOf(await runCli(['chaincode', 'invoke', org2, '--name', 'basic', '--org', 'Org1', 'CreateAsset', 'a2', 'blue', '1', 'Ann', '1', '--json']))).toMatchObject({
      code: 'KEY_NOT_HERE',
      message: expect.stringContaining('User1@org1.example.com (Org1MSP)'),
    });
    expect(errorOf(await runCli(['channel', 'create', org2, 'second', '--json']))).toMatchObject({ code: 'KEY_NOT_HERE', message: expect.stringContaining('Admin@example.com (OrdererMSP)') });
    expect(fs.readFileSync(path.join(org2, 'network.yaml'), 'utf8')).not.toContain('second');
  });

  it("creates a channel from the orderer org's directory; Org2 joins its peer from the genesis block", async () => {
    const created = json(await runCli(['channel', 'create', org1, 'second', '--json'])) as { genesisBlock: string };
    expect(created).toMatchObject({ channel: 'second', nodes: ['orderer.example.com', 'peer0.org1.example.com'], waitingFor: ['Org2MSP'] });
    // Copied to Org2's host, as an org would receive it.
    const block = path.join(tmp, 'second.block');
    fs.copyFileSync(created.genesisBlock, block);
    const joined = json(await runCli(['channel', 'join', org2, block, '--json']));
    expect(joined).toMatchObject({ channel: 'second', nodes: ['peer0.org2.example.com'] });
    expect(fs.readFileSync(path.join(org2, 'network.yaml'), 'utf8')).toContain('name: second');
    const list = json(await runCli(['channel', 'list', org2, '--json'])) as { nodes: { channels: string[] }[] };
    expect(list.nodes[0]!.channels.sort()).toEqual(['mychannel', 'second']);
    const info = json(await runCli(['channel', 'info', org2, '--channel', 'second', '--json']));
    expect(info).toMatchObject({ channel: 'second', height: 1 });
    // Joining again changes nothing.
    expect(json(await runCli(['channel', 'join', org2, block, '--json']))).toMatchObject({ nodes: ['peer0.org2.example.com'] });
  });

  it("adds Org2 to a channel made for Org1 from Org1's directory; Org2 joins on its own with the latest config block", async () => {
    const created = json(await runCli(['channel', 'create', org1, 'third', '--orgs', 'Org1', '--json'])) as { genesisBlock: string };
    const added = json(await runCli(['channel', 'update', org1, '--channel', 'third', '--add-org', 'Org2', '--json']));
    expect(added).toMatchObject({ submitted: true, addedOrgs: ['Org2MSP'], joined: [], waitingFor: ['Org2MSP'] });
    const genesis = path.join(tmp, 'third.block');
    fs.copyFileSync(created.genesisBlock, genesis);

    // The genesis block lists Org1 only: Org2's directory is told to bring the latest config block.
    expect(errorOf(await runCli(['channel', 'join', org2, genesis, '--json']))).toMatchObject({ code: 'NO_MEMBER_KEYS_HERE', message: expect.stringContaining('Org1MSP') });
    expect(fs.readFileSync(path.join(org2, 'network.yaml'), 'utf8')).not.toContain('third');
    const config = path.join(tmp, 'third-config.block');
    expect(json(await runCli(['channel', 'fetch', org1, 'config', '--channel', 'third', '-o', config, '--json']))).toMatchObject({ number: 1 });
    expect(errorOf(await runCli(['channel', 'join', org2, genesis, '--config', path.join(tmp, 'second.block'), '--json']))).toMatchObject({
      code: 'CHANNEL_BLOCK_INVALID',
      message: expect.stringContaining('a config block of channel second, not of third'),
    });

    expect(json(await runCli(['channel', 'join', org2, genesis, '--config', config, '--json']))).toMatchObject({ channel: 'third', members: ['Org1', 'Org2'], nodes: ['peer0.org2.example.com'] });
    // Both of the network's orgs: listed as the default channel is, without an orgs list.
    const listed = (parseYaml(fs.readFileSync(path.join(org2, 'network.yaml'), 'utf8')) as { otherChannels: { name: string; orgs?: string[] }[] }).otherChannels;
    expect(listed.find((c) => c.name === 'third')).toEqual({ name: 'third', batchTimeout: '250ms', maxMessageCount: 500 });
    // Joined from block 0, Org2's peer pulls the config block that made it a member from the orderer.
    let height = 0;
    for (let i = 0; i < 60 && height < 2; i++) {
      height = (json(await runCli(['channel', 'info', org2, '--channel', 'third', '--json'])) as { height: number }).height;
      if (height < 2) await new Promise((r) => setTimeout(r, 500));
    }
    expect(height).toBe(2);
  }, 120_000);

  it("down in Org2's directory stops Org2's node only", async () => {
    const down = json(await runCli(['network', 'down', org2, '--json'])) as { nodes: { id: string; result: string }[] };
    expect(down.nodes.filter((n) => n.result !== 'not-running').map((n) => n.id)).toEqual(['peer0.org2.example.com']);
    const s = json(await runCli(['network', 'status', org1, '--json'])) as { orderers: NodeStatus[]; peers: NodeStatus[] };
    expect([...s.orderers, ...s.peers].map((n) => [n.id, n.running])).toEqual([
      ['orderer.example.com', true],
      ['peer0.org1.example.com', true],
      ['peer0.org2.example.com', false],
    ]);
  });
});
