import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findFreePorts } from '../../../cli/services/free-ports';
import { json, runCli } from './run-cli';

/**
 * The real CLI end to end on a 2-org network: init, up, status --json, deploy a chaincode scaffolded
 * by `weft new chaincode`, invoke, query, block show, failures with non-zero exits, down.
 */
describe('weft network + chaincode (2 orgs, real processes)', () => {
  let tmp: string;
  let net: string;
  let up = false;
  const peerConfig = (org = 'org1'): string => path.join(net, 'nodes', `peer0.${org}.example.com`, 'peer.yaml');

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-e2e-cli-'));
    net = path.join(tmp, 'net');
  });
  afterAll(async () => {
    if (up) await runCli(['network', 'down', net, '--grace', '5']);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('init → up → status --json lists every endpoint, identity and height', async () => {
    const base = await findFreePorts(7);
    json(await runCli(['network', 'init', net, '--base-port', String(base), '--batch-timeout', '250ms', '--json']));
    up = true;
    const upResult = await runCli(['network', 'up', net]);
    expect(upResult.code).toBe(0);
    expect(upResult.stderr).toMatch(/joined mychannel/);

    const status = json(await runCli(['network', 'status', net, '--json'])) as {
      channel: string;
      up: boolean;
      orderers: Record<string, unknown>[];
      peers: Record<string, unknown>[];
      users: Record<string, unknown>[];
    };
    expect(status.channel).toBe('mychannel');
    expect(status.up).toBe(true);
    expect(status.orderers).toHaveLength(1);
    expect(status.peers.map((p) => p.mspId)).toEqual(['Org1MSP', 'Org2MSP']);
    for (const node of [...status.orderers, ...status.peers]) {
      expect(node).toEqual(expect.objectContaining({ address: expect.stringMatching(/^127\.0\.0\.1:\d+$/), mspId: expect.any(String), height: 1, healthy: true }));
      expect(fs.existsSync(node.tlsRootCertPath as string)).toBe(true);
    }
    for (const node of [...status.orderers, ...status.peers]) expect(node.operationsAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    const ordererHealth = await fetch(`http://${status.orderers[0]!.operationsAddress as string}/healthz`);
    expect(ordererHealth.status).toBe(200);
    // Ledgers (private data in the clear) and logs (what chaincode prints) are the operator's alone.
    const logs = path.join(net, 'logs');
    expect(fs.statSync(logs).mode & 0o777).toBe(0o700);
    for (const f of fs.readdirSync(logs)) expect(fs.statSync(path.join(logs, f)).mode & 0o777).toBe(0o600);
    for (const id of fs.readdirSync(path.join(net, 'nodes'))) expect(fs.statSync(path.join(net, 'nodes', id, 'data')).mode & 0o777).toBe(0o700);
    expect(status.users.map((u) => u.id)).toEqual(['Admin@org1.example.com', 'User1@org1.example.com', 'Admin@org2.example.com', 'User1@org2.example.com']);
    for (const u of status.users) {
      expect(fs.existsSync(u.certPath as string) && fs.existsSync(u.keyPath as string)).toBe(true);
      expect(u.mspId).toMatch(/^Org[12]MSP$/);
    }
    const again = await runCli(['network', 'up', net]);
    expect(again.code).not.toBe(0);
    expect(again.message).toMatch(/already up/);
  });

  it('deploys a scaffolded chaincode, invokes it from two orgs and queries it', async () => {
    const project = path.join(tmp, 'items');
    json(await runCli(['new', 'chaincode', 'items', '--dir', project, '--json']));
    const deployed = json(await runCli(['chaincode', 'deploy', net, project, '--name', 'items', '--policy', "OR('Org1MSP.peer','Org2MSP.peer')", '--json']));
    expect(deployed).toEqual(expect.objectContaining({ name: 'items', sequence: 1, installedOn: ['peer0.org1.example.com', 'peer0.org2.example.com'] }));

    const created = json(await runCli(['chaincode', 'invoke', net, '--name', 'items', 'Create', 'item1', 'blue', '--json']));
    expect(created).toEqual(expect.objectContaining({ validationCode: 'VALID', valid: true }));
    const transferred = json(await runCli(['chaincode', 'invoke', net, '--name', 'items', '--org', 'Org2', 'Transfer', 'item1', 'Org2MSP', '--json']));
    expect(transferred.result).toBe('Org1MSP');
    const read = json(await runCli(['chaincode', 'query', net, '--name', 'items', 'Read', 'item1', '--json']));
    expect(read.json).toEqual({ ID: 'item1', Owner: 'Org2MSP', Value: 'blue' });

    const committed = json(await runCli(['chaincode', 'query-committed', net, '--name', 'items', '--json'])) as { definitions: { approvals: unknown }[] };
    expect(committed.definitions[0]!.approvals).toEqual({ Org1MSP: true, Org2MSP: true });
    const installed = json(await runCli(['chaincode', 'query-installed', net, '--org', 'Org2', '--json'])) as { peers: { installed: { label: string }[] }[] };
    expect(installed.peers[0]!.installed.map((p) => p.label)).toContain('items_1.0');
  });

  it('block show decodes the newest block: rwset, validation code, event', async () => {
    const block = json(await runCli(['block', 'show', net, 'newest', '--json'])) as { number: number; transactions: Record<string, unknown>[] };
    const tx = block.transactions[0]!;
    expect(tx).toEqual(
      expect.objectContaining({
        type: 'ENDORSER_TRANSACTION',
        validationCode: 'VALID',
        function: 'Transfer',
        args: ['item1', 'Org2MSP'],
        chaincode: { name: 'items', version: '1.0' },
        event: expect.objectContaining({ name: 'Transferred' }),
      }),
    );
    expect(JSON.stringify(tx.rwsets)).toContain('"key":"item1"');
    const genesis = json(await runCli(['block', 'show', net, '0', '--json'])) as { transactions: { type: string; config: { applicationOrgs: unknown[] } }[] };
    expect(genesis.transactions[0]!.type).toBe('CONFIG');
    expect(genesis.transactions[0]!.config.applicationOrgs).toHaveLength(2);
  });

  it('fails with the chaincode message, a remedy and a non-zero exit, never a stack trace', async () => {
    const dup = await runCli(['chaincode', 'invoke', net, '--name', 'items', 'Create', 'item1', 'red']);
    expect(dup.code).not.toBe(0);
    expect(dup.message).toMatch(/The item item1 already exists/);
    expect(dup.stderr).not.toMatch(/\n\s+at .*\.ts:\d+/);
    const unknown = await runCli(['chaincode', 'query', net, '--name', 'nothing', 'Read', 'x']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.message).toMatch(/not committed on this channel.*weft chaincode deploy/);
    const badOrg = await runCli(['chaincode', 'query', net, '--name', 'items', '--org', 'Org9', 'Read', 'item1', '--json']);
    expect(badOrg.code).not.toBe(0);
    expect(JSON.parse(badOrg.stdout).error.code).toBe('UNKNOWN_ORG');
    // Offline maintenance refuses to touch a running peer's ledgers.
    const busy = await runCli(['peer', 'rebuild-dbs', '--config', peerConfig(), '--json']);
    expect(busy.code).not.toBe(0);
    expect(JSON.parse(busy.stdout).error).toMatchObject({
      code: 'NODE_DATA_DIR_IN_USE',
      message: expect.stringMatching(/is in use by peer peer0\.org1\.example\.com \(pid \d+/),
    });
  });

  it('channel create: a second channel with its own chaincode and state', async () => {
    const created = json(await runCli(['channel', 'create', net, 'audit', '--batch-timeout', '250ms', '--json']));
    expect(created).toMatchObject({ channel: 'audit', nodes: ['orderer.example.com', 'peer0.org1.example.com', 'peer0.org2.example.com'] });
    expect(fs.readFileSync(path.join(net, 'network.yaml'), 'utf8')).toMatch(/otherChannels:\n {2}- name: audit\n {4}batchTimeout: 250ms/);
    // Again: already there, nothing left to join; the default channel cannot be created.
    expect(json(await runCli(['channel', 'create', net, 'audit', '--json']))).toMatchObject({ channel: 'audit' });
    expect(JSON.parse((await runCli(['channel', 'create', net, 'mychannel', '--json'])).stdout).error.code).toBe('CHANNEL_EXISTS');

    // On this channel the chaincode is defined with private data collections (Fabric's collections JSON).
    const project = path.join(tmp, 'items');
    const collections = path.join(tmp, 'collections.json');
    fs.writeFileSync(collections, JSON.stringify([{ name: 'shared', policy: "OR('Org1MSP.member','Org2MSP.member')", maxPeerCount: 1, requiredPeerCount: 0, blockToLive: 0, memberOnlyRead: true }]));
    const badCollections = path.join(tmp, 'bad-collections.json');
    fs.writeFileSync(badCollections, JSON.stringify([{ name: 'shared', policy: "OR('Org1MSP.member')", requiredPeerCount: 2, maxPeerCount: -1 }]));
    const refused = await runCli(['chaincode', 'deploy', net, project, '--name', 'items', '--channel', 'audit', '--collections-config', badCollections, '--json']);
    expect(refused.code).not.toBe(0);
    expect(JSON.parse(refused.stdout).error).toMatchObject({ code: 'COLLECTIONS_CONFIG_INVALID', details: { file: badCollections, field: 'collections[0].maxPeerCount' } });
    const deployed = json(
      await runCli(['chaincode', 'deploy', net, project, '--name', 'items', '--channel', 'audit', '--policy', "OR('Org1MSP.peer','Org2MSP.peer')", '--collections-config', collections, '--json']),
    );
    expect(deployed).toEqual(expect.objectContaining({ name: 'items', sequence: 1 }));
    const definition = json(await runCli(['chaincode', 'query-committed', net, '--name', 'items', '--channel', 'audit', '--json'])) as { definitions: Record<string, unknown>[] };
    expect(definition.definitions).toEqual([
      expect.objectContaining({
        approvals: { Org1MSP: true, Org2MSP: true },
        collections: [{ name: 'shared', memberOrgs: ['Org1MSP', 'Org2MSP'], requiredPeerCount: 0, maxPeerCount: 1, blockToLive: 0, memberOnlyRead: true, memberOnlyWrite: false }],
      }),
    ]);
    expect(json(await runCli(['chaincode', 'invoke', net, '--name', 'items', '--channel', 'audit', 'Create', 'item1', 'red', '--json']))).toMatchObject({ valid: true });
    const onAudit = json(await runCli(['chaincode', 'query', net, '--name', 'items', '--channel', 'audit', '--org', 'Org2', 'Read', 'item1', '--json']));
    expect(onAudit.json).toEqual({ ID: 'item1', Owner: 'Org1MSP', Value: 'red' });
    const onDefault = json(await runCli(['chaincode', 'query', net, '--name', 'items', 'Read', 'item1', '--json']));
    expect(onDefault.json).toEqual({ ID: 'item1', Owner: 'Org2MSP', Value: 'blue' });

    // A channel of Org1 alone: Org2's peer never joins it, and Org2 cannot act on it.
    const org1only = json(await runCli(['channel', 'create', net, 'org1only', '--orgs', 'Org1MSP', '--batch-timeout', '250ms', '--json']));
    expect(org1only).toMatchObject({ channel: 'org1only', nodes: ['orderer.example.com', 'peer0.org1.example.com'] });
    expect(fs.readFileSync(path.join(net, 'network.yaml'), 'utf8')).toMatch(/- name: org1only\n(.*\n){2} {4}orgs: \[Org1\]/);
    expect(json(await runCli(['chaincode', 'deploy', net, project, '--name', 'items', '--channel', 'org1only', '--json']))).toMatchObject({
      installedOn: ['peer0.org1.example.com'],
    });
    expect(json(await runCli(['chaincode', 'invoke', net, '--name', 'items', '--channel', 'org1only', 'Create', 'item1', 'green', '--json']))).toMatchObject({ valid: true });
    const outsider = await runCli(['chaincode', 'query', net, '--name', 'items', '--channel', 'org1only', '--org', 'Org2', 'Read', 'item1', '--json']);
    expect(JSON.parse(outsider.stdout).error.code).toBe('ORG_NOT_IN_CHANNEL');

    const list = json(await runCli(['channel', 'list', net, '--json'])) as { nodes: { channels: string[] }[] };
    expect(list.nodes.map((n) => n.channels)).toEqual([
      ['audit', 'mychannel', 'org1only'],
      ['audit', 'mychannel', 'org1only'],
      ['audit', 'mychannel'],
    ]);
    const newest = json(await runCli(['block', 'show', net, 'newest', '--channel', 'audit', '--json'])) as { transactions: { channelId: string; validationCode: string }[] };
    expect(newest.transactions.map((t) => [t.channelId, t.validationCode])).toEqual([['audit', 'VALID']]);
    const unknown = await runCli(['chaincode', 'query', net, '--name', 'items', '--channel', 'nope', 'Read', 'item1', '--json']);
    expect(JSON.parse(unknown.stdout).error).toMatchObject({ code: 'UNKNOWN_CHANNEL', message: expect.stringContaining('it has: mychannel, audit, org1only') });
    // A chaincode name one typo away from a committed one: the refusal lists what is committed and offers the near name.
    const typo = JSON.parse((await runCli(['chaincode', 'query', net, '--name', 'item', '--channel', 'audit', 'Read', 'item1', '--json'])).stdout) as { error: { code: string; details: { committed: string[] } }; suggestions: string[] };
    expect([typo.error.code, typo.error.details.committed, typo.suggestions[0]]).toEqual(['GATEWAY_FAILED', ['items'], 'did you mean --name items?']);
    // Two channel creations and two deploys (package, install, approve per org, commit): some 40 s here, over 60 on a loaded machine.
  }, 120_000);

  it('channel list/info and network down', async () => {
    const list = json(await runCli(['channel', 'list', net, '--json'])) as { nodes: { channels: string[] }[] };
    expect(list.nodes.every((n) => n.channels.includes('mychannel'))).toBe(true);
    const info = json(await runCli(['channel', 'info', net, '--json']));
    expect(info.height).toBe(5); // genesis, both approvals (one block), commit, Create, Transfer

    // Service discovery as an SDK sees it: Org2's peer as Org1's peer last heard from it (within a round).
    type Discovered = { peers: { mspId: string; ledgerHeight: number; chaincodes: string[] }[]; endorsers: { layouts: Record<string, number>[]; groups: Record<string, { mspId: string }[]> } };
    let discovered = json(await runCli(['channel', 'discover', net, '--chaincode', 'items', '--json'])) as Discovered;
    for (let tries = 0; discovered.peers.some((p) => p.ledgerHeight !== 5) && tries < 20; tries++) {
      await new Promise((r) => setTimeout(r, 500));
      discovered = json(await runCli(['channel', 'discover', net, '--chaincode', 'items', '--json'])) as Discovered;
    }
    expect(discovered.peers.map((p) => [p.mspId, p.ledgerHeight, p.chaincodes])).toEqual([
      ['Org1MSP', 5, ['items@1', '_lifecycle@1']],
      ['Org2MSP', 5, ['items@1', '_lifecycle@1']],
    ]);
    // OR('Org1MSP.peer','Org2MSP.peer'): either org's peer alone.
    const orgOf = (group: string): string | undefined => discovered.endorsers.groups[group]?.[0]?.mspId;
    expect(discovered.endorsers.layouts.map((l) => Object.entries(l).map(([g, n]) => [orgOf(g), n]))).toEqual([[['Org1MSP', 1]], [['Org2MSP', 1]]]);

    const down = json(await runCli(['network', 'down', net, '--json'])) as { nodes: { result: string }[] };
    up = false;
    expect(down.nodes.map((n) => n.result).every((r) => r === 'stopped' || r === 'killed')).toBe(true);
    const status = json(await runCli(['network', 'status', net, '--json'])) as { up: boolean; peers: { running: boolean }[] };
    expect(status.up).toBe(false);
    expect(status.peers.some((p) => p.running)).toBe(false);
  });

  it('peer rebuild-dbs, rollback, reset, unjoin and pause on stopped peers; up again (a paused channel left paused until resumed), both catch up to the same state', async () => {
    const rebuilt = json(await runCli(['peer', 'rebuild-dbs', '--config', peerConfig(), '--json']));
    expect(rebuilt).toEqual({
      channels: [
        { channelId: 'audit', blocks: expect.any(Number) },
        { channelId: 'mychannel', blocks: 5 },
        { channelId: 'org1only', blocks: expect.any(Number) },
      ],
    });
    const tooFar = await runCli(['peer', 'rollback', '--config', peerConfig(), '--channel', 'mychannel', '--block', '4', '--json']);
    expect(JSON.parse(tooFar.stdout).error.code).toBe('LEDGER_BAD_ROLLBACK');
    const rolledBack = json(await runCli(['peer', 'rollback', '--config', peerConfig(), '--channel', 'mychannel', '--block', '2', '--json']));
    expect(rolledBack).toEqual({ channelId: 'mychannel', blocks: 3 });
    const reset = json(await runCli(['peer', 'reset', '--config', peerConfig('org2'), '--json']));
    expect(reset).toEqual({ channels: [{ channelId: 'audit', blocks: 1 }, { channelId: 'mychannel', blocks: 1 }] });
    const unjoined = json(await runCli(['peer', 'unjoin', '--config', peerConfig(), '--channel', 'mychannel', '--json']));
    // Org1's only peer: network.yaml keeps it on mychannel (each member org keeps one), so up joins it again below.
    expect(unjoined).toEqual({ channelId: 'mychannel', channels: ['audit', 'org1only'], networkFileUpdated: false });
    const again = await runCli(['peer', 'unjoin', '--config', peerConfig(), '--channel', 'mychannel', '--json']);
    expect(JSON.parse(again.stdout).error.code).toBe('PEER_UNKNOWN_CHANNEL');

    // A channel paused on Org2's peer stays paused through `up`, which says so, and status shows it.
    expect(json(await runCli(['peer', 'pause', '--config', peerConfig('org2'), '--channel', 'audit', '--json']))).toMatchObject({ changed: true, paused: ['audit'] });

    // Up joins Org1's peer to the channel again; both peers pull the blocks they lack and replay them.
    const upAgain = await runCli(['network', 'up', net]);
    expect(upAgain.code).toBe(0);
    up = true;
    expect(upAgain.stdout + upAgain.stderr).toContain('peer0.org2.example.com: audit is paused there, left as is');
    const paused = json(await runCli(['network', 'status', net, '--channel', 'audit', '--json'])) as { peers: { id: string; height?: number; pausedChannels?: string[] }[] };
    const org2Peer = paused.peers.find((p) => p.id === 'peer0.org2.example.com');
    expect(org2Peer?.pausedChannels).toEqual(['audit']);
    expect(org2Peer?.height).toBeUndefined();
    expect(paused.peers.find((p) => p.id === 'peer0.org1.example.com')?.pausedChannels).toBeUndefined();
    // Resumed (peer stopped), the peer opens the channel again and catches up below.
    expect((await runCli(['network', 'down', net, '--node', 'peer0.org2.example.com'])).code).toBe(0);
    expect(json(await runCli(['peer', 'resume', '--config', peerConfig('org2'), '--channel', 'audit', '--json']))).toMatchObject({ changed: true, paused: [] });
    expect((await runCli(['network', 'up', net, '--node', 'peer0.org2.example.com'])).code).toBe(0);
    const items = [
      ['mychannel', { ID: 'item1', Owner: 'Org2MSP', Value: 'blue' }, ['Org1', 'Org2']],
      ['audit', { ID: 'item1', Owner: 'Org1MSP', Value: 'red' }, ['Org1', 'Org2']],
      ['org1only', { ID: 'item1', Owner: 'Org1MSP', Value: 'green' }, ['Org1']],
    ] as const;
    for (const [channel, value, orgs] of items) {
      // Every node at the orderer's height on the channel, then each org's peer serves the same state.
      const heights = async (): Promise<unknown[]> => {
        const status = json(await runCli(['network', 'status', net, '--channel', channel, '--json'])) as Record<string, { height?: number }[]>;
        return [...status.orderers!, ...status.peers!].map((n) => n.height);
      };
      for (let tries = 0, h = await heights(); new Set(h).size !== 1; tries++, h = await heights()) {
        if (tries === 20) throw new Error(`peers did not catch up on ${channel}: ${JSON.stringify(h)}`);
        await new Promise((r) => setTimeout(r, 500));
      }
      for (const org of orgs) {
        const read = json(await runCli(['chaincode', 'query', net, '--name', 'items', '--channel', channel, '--org', org, 'Read', 'item1', '--json']));
        expect(read.json).toEqual(value);
      }
    }
  });

  it("a config update while a peer is stopped (renew --revoke-old puts Org1's CRL in each channel) waits only for the peers that run, names the stopped one in progress and --json, which takes the config blocks when started", async () => {
    const ORG2_PEER = 'peer0.org2.example.com';
    const heights = async (channel: string): Promise<unknown[]> => {
      const status = json(await runCli(['network', 'status', net, '--channel', channel, '--json'])) as Record<string, { height?: number }[]>;
      return [...status.orderers!, ...status.peers!].map((n) => n.height);
    };
    expect((await runCli(['network', 'down', net, '--node', ORG2_PEER])).code).toBe(0);
    let run: Awaited<ReturnType<typeof runCli>>;
    try {
      run = await runCli(['network', 'renew', net, '--org', 'Org1', '--user', 'User1', '--revoke-old', '--json'], { timeoutMs: 150_000 });
    } finally {
      expect((await runCli(['network', 'up', net, '--node', ORG2_PEER])).code).toBe(0);
    }
    const renewed = json(run) as { revoked: { channels: { channel: string; configBlock?: number; notWaitedFor?: string[] }[] } };
    // org1only has no peer of Org2: nothing to leave out there.
    expect(renewed.revoked.channels.map((c) => [c.channel, c.notWaitedFor])).toEqual([
      ['mychannel', [ORG2_PEER]],
      ['audit', [ORG2_PEER]],
      ['org1only', undefined],
    ]);
    for (const channel of ['mychannel', 'audit']) {
      expect(run.message).toContain(`channel ${channel}: not waiting for ${ORG2_PEER}, which does not run here: started, it takes the new config block from the orderer`);
    }
    // Up again, the peer pulls the config blocks it missed from the orderer: every node at one height, past the update's block.
    for (const { channel, configBlock } of renewed.revoked.channels.slice(0, 2)) {
      for (let tries = 0, h = await heights(channel); new Set(h).size !== 1 || (h[0] as number) <= configBlock!; tries++, h = await heights(channel)) {
        if (tries === 20) throw new Error(`${ORG2_PEER} did not catch up on ${channel}: ${JSON.stringify(h)}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }, 240_000);
});
