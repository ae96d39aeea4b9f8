import { ApplicationPolicy, SignaturePolicyEnvelope } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { CollectionConfig, CollectionConfigPackage, CollectionPolicyConfig, StaticCollectionConfig } from '@hyperledger/fabric-protos/lib/peer/collection_pb';
import { QueryChaincodeDefinitionsResult } from '@hyperledger/fabric-protos/lib/peer/lifecycle/lifecycle_pb';
import { validationParameter } from '../../../../cli/services/chaincode/lifecycle';
import { policyUsesIn } from '../../../../cli/services/network/channel-config-chaincode-uses';
import { compilePolicyExpression } from '../../../../core/policy/policy-expression';

/** A committed definition as `_lifecycle` QueryChaincodeDefinitions returns it, with a collection whose endorsement policy is `collectionRef` (if any). */
function definition(name: string, validation: Uint8Array, collectionRef?: string): QueryChaincodeDefinitionsResult.ChaincodeDefinition {
  const d = new QueryChaincodeDefinitionsResult.ChaincodeDefinition();
  d.setName(name);
  d.setSequence(1);
  d.setVersion('1.0');
  d.setEndorsementPlugin('escc');
  d.setValidationPlugin('vscc');
  d.setValidationParameter(validation);
  if (collectionRef !== undefined) {
    const members = new CollectionPolicyConfig();
    members.setSignaturePolicy(SignaturePolicyEnvelope.deserializeBinary(compilePolicyExpression("OR('Org1MSP.member')")));
    const endorsement = new ApplicationPolicy();
    endorsement.setChannelConfigPolicyReference(collectionRef);
    const s = new StaticCollectionConfig();
    s.setName('secrets');
    s.setMemberOrgsPolicy(members);
    s.setRequiredPeerCount(0);
    s.setMaximumPeerCount(1);
    s.setEndorsementPolicy(endorsement);
    const c = new CollectionConfig();
    c.setStaticCollectionConfig(s);
    const pkg = new CollectionConfigPackage();
    pkg.addConfig(c);
    d.setCollections(pkg);
  }
  return d;
}

describe("the channel policies committed chaincode definitions name (weft channel update --remove-policy's check)", () => {
  it("reads a definition's channel_config_policy_reference and its collections' endorsement references, not a signature policy", () => {
    const result = new QueryChaincodeDefinitionsResult();
    const ref = new ApplicationPolicy();
    ref.setChannelConfigPolicyReference('/Channel/Application/Org1Only');
    result.addChaincodeDefinitions(definition('votes', ref.serializeBinary()));
    result.addChaincodeDefinitions(definition('basic', validationParameter("OR('Org1MSP.peer','Org2MSP.peer')"), 'Application/Auditors'));
    expect(policyUsesIn(result.serializeBinary())).toEqual([
      { chaincode: 'votes', use: 'endorsement', policy: '/Channel/Application/Org1Only' },
      { chaincode: 'basic', use: 'collection secrets endorsement', policy: 'Application/Auditors' },
    ]);
  });

  it('finds none on a channel without definitions', () => {
    expect(policyUsesIn(new QueryChaincodeDefinitionsResult().serializeBinary())).toEqual([]);
  });
});
