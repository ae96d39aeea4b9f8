import { Capabilities, Capability } from '@hyperledger/fabric-protos/lib/common/configuration_pb';
import { Config } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { Policy, SignaturePolicyEnvelope } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { BatchTimeout } from '@hyperledger/fabric-protos/lib/orderer/configuration_pb';
import { describeNeed, missingSignatures, needsMet, policyNeeds, signerMspIds, unsignedOrgs } from '../../../../cli/services/network/config-update-signatures';
import { DEFAULT_INIT_OPTIONS, specFromOptions } from '../../../../cli/services/network/network-init';
import { NetworkLayout } from '../../../../cli/services/network/network-layout';
import { buildConfigBlock } from '../../../../core/protocol/config-block';
import { parseConfigBlock, type ParsedConfigBlock } from '../../../../core/protocol/config-parse';
import { configSignature, unsignedConfigUpdate } from '../../../../core/protocol/config-update-compute';
import { mspConfig } from '../../core/protocol/msp-config-fixture';
import { newTestSigner } from '../../core/protocol/test-signer';

/** A channel of three orgs, as a network's genesis builder writes it (groups keyed by MSP ID), at channel capability V2_0. */
const current: ParsedConfigBlock = parseConfigBlock(
  buildConfigBlock({
    channelId: 'trio',
    applicationOrgs: ['Org1MSP', 'Org2MSP', 'Org3MSP'].map((mspId) => ({ mspId, mspConfig: mspConfig(mspId), anchorPeers: [{ host: 'peer0', port: 7051 }] })),
    ordererOrgs: [{ mspId: 'OrdererMSP', mspConfig: mspConfig('OrdererMSP'), endpoints: ['orderer:7050'] }],
    capabilities: { channel: 'V2_0', orderer: 'V2_0', application: 'V2_5' },
  }),
);

/** The update `edit` makes to a copy of the config, signed by the Admins of `signers` (test identities of those MSPs). */
function update(edit: (next: Config) => void, signers: string[], from: ParsedConfigBlock = current) {
  const next = Config.deserializeBinary(from.config.serializeBinary());
  edit(next);
  const { envelope, update: computed } = unsignedConfigUpdate('trio', from.config, next);
  for (const mspId of signers) envelope.addSignatures(configSignature(newTestSigner(mspId, 'Admin'), envelope.getConfigUpdate_asU8()));
  return { envelope, needs: policyNeeds(from, computed, envelope) };
}

const layout = new NetworkLayout('/net', specFromOptions({ ...DEFAULT_INIT_OPTIONS }));

const group = (config: Config, ...names: string[]) => names.reduce((g, n) => g.getGroupsMap().get(n)!, config.getChannelGroup()!);

describe('policyNeeds: the Admins a config update needs, before the orderer decides', () => {
  it("removing a member needs a MAJORITY of the members' Admins: 2 of 3", () => {
    const removeOrg3 = (c: Config) => group(c, 'Application').getGroupsMap().del('Org3MSP');
    const one = update(removeOrg3, ['Org1MSP']);
    expect(one.needs).toEqual([{ policy: '/Channel/Application/Admins', needs: 2, orgs: ['Org1MSP', 'Org2MSP', 'Org3MSP'], signed: ['Org1MSP'], unsigned: ['Org2MSP', 'Org3MSP'] }]);
    expect(needsMet(one.needs)).toBe(false);
    const two = update(removeOrg3, ['Org1MSP', 'Org3MSP']);
    expect(signerMspIds(two.envelope)).toEqual(['Org1MSP', 'Org3MSP']);
    expect(needsMet(two.needs)).toBe(true);
  });

  it("a batch setting needs the orderer org's Admin", () => {
    const { needs } = update((c) => {
      const timeout = new BatchTimeout();
      timeout.setTimeout('750ms');
      group(c, 'Orderer').getValuesMap().get('BatchTimeout')!.setValue(timeout.serializeBinary());
    }, []);
    expect(needs).toEqual([{ policy: '/Channel/Orderer/Admins', needs: 1, orgs: ['OrdererMSP'], signed: [], unsigned: ['OrdererMSP'] }]);
    expect(needsMet(needs)).toBe(false);
  });

  it("an org's own value needs that org's Admin (its signature policy)", () => {
    const { needs } = update((c) => group(c, 'Application', 'Org2MSP').getValuesMap().get('AnchorPeers')!.setValue(new Uint8Array([1])), ['Org2MSP']);
    expect(needs).toEqual([{ policy: '/Channel/Application/Org2MSP/Admins', needs: 1, orgs: ['Org2MSP'], signed: ['Org2MSP'], unsigned: [] }]);
    expect(needsMet(needs)).toBe(true);
  });

  describe('a channel capability needs /Channel/Admins: a MAJORITY of the Application and Orderer groups, each a MAJORITY of its orgs', () => {
    const toV3 = (c: Config) => {
      const capabilities = new Capabilities();
      capabilities.getCapabilitiesMap().set('V3_0', new Capability());
      c.getChannelGroup()!.getValuesMap().get('Capabilities')!.setValue(capabilities.serializeBinary());
    };
    const application = { policy: '/Channel/Application/Admins', needs: 2, orgs: ['Org1MSP', 'Org2MSP', 'Org3MSP'] };
    const orderer = { policy: '/Channel/Orderer/Admins', needs: 1, orgs: ['OrdererMSP'] };

    it('gives the nested need, with who signed at each level', () => {
      const { needs } = update(toV3, ['Org1MSP', 'OrdererMSP']);
      expect(needs).toEqual([
        {
          policy: '/Channel/Admins',
          needs: 2,
          orgs: ['Org1MSP', 'Org2MSP', 'Org3MSP', 'OrdererMSP'],
          signed: ['Org1MSP', 'OrdererMSP'],
          unsigned: ['Org2MSP', 'Org3MSP'],
          of: [
            { ...application, signed: ['Org1MSP'], unsigned: ['Org2MSP', 'Org3MSP'] },
            { ...orderer, signed: ['OrdererMSP'], unsigned: [] },
          ],
        },
      ]);
      expect(describeNeed(needs[0]!, current)).toBe(
        '/Channel/Admins: MAJORITY (2 of [/Channel/Application/Admins: MAJORITY (2 of Org1MSP, Org2MSP, Org3MSP Admins); /Channel/Orderer/Admins: MAJORITY (1 of OrdererMSP Admins)])',
      );
    });

    it.each([
      [['Org1MSP', 'Org2MSP', 'OrdererMSP'], true, []],
      [['Org1MSP', 'Org2MSP', 'Org3MSP'], false, ['OrdererMSP']],
      [['Org1MSP', 'OrdererMSP'], false, ['Org2MSP', 'Org3MSP']],
      [['OrdererMSP'], false, ['Org1MSP', 'Org2MSP', 'Org3MSP']],
    ])('signed by %j: met %s, still to sign %j', (signers, met, still) => {
      const { needs } = update(toV3, signers);
      expect(needsMet(needs)).toBe(met);
      expect(unsignedOrgs(needs)).toEqual(still);
      if (met) return;
      const error = missingSignatures(layout, 'trio', current, needs);
      expect(error).toMatchObject({ code: 'CONFIG_UPDATE_UNSIGNED', details: { unsigned: still } });
      expect(error.message).toContain(`/Channel/Admins: MAJORITY (2 of [`);
      expect(error.message).toContain(`not signed: ${still.join(', ')}`);
    });
  });

  it('a signature policy at /Channel/Admins is left to the orderer', () => {
    const config = Config.deserializeBinary(current.config.serializeBinary());
    const policy = new Policy();
    policy.setType(Policy.PolicyType.SIGNATURE);
    policy.setValue(new SignaturePolicyEnvelope().serializeBinary());
    config.getChannelGroup()!.getPoliciesMap().get('Admins')!.setPolicy(policy);
    const { needs } = update((c) => c.getChannelGroup()!.getValuesMap().get('Capabilities')!.setValue(new Uint8Array([1])), [], { ...current, config });
    expect(needs).toEqual([{ policy: '/Channel/Admins', needs: undefined, orgs: [], signed: [], unsigned: [] }]);
    expect(needsMet(needs)).toBe(true);
    expect(describeNeed(needs[0]!, current)).toBe('/Channel/Admins: what the orderer decides');
  });
});
