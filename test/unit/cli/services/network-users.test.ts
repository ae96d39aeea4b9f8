import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { findFreePorts } from '../../../../cli/services/free-ports';
import { recordOrg } from '../../../../cli/services/network/add-org-across';
import { openNetwork } from '../../../../cli/services/network/network-access';
import { DEFAULT_INIT_OPTIONS, initNetwork } from '../../../../cli/services/network/network-init';
import { NetworkLayout } from '../../../../cli/services/network/network-layout';
import { createOwnOrg } from '../../../../cli/services/network/network-new-org';
import { renewMember } from '../../../../cli/services/network/network-renew';
import { NetworkSpec, UserName } from '../../../../cli/services/network/network-spec';
import { addUsers } from '../../../../cli/services/network/network-users';
import { layOutOrgDefinition, readOrgDefinition, type OrgDefinition } from '../../../../cli/services/network/org-definition';
import { definitionFromPrintOrg } from '../../../../cli/services/network/printorg-definition';
import { revokeUser } from '../../../../cli/services/network/org-revocation';

const quiet = (): void => {};

/** Every check of add-user and revoke that comes before the CA or the network is asked anything. */
describe('network add-user / revoke: refusals before anything is written', () => {
  let tmp: string;
  let net: string;
  const networkFile = (): string => fs.readFileSync(path.join(net, 'network.yaml'), 'utf8');
  const org1 = (): string => path.join(net, 'organizations', 'peerOrganizations', 'org1.example.com');

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-users-'));
    net = path.join(tmp, 'net');
    await initNetwork(net, { ...DEFAULT_INIT_OPTIONS, basePort: 23000 });
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it.each([
    [['user-2'], 'BAD_USER_NAME', 'a letter, then letters and digits'],
    [['2fast'], 'BAD_USER_NAME', 'a user name such as User1'],
    [['User1'], 'USER_EXISTS', 'already has a user User1'],
    [['admin'], 'USER_EXISTS', 'already has a user Admin'],
    [['Bob', 'bob'], 'USER_EXISTS', 'named twice'],
    [[], 'NO_USER_GIVEN', '--name'],
  ])('add-user --name %j: %s, naming the field, nothing written', async (names, code, text) => {
    const before = networkFile();
    await expect(addUsers(net, { org: 'Org1', names }, quiet)).rejects.toMatchObject({ code, message: expect.stringContaining(text), details: { field: '--name' } });
    expect(networkFile()).toBe(before);
    expect(fs.readdirSync(path.join(org1(), 'users')).sort()).toEqual(['Admin@org1.example.com', 'User1@org1.example.com']);
  });

  it("refuses a name whose folder is on disk though network.yaml lists it no more (a revoked user's)", async () => {
    fs.cpSync(path.join(org1(), 'users', 'User1@org1.example.com'), path.join(org1(), 'users', 'Gone@org1.example.com'), { recursive: true });
    try {
      await expect(addUsers(net, { org: 'Org1', names: ['gone'] }, quiet)).rejects.toMatchObject({ code: 'USER_EXISTS', message: expect.stringContaining('a name is not reused') });
    } finally {
      fs.rmSync(path.join(org1(), 'users', 'Gone@org1.example.com'), { recursive: true });
    }
  });

  it('names --org when the org is unknown, for both commands', async () => {
    await expect(addUsers(net, { org: 'Org9', names: ['User2'] }, quiet)).rejects.toMatchObject({ code: 'UNKNOWN_ORG', message: expect.stringContaining('Org1 (Org1MSP), Org2 (Org2MSP)'), details: { field: '--org' } });
    await expect(revokeUser(net, { org: 'Org9', user: 'User1' }, quiet)).rejects.toMatchObject({ code: 'UNKNOWN_ORG', details: { field: '--org' } });
  });

  it('revoke refuses the Admin and a user with no certificate, naming --user', async () => {
    await expect(revokeUser(net, { org: 'Org1', user: 'admin' }, quiet)).rejects.toMatchObject({ code: 'CANNOT_REVOKE_ADMIN', details: { field: '--user' } });
    await expect(revokeUser(net, { org: 'Org2MSP', user: 'User7' }, quiet)).rejects.toMatchObject({ code: 'UNKNOWN_USER', message: expect.stringContaining('users: Admin, User1'), details: { field: '--user' } });
  });

  it("says which CA key is missing, and where to run instead, when the org's CA keys are not here", async () => {
    const before = networkFile();
    const key = path.join(org1(), 'tlsca', 'priv_sk');
    fs.renameSync(key, `${key}.away`);
    try {
      const err = await addUsers(net, { org: 'Org1', names: ['User2'] }, quiet).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'CA_KEY_NOT_HERE', message: expect.stringContaining(key) });
      expect((err as { details: { suggestions: string[] } }).details.suggestions[0]).toContain('the directory weft network init made');
    } finally {
      fs.renameSync(`${key}.away`, key);
    }
    expect(networkFile()).toBe(before);
    expect(fs.readdirSync(net).filter((f) => f.includes('weft-init'))).toEqual([]);
  });

  it("the schema's user-name rule is the one add-user applies", () => {
    expect(UserName.safeParse('User2').success).toBe(true);
    expect(UserName.safeParse('User_2').success).toBe(false);
    const spec = NetworkSpec.safeParse({ version: 1, channel: { name: 'c', batchTimeout: '1s', maxMessageCount: 1 }, ordererOrg: { mspId: 'O', domain: 'example.com', orderers: [{ name: 'orderer', port: 1, adminPort: 2 }] }, orgs: [{ name: 'Org1', mspId: 'Org1MSP', domain: 'org1.example.com', peers: [{ name: 'peer0', port: 3, operationsPort: 4 }], users: ['Admin', 'User-2'] }] });
    expect(spec.success).toBe(false);
  });
});

/**
 * CA_KEY_NOT_HERE for an org whose CA was never in the directory: recorded as `weft network add-org
 * --definition` records it once the channel has it (recordOrg, certificates only), from a Fabric
 * org's `configtxgen -printOrg` group and from Weft's own org definition (`weft network new-org`).
 * Running in the directory init made, the advice to go there is no use: each gets its own.
 */
describe('CA_KEY_NOT_HERE for an org added from its definition', () => {
  let tmp: string;
  let net: string;

  /** Org `name` made on its own (new-org), recorded here from its definition: the printOrg group alone (`printed`) or Weft's file. */
  const recordFromDefinition = async (name: string, printed: boolean): Promise<void> => {
    const own = path.join(tmp, name);
    await createOwnOrg(own, { name, basePort: await findFreePorts(2) }, quiet);
    const network = openNetwork(net);
    let file = path.join(own, 'org-definition.json');
    let definition: OrgDefinition;
    if (printed) {
      // What configtxgen -printOrg prints for the org: its group, no anchor peers, no user.
      const group = (JSON.parse(fs.readFileSync(file, 'utf8')) as OrgDefinition).group as { values: Record<string, unknown> };
      delete group.values.AnchorPeers;
      file = path.join(tmp, `${name}-printorg.json`);
      fs.writeFileSync(file, JSON.stringify(group));
      const peer = `peer0.${name.toLowerCase()}.example.com:${await findFreePorts(1)}`;
      definition = readOrgDefinition(file, '--definition', (g, f) => definitionFromPrintOrg(g, f, network.spec, { peers: [peer] }));
    } else {
      definition = readOrgDefinition(file);
    }
    const laidOut = fs.mkdtempSync(path.join(tmp, 'laid-'));
    layOutOrgDefinition(definition, laidOut, file, printed);
    recordOrg(network, new NetworkLayout(laidOut, network.spec), definition.org);
  };
  const refusal = async (attempt: Promise<unknown>): Promise<{ code: string; message: string; details: { suggestions: string[] } }> => {
    const before = fs.readFileSync(path.join(net, 'network.yaml'), 'utf8');
    const err = (await attempt.catch((e: unknown) => e)) as { code: string; message: string; details: { suggestions: string[] } };
    expect(fs.readFileSync(path.join(net, 'network.yaml'), 'utf8')).toBe(before);
    return err;
  };

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-users-elsewhere-'));
    net = path.join(tmp, 'net');
    await initNetwork(net, { ...DEFAULT_INIT_OPTIONS, basePort: 23100 });
    await recordFromDefinition('Org3', true);
    await recordFromDefinition('Org4', false);
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("a Fabric org (printOrg group): enroll and reenroll with the org's own CA, not the directory init made", async () => {
    const err = await refusal(addUsers(net, { org: 'Org3', names: ['User2'] }, quiet));
    expect(err).toMatchObject({ code: 'CA_KEY_NOT_HERE', message: expect.stringContaining('configtxgen -printOrg definition (weft network add-org --definition)') });
    expect(err.details.suggestions[0]).toContain('fabric-ca-client reenroll');
    expect(err.details.suggestions.join(' ')).not.toContain('weft network init made');
    const renewing = await refusal(renewMember(net, { org: 'Org3', user: 'Admin' }, quiet));
    expect(renewing).toMatchObject({ code: 'CA_KEY_NOT_HERE', details: { suggestions: expect.arrayContaining([expect.stringContaining("Org3's own CA")]) } });
  });

  it("an org Weft made elsewhere (new-org's definition): run it in that org's own directory", async () => {
    const err = await refusal(addUsers(net, { org: 'Org4', names: ['User2'] }, quiet));
    expect(err).toMatchObject({ code: 'CA_KEY_NOT_HERE', message: expect.stringContaining('added from a directory of its own') });
    expect(err.details.suggestions).toEqual([expect.stringContaining("run this in Org4's own directory")]);
  });
});
