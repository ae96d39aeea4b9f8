import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { editChannelConfig } from '../../../../cli/services/network/channel-config-edit';
import { policyNeeds } from '../../../../cli/services/network/config-update-signatures';
import { withOrg } from '../../../../cli/services/network/add-org-across';
import { DEFAULT_INIT_OPTIONS, specFromOptions } from '../../../../cli/services/network/network-init';
import { NetworkLayout } from '../../../../cli/services/network/network-layout';
import { parseNetworkSpec, type NetworkSpec } from '../../../../cli/services/network/network-spec';
import { newOrgSpec, type PortCheck } from '../../../../cli/services/network/new-org-spec';
import { StagingDir } from '../../../../cli/services/network/staging-dir';
import { buildConfigBlock } from '../../../../core/protocol/config-block';
import { parseConfigBlock } from '../../../../core/protocol/config-parse';
import { unsignedConfigUpdate } from '../../../../core/protocol/config-update-compute';
import { mspConfig } from '../../core/protocol/msp-config-fixture';

/** A 2-org network as `weft network init --base-port 7050` makes it: ports 7050–7056. */
const twoOrgs: NetworkSpec = specFromOptions({ ...DEFAULT_INIT_OPTIONS });
const everyPortFree: PortCheck = async () => true;

describe('newOrgSpec: the new org as weft network init would have named it', () => {
  it('is the next OrgN, with OrgNMSP, orgN.<orderer domain>, Admin and User1, and ports above the network', async () => {
    const org = await newOrgSpec(twoOrgs, {}, everyPortFree);
    expect(org).toEqual({
      name: 'Org3',
      mspId: 'Org3MSP',
      domain: 'org3.example.com',
      peers: [{ name: 'peer0', host: '127.0.0.1', port: 7057, operationsPort: 7058 }],
      users: ['Admin', 'User1'],
    });
  });

  it('skips an OrgN whose name, MSP ID or domain is taken, and takes --name as given', async () => {
    const renamed = parseNetworkSpec({ ...twoOrgs, orgs: [twoOrgs.orgs[0], { ...twoOrgs.orgs[1]!, name: 'Org3', mspId: 'Org3MSP', domain: 'org3.example.com' }] }, 'test');
    expect((await newOrgSpec(renamed, {}, everyPortFree)).name).toBe('Org4');
    expect(await newOrgSpec(twoOrgs, { name: 'Bank' }, everyPortFree)).toMatchObject({ name: 'Bank', mspId: 'BankMSP', domain: 'bank.example.com' });
  });

  it.each([
    ['Org2', 'org name Org2'],
    ['org1', 'org name Org1'],
    ['Orderer', "the orderer org's name or MSP ID"],
  ])('refuses --name %s: ORG_EXISTS naming what is taken', async (name, taken) => {
    await expect(newOrgSpec(twoOrgs, { name }, everyPortFree)).rejects.toMatchObject({ code: 'ORG_EXISTS', message: expect.stringContaining(taken) });
  });

  it("never hands out a port the network uses or one something listens on; users always include Admin; hosts as init's --host", async () => {
    const busy = new Set([7060, 7061]);
    const org = await newOrgSpec(
      twoOrgs,
      { basePort: 7054, peers: 2, users: ['Auditor'], hosts: ['peer1.org3.example.com=10.0.0.13'] },
      async (p) => !busy.has(p),
    );
    // 7054–7056 are the network's; 7060 and 7061 are busy here; peer1 is on another host, where nothing is checked.
    expect(org.peers).toEqual([
      { name: 'peer0', host: '127.0.0.1', port: 7057, operationsPort: 7058 },
      { name: 'peer1', host: '10.0.0.13', port: 7059, operationsPort: 7060 },
    ]);
    expect(org.users).toEqual(['Admin', 'Auditor']);
    await expect(newOrgSpec(twoOrgs, { hosts: ['peer0.org1.example.com=10.0.0.1'] }, everyPortFree)).rejects.toMatchObject({ code: 'INIT_OPTIONS_INVALID' });
    await expect(newOrgSpec(twoOrgs, { peers: 0 }, everyPortFree)).rejects.toMatchObject({ code: 'ADD_ORG_OPTIONS_INVALID' });
  });
});

describe('withOrg', () => {
  it("lists the new org, and gives channels that had every org the list of those they have (their configs lack the new one)", async () => {
    const spec = parseNetworkSpec({ ...twoOrgs, otherChannels: [{ name: 'all', batchTimeout: '2s', maxMessageCount: 10 }, { name: 'solo', batchTimeout: '2s', maxMessageCount: 10, orgs: ['Org2'] }] }, 'test');
    const next = withOrg(spec, await newOrgSpec(spec, {}, everyPortFree));
    expect(next.orgs.map((o) => o.name)).toEqual(['Org1', 'Org2', 'Org3']);
    expect(next.otherChannels.map((c) => c.orgs)).toEqual([['Org1', 'Org2'], ['Org2']]);
    expect(new NetworkLayout('/net', next).forChannel('all').peers().map((p) => p.id)).toEqual(['peer0.org1.example.com', 'peer0.org2.example.com']);
  });
});

describe('editChannelConfig with an org joining the network', () => {
  const current = parseConfigBlock(
    buildConfigBlock({
      channelId: 'mychannel',
      applicationOrgs: ['Org1MSP', 'Org2MSP'].map((mspId) => ({ mspId, mspConfig: mspConfig(mspId), anchorPeers: [{ host: '127.0.0.1', port: 7051 }] })),
      ordererOrgs: [{ mspId: 'OrdererMSP', mspConfig: mspConfig('OrdererMSP'), endpoints: ['127.0.0.1:7050'] }],
    }),
  );
  const layout = new NetworkLayout('/net', twoOrgs);
  const org3 = { mspId: 'Org3MSP', mspConfig: mspConfig('Org3MSP'), anchorPeers: [{ host: '127.0.0.1', port: 7057 }] };

  it("adds it to the default channel, with its anchor peer, under the Application group's MAJORITY of Admins", () => {
    const { next } = editChannelConfig(layout, current, { joiningOrgs: [org3] });
    const { envelope, update } = unsignedConfigUpdate('mychannel', current.config, next);
    expect(policyNeeds(current, update, envelope)).toEqual([
      { policy: '/Channel/Application/Admins', needs: 2, orgs: ['Org1MSP', 'Org2MSP'], signed: [], unsigned: ['Org1MSP', 'Org2MSP'] },
    ]);
    const group = next.getChannelGroup()!.getGroupsMap().get('Application')!.getGroupsMap().get('Org3MSP')!;
    expect([...group.getValuesMap().keys()].sort()).toEqual(['AnchorPeers', 'MSP']);
  });

  it("refuses an org the channel or the network has, and still refuses --add-org on the default channel", () => {
    expect(() => editChannelConfig(layout, current, { joiningOrgs: [{ ...org3, mspId: 'Org2MSP' }] })).toThrow(expect.objectContaining({ code: 'ORG_ALREADY_MEMBER' }));
    expect(() => editChannelConfig(layout, current, { addOrgs: ['Org2'] })).toThrow(expect.objectContaining({ code: 'CHANNEL_MEMBERSHIP_FIXED' }));
  });
});

describe('StagingDir.commitInto', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-staging-into-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const stage = (): StagingDir => {
    const staging = new StagingDir(path.join(tmp, 'org3.example.com'));
    for (const f of ['organizations/peerOrganizations/org3.example.com/ca.pem', 'nodes/peer0.org3.example.com/peer.yaml']) {
      fs.mkdirSync(path.dirname(path.join(staging.dir, f)), { recursive: true });
      fs.writeFileSync(path.join(staging.dir, f), f);
    }
    return staging;
  };
  const entries = ['organizations/peerOrganizations/org3.example.com', 'nodes/peer0.org3.example.com'];

  it('moves each entry under the root and leaves no staging directory', () => {
    const staging = stage();
    staging.commitInto(tmp, entries);
    staging.dispose();
    expect(fs.readFileSync(path.join(tmp, 'nodes/peer0.org3.example.com/peer.yaml'), 'utf8')).toBe('nodes/peer0.org3.example.com/peer.yaml');
    expect(fs.readdirSync(tmp).sort()).toEqual(['nodes', 'organizations']);
  });

  it('moves nothing when a destination exists; a kept staging directory survives dispose', () => {
    fs.mkdirSync(path.join(tmp, 'nodes/peer0.org3.example.com'), { recursive: true });
    const staging = stage();
    expect(() => staging.commitInto(tmp, entries)).toThrow('already exist');
    expect(fs.existsSync(path.join(tmp, 'organizations'))).toBe(false);
    staging.keep();
    staging.dispose();
    expect(fs.existsSync(path.join(staging.dir, entries[0]!, 'ca.pem'))).toBe(true);
  });
});
