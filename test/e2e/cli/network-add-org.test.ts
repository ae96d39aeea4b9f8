import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findFreePorts } from '../../../cli/services/free-ports';
import { errorOf, json, REPO, runCli } from './run-cli';

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
 * directory as it was. Then the same across directories that each hold one org's keys (Fabric's
 * tutorial as it is run): Org4 is prepared in Org1's, signed in Org2's, submitted from there,
 * started from its own directory and recorded by the others. Then a failure after the orderer
 * accepted (Org5's peer cannot open its log) is ADD_ORG_UNFINISHED, and `network up` finishes it.
 * Last, orgs that run Fabric are added from their `configtxgen -printOrg` JSON (Org6 with --peer,
 * Org7 naming two anchor peers): last, since their Admins sign elsewhere and the channel's
 * MAJORITY of Admins then needs more than the keys here.
 */
describe('weft network add-org (2 orgs + 1, mutual TLS, real processes)', () => {
  let tmp: string;
  let net: string;
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
    await runCli(['network', 'down', path.join(tmp, 'org4'), '--grace', '5']);
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
      // The suggestions spell out the flow across directories, this directory's name filled in.
      details: {
        unsigned: ['Org2MSP'],
        suggestions: expect.arrayContaining([
          expect.stringContaining(`weft network add-org ${org1} --name Org3 --org-dir ${path.join(tmp, 'org3')} --output`),
          expect.stringContaining('weft channel sign-update <their dir>'),
          expect.stringContaining('--from-file'),
        ]),
      },
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
    expect(list.nodes).toContainEqual({ id: 'peer0.org3.example.com', kind: 'peer', channels: ['mychannel'], listed: ['mychannel'] });
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

  it("adds Org4 across exported directories, Org1 and Org2 each alone: --output, sign-update, --from-file; Org4's keys only in its own directory", async () => {
    // A majority of Org1, Org2 and Org3 is two: Org1's and Org2's Admins, each in a directory of its own.
    const a1 = path.join(tmp, 'a1');
    const a2 = path.join(tmp, 'a2');
    const org4 = path.join(tmp, 'org4');
    const file = path.join(tmp, 'add-org4.pb');
    json(await runCli(['network', 'export', net, a1, '--org', 'Org1', '--json']));
    json(await runCli(['network', 'export', net, a2, '--org', 'Org2', '--json']));
    const a1Before = snapshot(a1);
    const a2Before = snapshot(a2);

    // Refusals change nothing: no --org-dir, an --org-dir inside the member's directory, --from-file with --name.
    expect(errorOf(await runCli(['network', 'add-org', a1, '--name', 'Org4', '--output', file, '--json']))).toMatchObject({ code: 'ADD_ORG_OPTIONS_INVALID', details: { field: '--org-dir' } });
    expect(errorOf(await runCli(['network', 'add-org', a1, '--name', 'Org4', '--output', file, '--org-dir', path.join(a1, 'org4'), '--json']))).toMatchObject({ code: 'TARGET_INSIDE_NETWORK' });
    expect(errorOf(await runCli(['network', 'add-org', a1, '--from-file', file, '--org-dir', org4, '--name', 'Org4', '--json']))).toMatchObject({ code: 'CONFLICTING_FLAGS' });
    expect(snapshot(a1)).toEqual(a1Before);
    expect(fs.existsSync(file) || fs.existsSync(org4)).toBe(false);

    const prepared = json(await runCli(['network', 'add-org', a1, '--name', 'Org4', '--org-dir', org4, '--output', file, '--json']));
    expect(prepared).toMatchObject({ org: 'Org4', mspId: 'Org4MSP', submitted: false, file, orgDir: org4, signedBy: ['Org1MSP'], stillToSign: ['Org2MSP', 'Org3MSP'] });
    expect(snapshot(a1)).toEqual(a1Before);
    // Org4's directory: its own keys, every org's certificates, no other org's private key.
    const key = (dir: string, org: string) => path.join(dir, 'organizations', 'peerOrganizations', `${org}.example.com`, 'users', `Admin@${org}.example.com`, 'msp', 'keystore', 'priv_sk');
    const cert = (dir: string, org: string) => path.join(dir, 'organizations', 'peerOrganizations', `${org}.example.com`, 'users', `Admin@${org}.example.com`, 'msp', 'signcerts', `Admin@${org}.example.com-cert.pem`);
    expect([fs.existsSync(key(org4, 'org4')), fs.existsSync(key(org4, 'org1')), fs.existsSync(cert(org4, 'org1'))]).toEqual([true, false, true]);
    expect(fs.readFileSync(path.join(org4, 'network.yaml'), 'utf8')).toContain('Org4MSP');

    // Submitted with Org1's signature alone: refused, naming the next step, nothing changed.
    const early = errorOf(await runCli(['network', 'add-org', a1, '--from-file', file, '--org-dir', org4, '--json']));
    expect(early).toMatchObject({ code: 'CONFIG_UPDATE_UNSIGNED', details: { suggestions: expect.arrayContaining([expect.stringContaining(`weft channel sign-update <their dir> ${file}`)]) } });
    expect(snapshot(a1)).toEqual(a1Before);

    expect(json(await runCli(['channel', 'sign-update', a2, file, '--org', 'Org2', '--json']))).toMatchObject({ added: true, signedBy: ['Org1MSP', 'Org2MSP'] });
    const submitted = json(await runCli(['network', 'add-org', a2, '--from-file', file, '--org-dir', org4, '--json']));
    expect(submitted).toMatchObject({ org: 'Org4', mspId: 'Org4MSP', channel: 'mychannel', submitted: true, signedBy: ['Org1MSP', 'Org2MSP'], recorded: true });
    // Org2's directory lists Org4 and holds its certificates, not its keys.
    expect(snapshot(a2).networkFile).toContain('Org4MSP');
    expect([fs.existsSync(cert(a2, 'org4')), fs.existsSync(key(a2, 'org4'))]).toEqual([true, false]);
    expect(snapshot(a2).paths.filter((p) => !a2Before.paths.includes(p)).every((p) => p.startsWith('organizations/peerOrganizations/org4.example.com') && !/keystore|priv_sk|\.key$/.test(p))).toBe(true);

    // Org4 starts its peer from its own directory; it joins from the genesis block.
    expect(json(await runCli(['network', 'up', org4, '--json'])).nodes).toEqual(['peer0.org4.example.com']);
    // The other member directories record Org4 with the same command: the channel has it, nothing is submitted.
    for (const dir of [a1, net]) {
      expect(json(await runCli(['network', 'add-org', dir, '--from-file', file, '--org-dir', org4, '--json']))).toMatchObject({ submitted: false, recorded: true });
      expect(fs.readFileSync(path.join(dir, 'network.yaml'), 'utf8')).toContain('Org4MSP');
    }
    const info = json(await runCli(['channel', 'info', a1, '--json'])) as { config: { applicationOrgs: { mspId: string }[] } };
    expect(info.config.applicationOrgs.map((o) => o.mspId)).toEqual(expect.arrayContaining(['Org1MSP', 'Org2MSP', 'Org3MSP', 'Org4MSP']));

    // Org4 installs and approves the chaincode the channel runs; its own peer endorses its query.
    const project = path.join(REPO, 'chaincode-examples', 'asset-transfer');
    const deployed = json(await runCli(['chaincode', 'deploy', org4, project, '--name', 'basic', '--policy', "AND('Org1MSP.peer','Org3MSP.peer')", '--json'], { timeoutMs: 180_000 }));
    expect(deployed).toMatchObject({ installedOn: ['peer0.org4.example.com'], approvedBy: ['Org4MSP'] });
    const read = json(await runCli(['chaincode', 'query', org4, '--name', 'basic', '--org', 'Org4', 'ReadAsset', 'a1', '--json']));
    expect(read.json).toMatchObject({ ID: 'a1', Owner: 'Tom' });
  }, 300_000);

  it('a failure after the orderer accepted is ADD_ORG_UNFINISHED: the channel has the org, and weft network up finishes it', async () => {
    // Org5's peer cannot start: where its log file goes stands a directory. Nothing before the orderer's acceptance looks there.
    const logSpot = path.join(net, 'logs', 'peer0.org5.example.com.log');
    fs.mkdirSync(logSpot, { recursive: true });
    const failed = errorOf(await runCli(['network', 'add-org', net, '--name', 'Org5', '--json']));
    expect(failed).toMatchObject({
      code: 'ADD_ORG_UNFINISHED',
      message: expect.stringContaining('the orderer accepted the config update adding Org5MSP to channel mychannel, so the channel has the org now'),
      details: { org: 'Org5', suggestions: expect.arrayContaining([expect.stringContaining(`weft network up ${net}`)]) },
    });
    const info = json(await runCli(['channel', 'info', net, '--json'])) as { config: { applicationOrgs: { mspId: string }[] } };
    expect(info.config.applicationOrgs.map((o) => o.mspId)).toContain('Org5MSP');
    expect(fs.readFileSync(path.join(net, 'network.yaml'), 'utf8')).toContain('Org5MSP');

    fs.rmdirSync(logSpot);
    json(await runCli(['network', 'up', net, '--json']));
    const list = json(await runCli(['channel', 'list', net, '--json'])) as { nodes: { id: string; channels: string[] }[] };
    expect(list.nodes).toContainEqual({ id: 'peer0.org5.example.com', kind: 'peer', channels: ['mychannel'], listed: ['mychannel'] });
    expect((await peers()).find((p) => p.id === 'peer0.org5.example.com')).toMatchObject({ running: true, healthy: true });
  }, 120_000);

  it("adds Fabric-run orgs from their configtxgen -printOrg JSON, with --peer or the anchor peers it names (two): the channel gets the group, network.yaml lists the peers, nothing of them runs here", async () => {
    // Org6 runs Fabric: it hands over what configtxgen -printOrg Org6MSP prints (no AnchorPeers, as the tutorial's org3).
    const port = await findFreePorts(2);
    const made = path.join(tmp, 'org6-own');
    json(await runCli(['network', 'new-org', made, '--name', 'Org6', '--base-port', String(port), '--json']));
    const group = (JSON.parse(fs.readFileSync(path.join(made, 'org-definition.json'), 'utf8')) as { group: { values: Record<string, unknown> } }).group;
    delete group.values.AnchorPeers;
    const printed = path.join(tmp, 'org6.json');
    fs.writeFileSync(printed, JSON.stringify(group, null, '\t'));
    const before = snapshot(net);
    expect(errorOf(await runCli(['network', 'add-org', net, '--definition', printed, '--json']))).toMatchObject({ code: 'ADD_ORG_OPTIONS_INVALID', details: { field: '--peer' } });
    expect(errorOf(await runCli(['network', 'add-org', net, '--peer', `127.0.0.1:${port}`, '--json']))).toMatchObject({ code: 'CONFLICTING_FLAGS', details: { field: '--peer' } });
    expect(errorOf(await runCli(['network', 'add-org', net, '--definition', path.join(made, 'org-definition.json'), '--peer', `127.0.0.1:${port}`, '--json']))).toMatchObject({
      code: 'CONFLICTING_FLAGS',
      details: { field: '--peer' },
    });
    expect(snapshot(net)).toEqual(before);

    const added = json(await runCli(['network', 'add-org', net, '--definition', printed, '--peer', `127.0.0.1:${port}`, '--json']));
    expect(added).toMatchObject({ org: 'Org6', mspId: 'Org6MSP', channel: 'mychannel', submitted: true, recorded: true, definition: printed, next: expect.stringContaining('peer channel join') });
    const info = json(await runCli(['channel', 'info', net, '--json'])) as { config: { applicationOrgs: { mspId: string; anchorPeers: string[] }[] } };
    expect(info.config.applicationOrgs).toContainEqual(expect.objectContaining({ mspId: 'Org6MSP', anchorPeers: [`127.0.0.1:${port}`] }));
    // Its certificates only: the MSP folder and TLS CA configtxgen read, no key, no node of it here.
    const added6 = snapshot(net).paths.filter((p) => !before.paths.includes(p));
    expect(added6).toEqual(expect.arrayContaining(['organizations/peerOrganizations/org6.example.com/msp/cacerts/ca.org6.example.com-cert.pem', 'organizations/peerOrganizations/org6.example.com/tlsca/tlsca.org6.example.com-cert.pem']));
    expect(added6.filter((p) => /keystore|signcerts|\.key$|^nodes/.test(p))).toEqual([]);
    // A remote org's peer: listed, not run from here, and up leaves it alone.
    expect((await peers()).find((p) => p.id === 'peer0.org6.example.com')).toMatchObject({ mspId: 'Org6MSP', running: false });
    // up has nothing to start: Org6's peer (not running, no keys here) is not one of this directory's nodes to run.
    expect(errorOf(await runCli(['network', 'up', net, '--json']))).toMatchObject({ code: 'NETWORK_ALREADY_UP', message: expect.not.stringContaining('org6') });

    // Org7 prints two anchor peers, as Fabric orgs list them for availability: the channel gets both, in order, and network.yaml both peers.
    const port7 = await findFreePorts(2);
    const made7 = path.join(tmp, 'org7-own');
    json(await runCli(['network', 'new-org', made7, '--name', 'Org7', '--base-port', String(port7), '--json']));
    const group7 = (JSON.parse(fs.readFileSync(path.join(made7, 'org-definition.json'), 'utf8')) as { group: { values: Record<string, unknown> } }).group;
    const anchors7 = [`127.0.0.1:${port7 + 1}`, `127.0.0.1:${port7}`];
    group7.values.AnchorPeers = { mod_policy: 'Admins', value: { anchor_peers: anchors7.map((a) => ({ host: '127.0.0.1', port: Number(a.split(':')[1]) })) }, version: '0' };
    const printed7 = path.join(tmp, 'org7.json');
    fs.writeFileSync(printed7, JSON.stringify(group7, null, '\t'));
    expect(json(await runCli(['network', 'add-org', net, '--definition', printed7, '--json']))).toMatchObject({ org: 'Org7', submitted: true, recorded: true });
    const info7 = json(await runCli(['channel', 'info', net, '--json'])) as { config: { applicationOrgs: { mspId: string; anchorPeers: string[] }[] } };
    expect(info7.config.applicationOrgs).toContainEqual(expect.objectContaining({ mspId: 'Org7MSP', anchorPeers: anchors7 }));
    expect((await peers()).filter((p) => p.mspId === 'Org7MSP').map((p) => [p.id, p.running])).toEqual([
      ['peer0.org7.example.com', false],
      ['peer1.org7.example.com', false],
    ]);
  }, 180_000);
});
