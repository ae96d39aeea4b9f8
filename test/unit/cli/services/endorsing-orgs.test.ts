import { describe, expect, it } from '@jest/globals';
import { endorsingOrgMspIds } from '../../../../cli/services/chaincode/org-args';
import { NetworkLayout } from '../../../../cli/services/network/network-layout';
import { DEFAULT_INIT_OPTIONS, specFromOptions } from '../../../../cli/services/network/network-init';

/**
 * `weft chaincode invoke ./net --name assets --endorsing-orgs Org1 …` (the org's name, as `--org`
 * takes it) reached the Gateway as "Org1" and failed UNAVAILABLE "failed to find any endorsing
 * peers for org(s): Org1", with the advice to check that the network is up.
 */
describe('--endorsing-orgs', () => {
  const layout = new NetworkLayout('/nets/net', specFromOptions({ ...DEFAULT_INIT_OPTIONS, orgs: 3, basePort: 30000 }));

  it("takes org names, MSP IDs and domains, as --org does, and gives the Gateway MSP IDs; an org the channel lacks is UNKNOWN_ORG naming the flag", () => {
    expect(endorsingOrgMspIds(layout, 'Org1, org2.example.com,Org3MSP')).toEqual(['Org1MSP', 'Org2MSP', 'Org3MSP']);
    expect(endorsingOrgMspIds(layout, 'org2')).toEqual(['Org2MSP']);
    expect(() => endorsingOrgMspIds(layout, 'Org1,Org9')).toThrow(
      expect.objectContaining({
        code: 'UNKNOWN_ORG',
        message: expect.stringContaining('--endorsing-orgs Org9: channel mychannel has no org of that name, MSP ID or domain; its orgs are Org1 (Org1MSP), Org2 (Org2MSP), Org3 (Org3MSP)'),
        details: expect.objectContaining({ field: '--endorsing-orgs', suggestions: ['e.g. --endorsing-orgs Org1MSP,Org2MSP,Org3MSP'] }),
      }),
    );
  });
});
