import { QueryChaincodeDefinitionsResult } from '@hyperledger/fabric-protos/lib/peer/lifecycle/lifecycle_pb';
import { describe, expect, it } from '@jest/globals';
import { committedDefinitionsOf, validationParameter } from '../../../../cli/services/chaincode/lifecycle';

/**
 * The README says `weft chaincode query-committed` shows a definition's endorsement policy. A
 * signature policy came back as the MSP ids it names only, so `OR('Org1MSP.peer','Org2MSP.peer')`
 * and `AND(...)` of the same orgs read alike, and the text output showed no policy at all.
 */
describe('a committed definition names its endorsement policy as it was given', () => {
  const committed = (...policies: (string | undefined)[]) => {
    const result = new QueryChaincodeDefinitionsResult();
    policies.forEach((policy, i) => {
      const d = new QueryChaincodeDefinitionsResult.ChaincodeDefinition();
      d.setName(`cc${i}`);
      d.setVersion('1.0');
      d.setSequence(1);
      d.setValidationParameter(validationParameter(policy));
      result.addChaincodeDefinitions(d);
    });
    return committedDefinitionsOf(result.serializeBinary()).map((d) => d.endorsementPolicy);
  };

  it("gives a signature policy in Fabric's DSL, beside the orgs it names, and a channel policy reference as its path", () => {
    expect(committed("OR('Org1MSP.peer','Org2MSP.peer')", "AND('Org1MSP.peer','Org2MSP.peer')", "OutOf(2, 'Org1MSP.member', 'Org2MSP.admin', 'Org3MSP.client')")).toEqual([
      { signaturePolicy: "OR('Org1MSP.peer', 'Org2MSP.peer')", signaturePolicyOrgs: ['Org1MSP', 'Org2MSP'] },
      { signaturePolicy: "AND('Org1MSP.peer', 'Org2MSP.peer')", signaturePolicyOrgs: ['Org1MSP', 'Org2MSP'] },
      { signaturePolicy: "OutOf(2, 'Org1MSP.member', 'Org2MSP.admin', 'Org3MSP.client')", signaturePolicyOrgs: ['Org1MSP', 'Org2MSP', 'Org3MSP'] },
    ]);
    // A channel policy reference stays its path.
    expect(committed(undefined, '/Channel/Application/Org1Only')).toEqual([
      { channelConfigPolicy: '/Channel/Application/Endorsement' },
      { channelConfigPolicy: '/Channel/Application/Org1Only' },
    ]);
  });
});
