import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { loadCollectionsConfig } from '../../../../cli/services/chaincode/collections-config';
import { deployChaincode } from '../../../../cli/services/chaincode/deploy';
import { policyOutsideChannelWarnings } from '../../../../cli/services/chaincode/policy-outside-channel';
import { openNetwork } from '../../../../cli/services/network/network-access';
import { stoppedNetwork } from '../../../support/stopped-network';

const ASSET_TRANSFER = path.resolve(__dirname, '../../../../chaincode-examples/asset-transfer');

/**
 * `weft chaincode deploy … --policy "OR('Org9MSP.peer')"` (an MSP that is not in the channel)
 * committed without a word, as Fabric does, and every invoke then failed
 * ENDORSEMENT_POLICY_FAILURE. The definition is still approved and committed; the user is told.
 */
describe('an endorsement policy naming an MSP outside the channel', () => {
  const stopped = stoppedNetwork('weft-policy-outside-');

  it("names each outside MSP and the channel's members, for --policy and for a collection's endorsementPolicy", () => {
    const layout = openNetwork(stopped.dir);
    expect(policyOutsideChannelWarnings(layout, { policy: "OR('Org1MSP.peer', AND('Org9MSP.peer', 'Org8MSP.admin'), 'Org9MSP.member')" })).toEqual([
      "the endorsement policy OR('Org1MSP.peer', AND('Org9MSP.peer', 'Org8MSP.admin'), 'Org9MSP.member') names Org9MSP, Org8MSP, which are not members of channel mychannel (its members: Org1MSP, Org2MSP): " +
        'no peer of them can endorse, so unless the policy is met without them, every invoke will fail ENDORSEMENT_POLICY_FAILURE',
    ]);
    const file = path.join(path.dirname(stopped.dir), 'collections.json');
    fs.writeFileSync(
      file,
      JSON.stringify([
        { name: 'shared', policy: "OR('Org1MSP.member', 'Org2MSP.member')", requiredPeerCount: 0, maxPeerCount: 1, blockToLive: 0, endorsementPolicy: { signaturePolicy: "OR('Org2MSP.peer', 'Org3MSP.peer')" } },
        { name: 'own', policy: "OR('Org1MSP.member')", requiredPeerCount: 0, maxPeerCount: 1, blockToLive: 0, endorsementPolicy: { channelConfigPolicy: '/Channel/Application/Org1MSP/Endorsement' } },
      ]),
    );
    expect(policyOutsideChannelWarnings(layout, { policy: '/Channel/Application/Endorsement', collections: loadCollectionsConfig(file) })).toEqual([
      "collection shared's endorsementPolicy names Org3MSP, which is not a member of channel mychannel (its members: Org1MSP, Org2MSP): " +
        'no peer of it can endorse, so unless the policy is met without it, every invoke will fail ENDORSEMENT_POLICY_FAILURE',
    ]);
    expect(policyOutsideChannelWarnings(layout, { policy: "AND('Org1MSP.peer', 'Org2MSP.peer')" })).toEqual([]);
    expect(policyOutsideChannelWarnings(layout, {})).toEqual([]);
  });

  it('is said by deploy before it packages anything', async () => {
    const progress: string[] = [];
    const deploy = deployChaincode(openNetwork(stopped.dir), ASSET_TRANSFER, { name: 'a', version: '1.0', initRequired: false, policy: "OR('Org9MSP.peer')" }, (m) => progress.push(m));
    // The network is not running: deploy goes on past the warning, and fails installing.
    await expect(deploy).rejects.toMatchObject({ code: 'PEER_UNREACHABLE' });
    expect(progress[0]).toMatch(/^warning: the endorsement policy OR\('Org9MSP\.peer'\) names Org9MSP, which is not a member of channel mychannel \(its members: Org1MSP, Org2MSP\)/);
    expect(progress[1]).toMatch(/^packaged a_1\.0:/);
  });
});
