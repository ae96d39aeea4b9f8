import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { findFreePorts } from '../../../cli/services/free-ports';
import { errorOf, json, REPO, runCli } from './run-cli';

interface ChannelEntry {
  name: string;
  batchTimeout: string;
  maxMessageCount: number;
  absoluteMaxBytes?: number;
  preferredMaxBytes?: number;
  orgs?: string[];
  capabilities?: Record<string, string>;
}

/** The capabilities `channel info` reads from the channel's latest config block. */
type InfoCapabilities = { config: { capabilities: { channel: string[]; orderer: string[]; application: string[] } } };

/**
 * `weft channel update` on a running 2-org network (real processes, one network for the file):
 * batch settings of the default channel, an org added to a channel made for one org (its peer
 * joins and endorses), refusals that leave network.yaml as it was, and the flow for Admins whose
 * keys live in other directories (`--output`, `sign-update`, `--from-file`). The network is made at
 * the capabilities a Fabric 2.x node joins (channel and application V2_0), then raised.
 */
describe('weft channel update (2 orgs, real processes)', () => {
  let tmp: string;
  let net: string;
  const networkFile = (dir = net): string => fs.readFileSync(path.join(dir, 'network.yaml'), 'utf8');
  const channels = (dir = net): ChannelEntry[] => {
    const spec = parseYaml(networkFile(dir)) as { channel: ChannelEntry; otherChannels?: ChannelEntry[] };
    return [spec.channel, ...(spec.otherChannels ?? [])];
  };

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-e2e-chupdate-'));
    net = path.join(tmp, 'net');
    const base = await findFreePorts(7);
    json(await runCli(['network', 'init', net, '--base-port', String(base), '--batch-timeout', '250ms', '--capabilities', 'channel=V2_0,application=V2_0', '--json']));
    expect((await runCli(['network', 'up', net])).code).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await runCli(['network', 'down', net, '--grace', '5']);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('runs the channel at the capabilities network init was given: the config and network.yaml say so', async () => {
    const info = json(await runCli(['channel', 'info', net, '--json'])) as InfoCapabilities;
    expect(info.config.capabilities).toEqual({ channel: ['V2_0'], orderer: ['V2_0'], application: ['V2_0'] });
    expect(channels()[0]!.capabilities).toEqual({ channel: 'V2_0', application: 'V2_0' });
  });

  it("changes the default channel's batch settings as the orderer org's Admin; the config and network.yaml say so", async () => {
    const result = json(await runCli(['channel', 'update', net, '--batch-timeout', '500ms', '--max-message-count', '50', '--json']));
    expect(result).toMatchObject({
      channel: 'mychannel',
      submitted: true,
      configBlock: 1,
      signedBy: ['OrdererMSP'],
      policies: [{ policy: '/Channel/Orderer/Admins', needs: 1, signed: ['OrdererMSP'] }],
      networkFileUpdated: true,
    });
    const info = json(await runCli(['channel', 'info', net, '--json'])) as { configBlock: number; config: { batchTimeout: string; batchSize: { maxMessageCount: number } } };
    expect(info.configBlock).toBe(1);
    expect(info.config.batchTimeout).toBe('500ms');
    expect(info.config.batchSize.maxMessageCount).toBe(50);
    expect(channels()[0]).toMatchObject({ name: 'mychannel', batchTimeout: '500ms', maxMessageCount: 50 });

    // The same change again is no change: refused before anything is sent, as configtxlator refuses it.
    expect(errorOf(await runCli(['channel', 'update', net, '--batch-timeout', '500ms', '--json']))).toMatchObject({
      code: 'CONFIG_UPDATE_EMPTY',
      message: expect.stringContaining('no differences detected'),
    });

    // A byte limit network.yaml records only while it differs from Fabric's default.
    json(await runCli(['channel', 'update', net, '--preferred-max-bytes', String(1024 * 1024), '--json']));
    expect(channels()[0]).toMatchObject({ preferredMaxBytes: 1024 * 1024 });
    expect(channels()[0]!.absoluteMaxBytes).toBeUndefined();
  });

  it("with Org2's peer stopped: the new config is read from the orderer, network.yaml records it, only the running peer is waited for, and the stopped one takes the block when started", async () => {
    const ORG2_PEER = 'peer0.org2.example.com';
    expect((await runCli(['network', 'down', net, '--node', ORG2_PEER])).code).toBe(0);
    let run: Awaited<ReturnType<typeof runCli>>;
    try {
      run = await runCli(['channel', 'update', net, '--batch-timeout', '400ms', '--json']);
    } finally {
      expect((await runCli(['network', 'up', net, '--node', ORG2_PEER])).code).toBe(0);
    }
    expect(json(run)).toMatchObject({ submitted: true, networkFileUpdated: true, notWaitedFor: [ORG2_PEER] });
    expect(run.message).toContain(`channel mychannel: not waiting for ${ORG2_PEER}, which does not run here`);
    expect(channels()[0]).toMatchObject({ name: 'mychannel', batchTimeout: '400ms' });
    const configBlock = (json(run) as { configBlock: number }).configBlock;
    for (let tries = 0; ; tries++) {
      const info = json(await runCli(['channel', 'info', net, '--peer', ORG2_PEER, '--json'])) as { configBlock: number };
      if (info.configBlock === configBlock) break;
      if (tries === 20) throw new Error(`${ORG2_PEER} did not take config block ${configBlock}: it has ${info.configBlock}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }, 120_000);

  it('refuses bad requests with a typed error and leaves network.yaml as it was', async () => {
    const before = networkFile();
    expect(errorOf(await runCli(['channel', 'update', net, '--add-org', 'Org2', '--json']))).toMatchObject({
      code: 'CHANNEL_MEMBERSHIP_FIXED',
      message: expect.stringContaining("mychannel is this network's default channel"),
    });
    expect(errorOf(await runCli(['channel', 'update', net, '--json']))).toMatchObject({ code: 'NOTHING_TO_UPDATE' });
    expect(errorOf(await runCli(['channel', 'update', net, '--batch-timeout', 'soon', '--json']))).toMatchObject({ code: 'BAD_BATCH_TIMEOUT' });
    expect(errorOf(await runCli(['channel', 'update', net, '--preferred-max-bytes', String(64 * 1024 * 1024), '--json']))).toMatchObject({
      code: 'BAD_BATCH_SIZE',
      message: expect.stringContaining('PreferredMaxBytes'),
    });
    expect(errorOf(await runCli(['channel', 'update', net, '--channel', 'nope', '--batch-timeout', '1s', '--json']))).toMatchObject({ code: 'UNKNOWN_CHANNEL' });
    expect(networkFile()).toBe(before);
  });

  it("adds Org2 to a channel made for Org1: Org2's peer joins, and a majority-endorsed chaincode runs on both orgs", async () => {
    json(await runCli(['channel', 'create', net, 'duo', '--orgs', 'Org1', '--absolute-max-bytes', String(5 * 1024 * 1024), '--json']));
    const created = json(await runCli(['channel', 'info', net, '--channel', 'duo', '--json'])) as InfoCapabilities & { config: { batchSize: { absoluteMaxBytes: number } } };
    expect(created.config.batchSize.absoluteMaxBytes).toBe(5 * 1024 * 1024);
    // A new channel takes the default channel's capabilities: the nodes that run one can join the other.
    expect(created.config.capabilities).toEqual({ channel: ['V2_0'], orderer: ['V2_0'], application: ['V2_0'] });
    expect(channels().find((c) => c.name === 'duo')!.capabilities).toEqual({ channel: 'V2_0', application: 'V2_0' });
    const before = networkFile();
    expect(errorOf(await runCli(['channel', 'update', net, '--channel', 'duo', '--add-org', 'Org9', '--json']))).toMatchObject({ code: 'UNKNOWN_ORG' });
    expect(errorOf(await runCli(['channel', 'update', net, '--channel', 'duo', '--add-org', 'Org1MSP', '--json']))).toMatchObject({ code: 'ORG_ALREADY_MEMBER' });
    expect(errorOf(await runCli(['channel', 'update', net, '--channel', 'duo', '--remove-org', 'Org1', '--json']))).toMatchObject({ code: 'CHANNEL_LAST_ORG' });
    expect(networkFile()).toBe(before);

    const added = json(await runCli(['channel', 'update', net, '--channel', 'duo', '--add-org', 'Org2', '--json']));
    expect(added).toMatchObject({
      channel: 'duo',
      submitted: true,
      signedBy: ['Org1MSP'],
      policies: [{ policy: '/Channel/Application/Admins', needs: 1, orgs: ['Org1MSP'] }],
      addedOrgs: ['Org2MSP'],
      joined: ['peer0.org2.example.com'],
      waitingFor: [],
    });
    expect(channels().find((c) => c.name === 'duo')).toMatchObject({ orgs: ['Org1', 'Org2'], absoluteMaxBytes: 5 * 1024 * 1024 });

    // The channel's default endorsement policy is now a MAJORITY of two orgs: both must approve and endorse.
    const project = path.join(REPO, 'chaincode-examples', 'asset-transfer');
    const deployed = json(await runCli(['chaincode', 'deploy', net, project, '--name', 'basic', '--channel', 'duo', '--json'], { timeoutMs: 180_000 }));
    expect(deployed).toMatchObject({ approvedBy: ['Org1MSP', 'Org2MSP'], committed: true });
    expect(json(await runCli(['chaincode', 'invoke', net, '--name', 'basic', '--channel', 'duo', 'CreateAsset', 'a1', 'red', '5', 'Tom', '100', '--json']))).toMatchObject({ valid: true });
    const read = json(await runCli(['chaincode', 'query', net, '--name', 'basic', '--channel', 'duo', '--org', 'Org2', 'ReadAsset', 'a1', '--json']));
    expect(read.json).toMatchObject({ ID: 'a1', Owner: 'Tom' });
  }, 240_000);

  it("removes an org whose Admin signs in its own directory: --output, sign-update, --from-file; a stale update is refused by the orderer", async () => {
    const org1 = path.join(tmp, 'org1');
    const org2 = path.join(tmp, 'org2');
    json(await runCli(['network', 'export', net, org1, '--org', 'Org1', '--org', 'OrdererMSP', '--json']));
    json(await runCli(['network', 'export', net, org2, '--org', 'Org2', '--json']));
    const file = path.join(tmp, 'duo-remove-org2.pb');

    // A majority of two is both: Org1's directory alone cannot remove Org2, and says who must sign.
    const before = networkFile(org1);
    const unsigned = errorOf(await runCli(['channel', 'update', org1, '--channel', 'duo', '--remove-org', 'Org2', '--json']));
    expect(unsigned).toMatchObject({ code: 'CONFIG_UPDATE_UNSIGNED', message: expect.stringMatching(/\/Channel\/Application\/Admins: MAJORITY \(2 of Org1MSP, Org2MSP.*not signed: Org2MSP/) });
    expect(networkFile(org1)).toBe(before);

    expect(json(await runCli(['channel', 'update', org1, '--channel', 'duo', '--remove-org', 'Org2', '--output', file, '--json']))).toMatchObject({ submitted: false, signedBy: ['Org1MSP'] });
    expect(errorOf(await runCli(['channel', 'sign-update', org2, file, '--org', 'Org1', '--json']))).toMatchObject({ code: 'KEY_NOT_HERE' });
    expect(json(await runCli(['channel', 'sign-update', org2, file, '--org', 'Org2', '--json']))).toMatchObject({ added: true, signedBy: ['Org1MSP', 'Org2MSP'] });

    const removed = json(await runCli(['channel', 'update', org1, '--channel', 'duo', '--from-file', file, '--json']));
    expect(removed).toMatchObject({ submitted: true, removedOrgs: ['Org2MSP'], signedBy: ['Org1MSP', 'Org2MSP'], networkFileUpdated: true });
    expect(channels(org1).find((c) => c.name === 'duo')!.orgs).toEqual(['Org1']);
    const info = json(await runCli(['channel', 'info', org1, '--channel', 'duo', '--json'])) as { config: { applicationOrgs: { mspId: string }[] } };
    expect(info.config.applicationOrgs.map((o) => o.mspId)).toEqual(['Org1MSP']);

    // Submitted again, its read set is stale: the orderer's refusal reaches the user with its status.
    expect(errorOf(await runCli(['channel', 'update', org1, '--channel', 'duo', '--from-file', file, '--json']))).toMatchObject({
      code: 'CONFIG_UPDATE_REFUSED',
      message: expect.stringMatching(/BAD_REQUEST \(400\).*read set.*\/Channel\/Application/),
    });
  }, 120_000);
  it("typed edits of the default channel: --dry-run changes nothing; an Endorsement policy, an ACL and anchor peers take effect", async () => {
    const configBlock = async (): Promise<number> => ((json(await runCli(['channel', 'info', net, '--json'])) as { configBlock: number }).configBlock);
    const height = await configBlock();
    const dry = json(await runCli(['channel', 'update', net, '--policy', 'Application/Endorsement=ANY Endorsement', '--dry-run', '--json']));
    expect(dry).toMatchObject({
      dryRun: true,
      submitted: false,
      signedBy: [],
      changes: [{ path: '/Channel/Application/Endorsement', before: 'MAJORITY Endorsement', after: 'ANY Endorsement', modPolicy: '/Channel/Application/Admins' }],
      policies: [{ policy: '/Channel/Application/Admins', needs: 2, orgs: ['Org1MSP', 'Org2MSP'], canSignHere: ['Org1MSP', 'Org2MSP'] }],
    });
    expect(await configBlock()).toBe(height);
    expect(errorOf(await runCli(['channel', 'update', net, '--policy', "Application/Endorsement=OR('Org9MSP.peer')", '--json']))).toMatchObject({ code: 'UNKNOWN_POLICY_MSP' });
    expect(errorOf(await runCli(['channel', 'update', net, '--acl', 'qscc/GetEverything=/Channel/Application/Readers', '--json']))).toMatchObject({ code: 'UNKNOWN_ACL_RESOURCE' });
    expect(await configBlock()).toBe(height);

    // The chaincode's endorsement policy is the channel's /Channel/Application/Endorsement (MAJORITY): one org's endorsement fails it.
    const project = path.join(REPO, 'chaincode-examples', 'asset-transfer');
    json(await runCli(['chaincode', 'deploy', net, project, '--name', 'votes', '--json'], { timeoutMs: 180_000 }));
    const oneOrg = (id: string) => ['chaincode', 'invoke', net, '--name', 'votes', '--endorsing-orgs', 'Org1MSP', 'CreateAsset', id, 'red', '5', 'Tom', '100', '--json'];
    expect(errorOf(await runCli(oneOrg('v1')))).toMatchObject({ code: 'TX_INVALID', details: { validationCode: 'ENDORSEMENT_POLICY_FAILURE' } });
    const changed = json(await runCli(['channel', 'update', net, '--policy', 'Application/Endorsement=ANY Endorsement', '--json']));
    expect(changed).toMatchObject({ submitted: true, signedBy: ['Org1MSP', 'Org2MSP'], changes: [{ path: '/Channel/Application/Endorsement', after: 'ANY Endorsement' }] });
    expect(json(await runCli(oneOrg('v2')))).toMatchObject({ valid: true });

    // qscc/GetTransactionByID bound to Org1's Admins: Org1's client user is refused, its Admin is not.
    const txId = (json(await runCli(oneOrg('v3'))) as { transactionId: string }).transactionId;
    const byId = (user: string) => runCli(['chaincode', 'query', net, '--name', 'qscc', '--org', 'Org1', '--user', user, 'GetTransactionByID', 'mychannel', txId, '--json']);
    expect((await byId('User1')).code).toBe(0);
    json(await runCli(['channel', 'update', net, '--acl', 'qscc/GetTransactionByID=/Channel/Application/Org1MSP/Admins', '--json']));
    const refused = await byId('User1');
    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toMatch(/access denied|GetTransactionByID|Org1MSP\/Admins/i);
    expect((await byId('Admin')).code).toBe(0);
    json(await runCli(['channel', 'update', net, '--acl', 'qscc/GetTransactionByID=', '--json']));
    expect((await byId('User1')).code).toBe(0);

    // Anchor peers cleared and set again, read back from the config.
    const anchors = async () => (json(await runCli(['channel', 'info', net, '--json'])) as { config: { applicationOrgs: { mspId: string; anchorPeers: string[] }[] } }).config.applicationOrgs.find((o) => o.mspId === 'Org2MSP')!.anchorPeers;
    const original = await anchors();
    json(await runCli(['channel', 'update', net, '--anchor-peer', 'Org2=', '--json']));
    expect(await anchors()).toEqual([]);
    const restored = json(await runCli(['channel', 'update', net, ...original.flatMap((a) => ['--anchor-peer', `Org2=${a}`]), '--json']));
    expect(restored).toMatchObject({ signedBy: ['Org2MSP'], policies: [{ policy: '/Channel/Application/Org2MSP/Admins' }] });
    expect(await anchors()).toEqual(original);
  }, 300_000);

  it('a /Channel-level change lists the nested /Channel/Admins need; an ACL that locks the CLI out of qscc is named, and undone', async () => {
    const dry = json(await runCli(['channel', 'update', net, '--policy', '/Channel/Readers=MAJORITY Readers', '--dry-run', '--json']));
    expect(dry).toMatchObject({
      dryRun: true,
      policies: [
        {
          policy: '/Channel/Admins',
          needs: 2,
          orgs: ['Org1MSP', 'Org2MSP', 'OrdererMSP'],
          canSignHere: ['Org1MSP', 'Org2MSP', 'OrdererMSP'],
          of: [
            { policy: '/Channel/Application/Admins', needs: 2, orgs: ['Org1MSP', 'Org2MSP'] },
            { policy: '/Channel/Orderer/Admins', needs: 1, orgs: ['OrdererMSP'] },
          ],
        },
      ],
    });

    // A MAJORITY of the orgs' Admins: no one-signer proposal meets it, the CLI's reads through qscc included.
    const locked = json(await runCli(['channel', 'update', net, '--acl', 'qscc/GetChainInfo=/Channel/Application/Admins', '--json']));
    expect(locked).toMatchObject({ submitted: true, signedBy: ['Org1MSP', 'Org2MSP'] });
    // The peer refuses the CLI's qscc reads: channel info and block show answer from an orderer's Deliver, and say so.
    const refusedBy = expect.stringMatching(/refuses qscc\/GetChainInfo on channel mychannel .*\/Channel\/Application\/Admins/);
    const info = json(await runCli(['channel', 'info', net, '--json'])) as { height: number; currentBlockHash: string; configBlock: number; source: string };
    expect(info).toMatchObject({ source: 'orderer', orderer: expect.any(String), refused: refusedBy, configBlock: info.height - 1 });
    const newest = json(await runCli(['block', 'show', net, 'newest', '--json'])) as { number: number; transactions: { validationCode: string; type: string }[] };
    expect(newest).toMatchObject({ source: 'orderer', number: info.height - 1, validation: "unknown (orderer's copy: the peer's ACL refused qscc)", transactions: [{ type: 'CONFIG', validationCode: 'UNKNOWN' }] });
    expect(newest.transactions[0]).not.toHaveProperty('explanation');
    // As Fabric's peer channel fetch, which reads the orderer's copy anyway.
    const fetched = json(await runCli(['channel', 'fetch', net, 'newest', '-o', path.join(tmp, 'locked.block'), '--json']));
    expect(fetched).toMatchObject({ source: 'orderer', number: info.height - 1 });

    // Undone by the command the error suggests: it reads the config from the orderer while the peer refuses.
    expect(json(await runCli(['channel', 'update', net, '--acl', 'qscc/GetChainInfo=', '--json']))).toMatchObject({ submitted: true });
    const chainInfo = async () => (await runCli(['chaincode', 'query', net, '--name', 'qscc', '--org', 'Org1', '--user', 'User1', 'GetChainInfo', 'mychannel', '--json'])).code;
    // The orderer's config block, not the peer's commit, ended the wait: give the peer a moment to commit it.
    for (let i = 0; i < 20 && (await chainInfo()) !== 0; i++) await new Promise((r) => setTimeout(r, 250));
    expect(await chainInfo()).toBe(0);
    expect(json(await runCli(['channel', 'info', net, '--json']))).not.toHaveProperty('source');
    // The orderer's current block hash was that of the block the next one chains to, as the peer now shows it.
    const next = json(await runCli(['block', 'show', net, String(info.height), '--json']));
    expect(next).toMatchObject({ previousHash: info.currentBlockHash, transactions: [{ validationCode: 'VALID' }] });
    expect(next).not.toHaveProperty('validation');
  }, 120_000);

  it('adds a channel policy that an ACL then uses; removing it is refused while the ACL names it, and allowed once it does not', async () => {
    const rule = "/Channel/Application/Org1Only=OR('Org1MSP.member')";
    expect(errorOf(await runCli(['channel', 'update', net, '--policy', rule, '--json']))).toMatchObject({
      code: 'UNKNOWN_POLICY_PATH',
      details: { suggestions: expect.arrayContaining(['to add a new policy to /Channel/Application: --add-policy /Channel/Application/Org1Only=<rule>']) },
    });
    expect(errorOf(await runCli(['channel', 'update', net, '--add-policy', "Application/org1msp=OR('Org1MSP.member')", '--json']))).toMatchObject({ code: 'POLICY_NAME_NEAR_MISS' });
    const dry = json(await runCli(['channel', 'update', net, '--add-policy', rule, '--dry-run', '--json']));
    expect(dry).toMatchObject({
      changes: [{ path: '/Channel/Application/Org1Only', before: '(none)', after: "OR('Org1MSP.member')", modPolicy: '/Channel/Application/Admins' }],
      policies: [{ policy: '/Channel/Application/Admins', needs: 2, orgs: ['Org1MSP', 'Org2MSP'] }],
    });
    expect(json(await runCli(['channel', 'update', net, '--add-policy', rule, '--json']))).toMatchObject({ submitted: true, signedBy: ['Org1MSP', 'Org2MSP'] });

    // Bound to qscc/GetChainInfo, it takes effect: Org1's client user passes, Org2's Admin does not.
    json(await runCli(['channel', 'update', net, '--acl', 'qscc/GetChainInfo=/Channel/Application/Org1Only', '--json']));
    const chainInfo = (org: string, user: string) => runCli(['chaincode', 'query', net, '--name', 'qscc', '--org', org, '--user', user, 'GetChainInfo', 'mychannel', '--json']);
    for (let i = 0; i < 20 && (await chainInfo('Org2', 'Admin')).code === 0; i++) await new Promise((r) => setTimeout(r, 250));
    const refused = await chainInfo('Org2', 'Admin');
    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toMatch(/access denied/i);
    expect((await chainInfo('Org1', 'User1')).code).toBe(0);

    // The peer's committed chaincode definitions are read too (votes, basic use /Channel/Application/Endorsement): only the ACL holds it.
    expect(errorOf(await runCli(['channel', 'update', net, '--remove-policy', 'Application/Org1Only', '--json']))).toMatchObject({
      code: 'POLICY_IN_USE',
      details: { referrers: [{ kind: 'acl', by: 'qscc/GetChainInfo' }] },
    });
    expect(errorOf(await runCli(['channel', 'update', net, '--remove-policy', 'Application/Writers', '--json']))).toMatchObject({ code: 'POLICY_STANDARD' });
    json(await runCli(['channel', 'update', net, '--acl', 'qscc/GetChainInfo=', '--json']));
    const removed = json(await runCli(['channel', 'update', net, '--remove-policy', 'Application/Org1Only', '--json']));
    expect(removed).toMatchObject({ submitted: true, changes: [{ path: '/Channel/Application/Org1Only', after: '(none)', modPolicy: '/Channel/Application/Admins' }] });
    expect(errorOf(await runCli(['channel', 'update', net, '--remove-policy', 'Application/Org1Only', '--dry-run', '--json']))).toMatchObject({ code: 'UNKNOWN_POLICY_PATH' });
  }, 180_000);

  it('raises a capability once every node runs it: the channel runs at it, and network.yaml records it', async () => {
    const raised = json(await runCli(['channel', 'update', net, '--capability', 'application=V2_5', '--json']));
    expect(raised).toMatchObject({ submitted: true, networkFileUpdated: true, warnings: [expect.stringContaining('application capability V2_5')] });
    const info = json(await runCli(['channel', 'info', net, '--json'])) as InfoCapabilities;
    expect(info.config.capabilities).toEqual({ channel: ['V2_0'], orderer: ['V2_0'], application: ['V2_5'] });
    expect(channels()[0]!.capabilities).toEqual({ channel: 'V2_0', application: 'V2_5' });
    // status reads each channel's from a running peer's latest config block, as channel info does.
    expect((json(await runCli(['network', 'status', net, '--json'])) as { capabilities: unknown }).capabilities).toEqual([
      { channel: 'mychannel', capabilities: { channel: ['V2_0'], orderer: ['V2_0'], application: ['V2_5'] }, source: 'peer', node: 'peer0.org1.example.com' },
      { channel: 'duo', capabilities: { channel: ['V2_0'], orderer: ['V2_0'], application: ['V2_0'] }, source: 'peer', node: 'peer0.org1.example.com' },
    ]);
  }, 60_000);
});
