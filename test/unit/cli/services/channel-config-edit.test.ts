import { describe, expect, it } from '@jest/globals';
import { Capabilities, OrdererAddresses } from '@hyperledger/fabric-protos/lib/common/configuration_pb';
import type { Config, ConfigGroup } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { ACLs, AnchorPeers } from '@hyperledger/fabric-protos/lib/peer/configuration_pb';
import { changeLine, describeConfigChanges, describePolicy } from '../../../../cli/services/network/channel-config-diff';
import { editChannelConfig, type ChannelChange } from '../../../../cli/services/network/channel-config-edit';
import { parseConfigOpFlags } from '../../../../cli/services/network/channel-config-flags';
import { policyNeeds } from '../../../../cli/services/network/config-update-signatures';
import { DEFAULT_INIT_OPTIONS, specFromOptions } from '../../../../cli/services/network/network-init';
import { NetworkLayout } from '../../../../cli/services/network/network-layout';
import { buildConfigBlock } from '../../../../core/protocol/config-block';
import { parseConfigBlock, readChannelConfig, type ParsedChannelConfig } from '../../../../core/protocol/config-parse';
import { unsignedConfigUpdate } from '../../../../core/protocol/config-update-compute';
import { mspConfig } from '../../core/protocol/msp-config-fixture';

/** The genesis config of `weft network init`'s 2-org network, at the given capabilities. */
function genesis(capabilities?: { channel: string; orderer: string; application: string }): ParsedChannelConfig {
  return parseConfigBlock(
    buildConfigBlock({
      channelId: 'mychannel',
      applicationOrgs: ['Org1MSP', 'Org2MSP'].map((mspId, i) => ({ mspId, mspConfig: mspConfig(mspId), anchorPeers: [{ host: '127.0.0.1', port: 7051 + 2 * i }] })),
      ordererOrgs: [{ mspId: 'OrdererMSP', mspConfig: mspConfig('OrdererMSP'), endpoints: ['127.0.0.1:7050'] }],
      ...(capabilities !== undefined && { capabilities }),
    }),
  );
}

const layout = new NetworkLayout('/net', specFromOptions({ ...DEFAULT_INIT_OPTIONS }));
const current = genesis();
const edit = (change: ChannelChange, from = current): Config => editChannelConfig(layout, from, change).next;
const group = (config: Config, ...names: string[]): ConfigGroup => names.reduce((g, n) => g.getGroupsMap().get(n)!, config.getChannelGroup()!);
const flags = (...argv: [string, string][]): ChannelChange =>
  parseConfigOpFlags({
    policy: argv.filter(([f]) => f === 'policy').map(([, v]) => v),
    addPolicy: argv.filter(([f]) => f === 'add-policy').map(([, v]) => v),
    removePolicy: argv.filter(([f]) => f === 'remove-policy').map(([, v]) => v),
    acl: argv.filter(([f]) => f === 'acl').map(([, v]) => v),
    capability: argv.filter(([f]) => f === 'capability').map(([, v]) => v),
    anchorPeer: argv.filter(([f]) => f === 'anchor-peer').map(([, v]) => v),
    ordererEndpoint: argv.filter(([f]) => f === 'orderer-endpoint').map(([, v]) => v),
  });
const needsOf = (next: Config, from = current) => {
  const { envelope, update } = unsignedConfigUpdate('mychannel', from.config, next);
  return policyNeeds(from, update, envelope).map((n) => n.policy);
};

describe('weft channel update --policy', () => {
  it('sets an ImplicitMeta rule and a signature policy, keeping version and mod_policy; the group Admins sign', () => {
    const next = edit(flags(['policy', 'Application/Endorsement=ANY Endorsement'], ['policy', "/Channel/Application/LifecycleEndorsement=OR('Org1MSP.peer','Org2MSP.peer')"]));
    const application = group(next, 'Application');
    expect(describePolicy(application.getPoliciesMap().get('Endorsement')!.getPolicy())).toBe('ANY Endorsement');
    expect(describePolicy(application.getPoliciesMap().get('LifecycleEndorsement')!.getPolicy())).toBe("OR('Org1MSP.peer', 'Org2MSP.peer')");
    const before = group(current.config, 'Application').getPoliciesMap().get('Endorsement')!;
    expect(application.getPoliciesMap().get('Endorsement')!.getModPolicy()).toBe(before.getModPolicy());
    expect(needsOf(next)).toEqual(['/Channel/Application/Admins']);
  });

  it("sets an org's policy by the org's name; its own Admins sign", () => {
    const next = edit(flags(['policy', "Application/Org1/Writers=OR('Org1MSP.admin')"]));
    expect(describePolicy(group(next, 'Application', 'Org1MSP').getPoliciesMap().get('Writers')!.getPolicy())).toBe("OR('Org1MSP.admin')");
    expect(needsOf(next)).toEqual(['/Channel/Application/Org1MSP/Admins']);
  });

  it.each([
    ['Application/Nope=ANY Endorsement', 'UNKNOWN_POLICY_PATH', /Application\/Nope: the channel's config has no such policy \(policies there: .*\/Channel\/Application\/Endorsement/],
    ["Application/Endorsement=OR('Org1MSP.peer'", 'BAD_POLICY_RULE', /--policy Application\/Endorsement: .*position/],
    ["Application/Endorsement=OR('Org9MSP.peer')", 'UNKNOWN_POLICY_MSP', /Org9MSP, which is no MSP of channel mychannel \(its MSPs: .*Org1MSP/],
    ['Application/Org1MSP/Writers=ANY Writers', 'BAD_POLICY_RULE', /no subgroup .* has a policy Writers/],
    ['Application/Endorsement', 'BAD_FLAG_VALUE', /expected <path>=<rule>/],
  ])('refuses --policy %s: %s, naming the flag', (value, code, message) => {
    expect(() => edit(flags(['policy', value]))).toThrow(expect.objectContaining({ code, message: expect.stringMatching(message), details: expect.objectContaining({ field: '--policy' }) }));
  });

  it('gives the position of a DSL error', () => {
    let details: Record<string, unknown> = {};
    try {
      edit(flags(['policy', "Application/Endorsement=OR('Org1MSP.peer' 'Org2MSP.peer')"]));
    } catch (err) {
      details = (err as { details: Record<string, unknown> }).details;
    }
    expect(details.position).toEqual(expect.any(Number));
  });
});

describe('weft channel update --add-policy', () => {
  it("adds a policy at version 0 with configtxgen's Admins mod_policy; the write set bumps its group, whose Admins sign", () => {
    const next = edit(flags(['add-policy', "Application/Org1Only=OR('Org1MSP.member')"]));
    const added = group(next, 'Application').getPoliciesMap().get('Org1Only')!;
    expect(describePolicy(added.getPolicy())).toBe("OR('Org1MSP.member')");
    expect([added.getVersion(), added.getModPolicy()]).toEqual([0, 'Admins']);
    const { update } = unsignedConfigUpdate('mychannel', current.config, next);
    const [read, write] = [update.getReadSet()!.getGroupsMap().get('Application')!, update.getWriteSet()!.getGroupsMap().get('Application')!];
    expect(write.getVersion()).toBe(group(current.config, 'Application').getVersion() + 1);
    expect(read.getVersion()).toBe(group(current.config, 'Application').getVersion());
    expect(write.getPoliciesMap().get('Org1Only')!.getVersion()).toBe(0);
    expect(needsOf(next)).toEqual(['/Channel/Application/Admins']);
    expect(describeConfigChanges(current.config, next).map(changeLine)).toEqual(["/Channel/Application/Org1Only: (none) → OR('Org1MSP.member')  [needs /Channel/Application/Admins]"]);
  });

  it("adds an org's policy (org by name) that its own Admins sign for, and an ImplicitMeta rule over it", () => {
    const next = edit(flags(['add-policy', "Application/Org1/Auditors=OR('Org1MSP.admin')"]));
    expect(needsOf(next)).toEqual(['/Channel/Application/Org1MSP/Admins']);
    const meta = edit(flags(['add-policy', "Application/Org1/Auditors=OR('Org1MSP.admin')"], ['add-policy', 'Application/Auditors=ANY Auditors']));
    expect(describePolicy(group(meta, 'Application').getPoliciesMap().get('Auditors')!.getPolicy())).toBe('ANY Auditors');
    expect(needsOf(meta)).toEqual(['/Channel/Application/Admins', '/Channel/Application/Org1MSP/Admins']);
  });

  it.each([
    ['Application/Endorsement=ANY Endorsement', 'POLICY_EXISTS', /\/Channel\/Application\/Endorsement exists already/],
    ['Application/endorsement=ANY Endorsement', 'POLICY_NAME_NEAR_MISS', /endorsement is too close to policy \/Channel\/Application\/Endorsement/],
    ["Application/org1msp=OR('Org1MSP.member')", 'POLICY_NAME_NEAR_MISS', /too close to group \/Channel\/Application\/Org1MSP/],
    ["Application/Org1=OR('Org1MSP.member')", 'POLICY_NAME_NEAR_MISS', /too close to member org Org1/],
    ["Application/Org9MSP/Auditors=OR('Org1MSP.member')", 'UNKNOWN_POLICY_PATH', /no such policy/],
    ['Application/Org1Only=ANY Auditors', 'BAD_POLICY_RULE', /no subgroup .* has a policy Auditors/],
  ])('refuses --add-policy %s: %s', (value, code, message) => {
    expect(() => edit(flags(['add-policy', value]))).toThrow(expect.objectContaining({ code, message: expect.stringMatching(message), details: expect.objectContaining({ field: '--add-policy' }) }));
  });

  it('--policy on a policy the group lacks points at --add-policy, and at the spelling the config has', () => {
    const suggestions = (value: string): unknown => {
      try {
        edit(flags(['policy', value]));
      } catch (err) {
        return (err as { details: { suggestions: string[] } }).details.suggestions;
      }
      throw new Error('not refused');
    };
    expect(suggestions("Application/Org1Only=OR('Org1MSP.member')")).toContainEqual("to add a new policy to /Channel/Application: --add-policy /Channel/Application/Org1Only=<rule>");
    expect(suggestions('Application/endorsement=ANY Endorsement')).toContainEqual('did you mean /Channel/Application/Endorsement?');
    expect(suggestions('application/Endorsement=ANY Endorsement')).toContainEqual('did you mean /Channel/Application/Endorsement?');
  });
});

describe('weft channel update --remove-policy', () => {
  const parsed = (config: Config): ParsedChannelConfig => readChannelConfig(config, config.serializeBinary(), 'mychannel');
  const withCustom = parsed(
    edit(flags(['add-policy', "Application/Org1Only=OR('Org1MSP.member')"], ['add-policy', "Application/Org1/Auditors=OR('Org1MSP.admin')"], ['add-policy', 'Application/Auditors=ANY Auditors'], ['acl', 'qscc/GetTransactionByID=/Channel/Application/Org1Only'])),
  );
  const refusal = (change: ChannelChange, from = withCustom): unknown => {
    try {
      editChannelConfig(layout, from, change);
    } catch (err) {
      return err;
    }
    throw new Error('not refused');
  };

  it('removes a policy nothing names; its group Admins sign, and the removal is one line of the dry run', () => {
    const from = parsed(edit(flags(['add-policy', "Application/Org1Only=OR('Org1MSP.member')"])));
    const next = edit(flags(['remove-policy', '/Channel/Application/Org1Only']), from);
    expect(group(next, 'Application').getPoliciesMap().has('Org1Only')).toBe(false);
    expect(needsOf(next, from)).toEqual(['/Channel/Application/Admins']);
    expect(describeConfigChanges(from.config, next).map(changeLine)).toEqual(["/Channel/Application/Org1Only: OR('Org1MSP.member') → (none)  [needs /Channel/Application/Admins]"]);
  });

  it.each(['Application/Readers', 'Application/Writers', 'Application/Admins', 'Application/Endorsement', 'Application/LifecycleEndorsement', 'Orderer/BlockValidation', 'Application/Org1/Admins'])(
    "refuses removing Fabric's standard policy %s",
    (path) => {
      expect(refusal(flags(['remove-policy', path]))).toMatchObject({ code: 'POLICY_STANDARD', details: { field: '--remove-policy' } });
    },
  );

  it('refuses removing a policy an ACL names (a relative reference too), until the same update unbinds the ACL', () => {
    expect(refusal(flags(['remove-policy', 'Application/Org1Only']))).toMatchObject({
      code: 'POLICY_IN_USE',
      message: expect.stringContaining('/Channel/Application/Org1Only is still named by acl qscc/GetTransactionByID'),
      details: { referrers: [{ kind: 'acl', by: 'qscc/GetTransactionByID' }] },
    });
    const next = editChannelConfig(layout, withCustom, flags(['acl', 'qscc/GetTransactionByID='], ['remove-policy', 'Application/Org1Only'])).next;
    expect(group(next, 'Application').getPoliciesMap().has('Org1Only')).toBe(false);
    // Fabric's acls.go reads a reference without a leading '/' as a policy of /Channel/Application.
    const config = withCustom.config.cloneMessage();
    const aclValue = group(config, 'Application').getValuesMap().get('ACLs')!;
    const table = ACLs.deserializeBinary(aclValue.getValue_asU8());
    table.getAclsMap().get('qscc/GetTransactionByID')!.setPolicyRef('/Channel/Application/Readers');
    table.getAclsMap().get('qscc/GetBlockByNumber')!.setPolicyRef('Org1Only');
    aclValue.setValue(table.serializeBinary());
    expect(refusal(flags(['remove-policy', 'Application/Org1Only']), parsed(config))).toMatchObject({ details: { referrers: [{ kind: 'acl', by: 'qscc/GetBlockByNumber' }] } });
  });

  it("refuses removing an org's policy that an ImplicitMeta rule of the parent group counts; removed together, in that order, it goes", () => {
    expect(refusal(flags(['remove-policy', 'Application/Org1MSP/Auditors']))).toMatchObject({ code: 'POLICY_IN_USE', details: { referrers: [{ kind: 'implicit_meta', by: '/Channel/Application/Auditors' }] } });
    const next = edit(flags(['remove-policy', 'Application/Auditors'], ['remove-policy', 'Application/Org1/Auditors']), withCustom);
    expect(group(next, 'Application').getPoliciesMap().has('Auditors')).toBe(false);
    expect(group(next, 'Application', 'Org1MSP').getPoliciesMap().has('Auditors')).toBe(false);
  });

  it('refuses removing a policy that is the mod_policy of a config element', () => {
    const config = withCustom.config.cloneMessage();
    group(config, 'Application').getPoliciesMap().get('Endorsement')!.setModPolicy('/Channel/Application/Org1Only');
    group(config, 'Application', 'Org2MSP').getValuesMap().get('AnchorPeers')!.setModPolicy('/Channel/Application/Org1Only');
    expect(refusal({ ...flags(['remove-policy', 'Application/Org1Only']), acls: [{ resource: 'qscc/GetTransactionByID' }] }, parsed(config))).toMatchObject({
      code: 'POLICY_IN_USE',
      details: {
        referrers: [
          { kind: 'mod_policy', by: 'policy /Channel/Application/Endorsement' },
          { kind: 'mod_policy', by: 'value /Channel/Application/Org2MSP/AnchorPeers' },
        ],
      },
    });
  });

  it("refuses removing a policy a committed chaincode definition's endorsement or a collection's names", () => {
    const uses = [
      { chaincode: 'votes', use: 'endorsement', policy: '/Channel/Application/Org1Only' },
      { chaincode: 'basic', use: 'collection secrets endorsement', policy: 'Application/Org1Only' },
      { chaincode: 'other', use: 'endorsement', policy: '/Channel/Application/Endorsement' },
    ];
    expect(refusal({ ...flags(['acl', 'qscc/GetTransactionByID='], ['remove-policy', 'Application/Org1Only']), chaincodePolicyUses: uses })).toMatchObject({
      code: 'POLICY_IN_USE',
      message: expect.stringContaining('chaincode votes (endorsement), chaincode basic (collection secrets endorsement)'),
      details: { referrers: [{ kind: 'chaincode', by: 'votes (endorsement)' }, { kind: 'chaincode', by: 'basic (collection secrets endorsement)' }] },
    });
  });

  it('refuses a path the config lacks, and a rule given with the path', () => {
    expect(refusal(flags(['remove-policy', 'Application/Nope']))).toMatchObject({ code: 'UNKNOWN_POLICY_PATH', details: { field: '--remove-policy' } });
    expect(() => flags(['remove-policy', 'Application/Org1Only=OR()'])).toThrow(expect.objectContaining({ code: 'BAD_FLAG_VALUE', details: expect.objectContaining({ field: '--remove-policy' }) }));
  });
});

describe('weft channel update --acl', () => {
  const aclsOf = (next: Config) => new Map([...ACLs.deserializeBinary(group(next, 'Application').getValuesMap().get('ACLs')!.getValue_asU8()).getAclsMap().entries()].map(([k, v]) => [k, v.getPolicyRef()]));

  it('binds a resource to another policy and removes an entry; the Application Admins sign', () => {
    const next = edit(flags(['acl', 'qscc/GetChainInfo=/Channel/Application/Admins'], ['acl', 'event/Block=']));
    const acls = aclsOf(next);
    expect(acls.get('qscc/GetChainInfo')).toBe('/Channel/Application/Admins');
    expect(acls.has('event/Block')).toBe(false);
    expect(acls.get('peer/Propose')).toBe('/Channel/Application/Writers');
    expect(readChannelConfig(next, next.serializeBinary()).acls.get('qscc/GetChainInfo')).toBe('/Channel/Application/Admins');
    expect(needsOf(next)).toEqual(['/Channel/Application/Admins']);
  });

  it("warns that an ACL on a MAJORITY of several orgs' Admins refuses every request; an org's own policy passes quietly", () => {
    expect(editChannelConfig(layout, current, flags(['acl', 'qscc/GetChainInfo=/Channel/Application/Admins'])).warnings).toEqual([
      expect.stringContaining('ACL qscc/GetChainInfo: /Channel/Application/Admins needs signatures of several orgs'),
    ]);
    expect(editChannelConfig(layout, current, flags(['acl', 'qscc/GetChainInfo=/Channel/Application/Org1MSP/Admins'])).warnings).toEqual([]);
  });

  it.each([
    ['qscc/GetEverything=/Channel/Application/Readers', 'UNKNOWN_ACL_RESOURCE', /--acl qscc\/GetEverything: no resource of that name/],
    ['qscc/GetChainInfo=/Channel/Application/Auditors', 'UNKNOWN_POLICY_PATH', /no policy \/Channel\/Application\/Auditors/],
    ['qscc/GetChainInfo=Readers', 'UNKNOWN_POLICY_PATH', /an ACL names one by its full path/],
  ])('refuses --acl %s: %s', (value, code, message) => {
    expect(() => edit(flags(['acl', value]))).toThrow(expect.objectContaining({ code, message: expect.stringMatching(message), details: expect.objectContaining({ field: '--acl' }) }));
  });
});

describe('weft channel update --capability', () => {
  const older = genesis({ channel: 'V2_0', orderer: 'V1_4_2', application: 'V2_0' });
  const capsOf = (g: ConfigGroup) => [...Capabilities.deserializeBinary(g.getValuesMap().get('Capabilities')!.getValue_asU8()).getCapabilitiesMap().keys()];

  it('raises each level to one supported name and warns that older nodes stop', () => {
    const { next, warnings } = editChannelConfig(layout, older, flags(['capability', 'application=V2_5'], ['capability', 'orderer=V2_0'], ['capability', 'channel=V3_0']));
    expect(capsOf(group(next, 'Application'))).toEqual(['V2_5']);
    expect(capsOf(group(next, 'Orderer'))).toEqual(['V2_0']);
    expect(capsOf(next.getChannelGroup()!)).toEqual(['V3_0']);
    expect(warnings).toEqual([
      expect.stringContaining('application capability V2_5: peers older than Fabric 2.5'),
      expect.stringContaining('orderer capability V2_0: orderers older than Fabric 2.0'),
      expect.stringContaining('channel capability V3_0: peers and orderers older than Fabric 3.0'),
    ]);
  });

  it("refuses channel V3_0 while the orderer org has no Endpoints of its own (Fabric's ValidateNew); with them, drops the global OrdererAddresses", () => {
    const legacy = genesis({ channel: 'V1_3', orderer: 'V1_1', application: 'V1_3' });
    expect(legacy.config.getChannelGroup()!.getValuesMap().has('OrdererAddresses')).toBe(true);
    expect(() => edit(flags(['capability', 'channel=V3_0']), legacy)).toThrow(expect.objectContaining({ code: 'CONFIG_UPDATE_INVALID', message: expect.stringContaining('endpoints of org OrdererMSP are missing') }));
    const next = edit(flags(['capability', 'channel=V3_0'], ['orderer-endpoint', 'OrdererMSP=127.0.0.1:7050']), legacy);
    expect(next.getChannelGroup()!.getValuesMap().has('OrdererAddresses')).toBe(false);
    expect(describeConfigChanges(legacy.config, next).map((c) => c.path)).toEqual(['/Channel/Capabilities', '/Channel/OrdererAddresses', '/Channel/Orderer/OrdererMSP/Endpoints']);
  });

  it('says nothing for a level already at that name', () => {
    expect(editChannelConfig(layout, current, flags(['capability', 'application=V2_5'])).warnings).toEqual([]);
  });

  it.each([
    ['application=V9_9', 'UNSUPPORTED_CAPABILITY', /does not support application capability V9_9.*/],
    ['orderer=V2_5', 'UNSUPPORTED_CAPABILITY', /does not support orderer capability V2_5/],
    ['application=V1_1_PVTDATA_EXPERIMENTAL', 'UNSUPPORTED_CAPABILITY', /V1_1_PVTDATA_EXPERIMENTAL/],
    ['application=V2_0', 'CAPABILITY_DOWNGRADE', /requires application V2_5 already/],
    ['peer=V2_5', 'BAD_FLAG_VALUE', /unknown level peer/],
  ])('refuses --capability %s: %s', (value, code, message) => {
    expect(() => edit(flags(['capability', value]))).toThrow(expect.objectContaining({ code, message: expect.stringMatching(message), details: expect.objectContaining({ field: '--capability' }) }));
  });
});

describe('weft channel update --anchor-peer and --orderer-endpoint', () => {
  const anchorsOf = (next: Config, org: string) => group(next, 'Application', org).getValuesMap().get('AnchorPeers');

  it("sets an org's anchor peers (by name), clears another's; each org's own Admins sign", () => {
    const next = edit(flags(['anchor-peer', 'Org1=peer0.org1.example.com:7051'], ['anchor-peer', 'Org1=peer1.org1.example.com:8051'], ['anchor-peer', 'Org2MSP=']));
    const list = AnchorPeers.deserializeBinary(anchorsOf(next, 'Org1MSP')!.getValue_asU8()).getAnchorPeersList().map((a) => `${a.getHost()}:${a.getPort()}`);
    expect(list).toEqual(['peer0.org1.example.com:7051', 'peer1.org1.example.com:8051']);
    expect(anchorsOf(next, 'Org2MSP')).toBeUndefined();
    expect(needsOf(next)).toEqual(['/Channel/Application/Org1MSP/Admins', '/Channel/Application/Org2MSP/Admins']);
  });

  it("sets an orderer org's Endpoints; the orderer org's Admins sign", () => {
    const next = edit(flags(['orderer-endpoint', 'OrdererMSP=orderer.example.com:7050, orderer2.example.com:8050']));
    const endpoints = OrdererAddresses.deserializeBinary(group(next, 'Orderer', 'OrdererMSP').getValuesMap().get('Endpoints')!.getValue_asU8()).getAddressesList();
    expect(endpoints).toEqual(['orderer.example.com:7050', 'orderer2.example.com:8050']);
    expect(needsOf(next)).toEqual(['/Channel/Orderer/OrdererMSP/Admins']);
  });

  it.each([
    ['anchor-peer', 'Org9=peer0.org9.example.com:7051', 'ORG_NOT_IN_CHANNEL', /no member org of channel mychannel/],
    ['anchor-peer', 'Org1=peer0.org1.example.com', 'BAD_HOST_PORT', /expected host:port/],
    ['anchor-peer', 'Org1=peer0.org1.example.com:70000', 'BAD_HOST_PORT', /port from 1 to 65535/],
    ['orderer-endpoint', 'Org1MSP=orderer.example.com:7050', 'UNKNOWN_ORDERER_ORG', /no orderer org of channel mychannel/],
    ['orderer-endpoint', 'OrdererMSP=', 'BAD_HOST_PORT', /at least one endpoint/],
    ['orderer-endpoint', 'OrdererMSP=orderer.example.com:7050,nope', 'BAD_HOST_PORT', /OrdererMSP=nope: expected host:port/],
  ])('refuses --%s %s: %s', (flag, value, code, message) => {
    expect(() => edit(flags([flag, value]))).toThrow(expect.objectContaining({ code, message: expect.stringMatching(message), details: expect.objectContaining({ field: `--${flag}` }) }));
  });

  it('refuses clearing and setting the same org at once', () => {
    expect(() => flags(['anchor-peer', 'Org1='], ['anchor-peer', 'Org1=peer0.org1.example.com:7051'])).toThrow(expect.objectContaining({ code: 'BAD_FLAG_VALUE' }));
  });
});

describe('the dry-run summary', () => {
  it('says per changed element path: before → after and the mod_policy it needs', () => {
    const next = edit({ batchTimeout: '1s', ...flags(['policy', 'Application/Endorsement=ANY Endorsement'], ['acl', 'qscc/GetChainInfo=/Channel/Application/Admins'], ['anchor-peer', 'Org1=peer0.org1.example.com:7051']) });
    expect(describeConfigChanges(current.config, next).map(changeLine)).toEqual([
      '/Channel/Application/ACLs[qscc/GetChainInfo]: /Channel/Application/Readers → /Channel/Application/Admins  [needs /Channel/Application/Admins]',
      '/Channel/Application/Endorsement: MAJORITY Endorsement → ANY Endorsement  [needs /Channel/Application/Admins]',
      '/Channel/Application/Org1MSP/AnchorPeers: 127.0.0.1:7051 → peer0.org1.example.com:7051  [needs /Channel/Application/Org1MSP/Admins]',
      '/Channel/Orderer/BatchTimeout: 2s → 1s  [needs /Channel/Orderer/Admins]',
    ]);
  });

  it('names an org removed from the channel', () => {
    const duo = new NetworkLayout('/net', { ...layout.networkSpec, otherChannels: [{ name: 'mychannel2', batchTimeout: '2s', maxMessageCount: 10 }] }).forChannel('mychannel2');
    const next = editChannelConfig(duo, current, { removeOrgs: ['Org2'] }).next;
    expect(describeConfigChanges(current.config, next)).toEqual([{ path: '/Channel/Application/Org2MSP', before: 'org Org2MSP', after: '(none)', modPolicy: '/Channel/Application/Admins' }]);
  });

  it('leaves the config it was given as it was', () => {
    const bytes = current.config.serializeBinary();
    edit(flags(['policy', 'Application/Endorsement=ANY Endorsement'], ['capability', 'application=V2_5']));
    expect(Buffer.from(current.config.serializeBinary()).equals(Buffer.from(bytes))).toBe(true);
  });
});
