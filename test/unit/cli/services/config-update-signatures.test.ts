import { Config } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { BatchTimeout } from '@hyperledger/fabric-protos/lib/orderer/configuration_pb';
import { needsMet, policyNeeds, signerMspIds } from '../../../../cli/services/network/config-update-signatures';
import { buildConfigBlock } from '../../../../core/protocol/config-block';
import { parseConfigBlock, type ParsedConfigBlock } from '../../../../core/protocol/config-parse';
import { configSignature, unsignedConfigUpdate } from '../../../../core/protocol/config-update-compute';
import { mspConfig } from '../../core/protocol/msp-config-fixture';
import { newTestSigner } from '../../core/protocol/test-signer';

/** A channel of three orgs, as a network's genesis builder writes it (groups keyed by MSP ID). */
const current: ParsedConfigBlock = parseConfigBlock(
  buildConfigBlock({
    channelId: 'trio',
    applicationOrgs: ['Org1MSP', 'Org2MSP', 'Org3MSP'].map((mspId) => ({ mspId, mspConfig: mspConfig(mspId), anchorPeers: [{ host: 'peer0', port: 7051 }] })),
    ordererOrgs: [{ mspId: 'OrdererMSP', mspConfig: mspConfig('OrdererMSP'), endpoints: ['orderer:7050'] }],
  }),
);

/** The update `edit` makes to a copy of the config, signed by the Admins of `signers` (test identities of those MSPs). */
function update(edit: (next: Config) => void, signers: string[]) {
  const next = Config.deserializeBinary(current.config.serializeBinary());
  edit(next);
  const { envelope, update: computed } = unsignedConfigUpdate('trio', current.config, next);
  for (const mspId of signers) envelope.addSignatures(configSignature(newTestSigner(mspId, 'Admin'), envelope.getConfigUpdate_asU8()));
  return { envelope, needs: policyNeeds(current, computed, envelope) };
}

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

  it('a policy over other policies (/Channel/Admins) is left to the orderer', () => {
    const { needs } = update((c) => c.getChannelGroup()!.getValuesMap().get('Capabilities')!.setValue(new Uint8Array([1])), []);
    expect(needs).toEqual([{ policy: '/Channel/Admins', needs: undefined, orgs: [], signed: [], unsigned: [] }]);
    expect(needsMet(needs)).toBe(true);
  });
});
