import * as path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { deployChaincode } from '../../../../cli/services/chaincode/deploy';
import { openNetwork } from '../../../../cli/services/network/network-access';
import { stoppedNetwork } from '../../../support/stopped-network';

const ASSET_TRANSFER = path.resolve(__dirname, '../../../../chaincode-examples/asset-transfer');

/**
 * `weft chaincode deploy ./net ./my-assets --name a --policy "OR('Org1MSP.peer', Org2MSP.peer)"` (a
 * principal left unquoted) packaged the project and installed it on every peer before the policy
 * was parsed. The policy is the user's input: it is checked first, before any peer is asked.
 */
describe('chaincode deploy with a --policy that does not parse', () => {
  const stopped = stoppedNetwork('weft-deploy-policy-');

  it('is refused with POLICY_SYNTAX before packaging or installing anything', async () => {
    const progress: string[] = [];
    const deploy = deployChaincode(openNetwork(stopped.dir), ASSET_TRANSFER, { name: 'a', version: '1.0', initRequired: false, policy: "OR('Org1MSP.peer', Org2MSP.peer)" }, (m) => progress.push(m));
    await expect(deploy).rejects.toMatchObject({ code: 'POLICY_SYNTAX', details: { expression: "OR('Org1MSP.peer', Org2MSP.peer)" } });
    expect(progress).toEqual([]);
  });
});
