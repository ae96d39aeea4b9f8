import { ApplicationPolicy } from '@hyperledger/fabric-protos/lib/peer/policy_pb';
import { describe, expect, it } from '@jest/globals';
import { validationParameter } from '../../../../cli/services/chaincode/lifecycle';

/** The definition's endorsement policy as `--policy` gives it: Fabric's --channel-config-policy or --signature-policy. */
describe('a chaincode definition endorsement policy from --policy', () => {
  it('references a channel policy path, as --channel-config-policy does', () => {
    const app = ApplicationPolicy.deserializeBinary(validationParameter('/Channel/Application/Org1Only'));
    expect(app.getChannelConfigPolicyReference()).toBe('/Channel/Application/Org1Only');
    expect(app.hasSignaturePolicy()).toBe(false);
  });

  it("compiles anything else as a signature policy, and defaults to the channel's Endorsement policy", () => {
    const app = ApplicationPolicy.deserializeBinary(validationParameter("OR('Org1MSP.peer','Org2MSP.peer')"));
    expect(app.getSignaturePolicy()!.getIdentitiesList()).toHaveLength(2);
    expect(app.getChannelConfigPolicyReference()).toBe('');
    expect(ApplicationPolicy.deserializeBinary(validationParameter(undefined)).getChannelConfigPolicyReference()).toBe('/Channel/Application/Endorsement');
  });
});
