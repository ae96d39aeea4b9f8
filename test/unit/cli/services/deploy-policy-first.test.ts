import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { deployChaincode } from '../../../../cli/services/chaincode/deploy';
import { findFreePorts } from '../../../../cli/services/free-ports';
import { openNetwork } from '../../../../cli/services/network/network-access';
import { DEFAULT_INIT_OPTIONS, initNetwork } from '../../../../cli/services/network/network-init';

const ASSET_TRANSFER = path.resolve(__dirname, '../../../../chaincode-examples/asset-transfer');

/**
 * `weft chaincode deploy ./net ./my-assets --name a --policy "OR('Org1MSP.peer', Org2MSP.peer)"` (a
 * principal left unquoted) packaged the project and installed it on every peer before the policy
 * was parsed. The policy is the user's input: it is checked first, before any peer is asked.
 */
describe('chaincode deploy with a --policy that does not parse', () => {
  let tmp: string;
  let net: string;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-deploy-policy-'));
    net = path.join(tmp, 'net');
    // Never started: a deploy that got as far as installing would fail PEER_UNREACHABLE.
    await initNetwork(net, { ...DEFAULT_INIT_OPTIONS, basePort: await findFreePorts(8) });
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('is refused with POLICY_SYNTAX before packaging or installing anything', async () => {
    const progress: string[] = [];
    const deploy = deployChaincode(openNetwork(net), ASSET_TRANSFER, { name: 'a', version: '1.0', initRequired: false, policy: "OR('Org1MSP.peer', Org2MSP.peer)" }, (m) => progress.push(m));
    await expect(deploy).rejects.toMatchObject({ code: 'POLICY_SYNTAX', details: { expression: "OR('Org1MSP.peer', Org2MSP.peer)" } });
    expect(progress).toEqual([]);
  });
});
