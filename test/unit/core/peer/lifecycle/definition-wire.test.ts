/**
 * The `_lifecycle` argument and result messages that carry a collection package, decoded as
 * protobuf-go decodes them and encoded as google-protobuf encodes them, at any depth Go allows.
 */
import {
  ApproveChaincodeDefinitionForMyOrgArgs,
  ChaincodeSource,
  CheckCommitReadinessArgs,
  QueryChaincodeDefinitionResult,
} from '@hyperledger/fabric-protos/lib/peer/lifecycle/lifecycle_pb';
import { decodeCollectionPackageInto } from '../../../../../core/peer/lifecycle/collection-wire';
import {
  decodeApproveArgs,
  decodeCheckCommitReadinessArgs,
  decodeCommitArgs,
  encodeDefinitionArgs,
  encodeWithCollections,
} from '../../../../../core/peer/lifecycle/definition-wire';
import { CollectionConfigPackage } from '@hyperledger/fabric-protos/lib/peer/collection_pb';
import { lenField, message, stringField } from '../../../../../core/protocol/wire-writer';
import { commitArgsBytes, configBytes, deepRule, envelopeBytes, packageBytes, staticCollectionBytes } from '../../../../support/deep-policy-bytes';
import { collectionPackage } from '../../../../support/lifecycle-collections';

function approveArgs(): ApproveChaincodeDefinitionForMyOrgArgs {
  const a = new ApproveChaincodeDefinitionForMyOrgArgs();
  a.setSequence(3);
  a.setName('cc');
  a.setVersion('2.0');
  a.setEndorsementPlugin('escc');
  a.setValidationPlugin('vscc');
  a.setValidationParameter(Uint8Array.of(1, 2, 3));
  a.setCollections(collectionPackage({ name: 'a', endorsement: "OR('Org1MSP.peer')" }, { name: 'b', blockToLive: 9 }));
  a.setInitRequired(true);
  const source = new ChaincodeSource();
  const local = new ChaincodeSource.Local();
  local.setPackageId('cc_2:abcd');
  source.setLocalPackage(local);
  a.setSource(source);
  return a;
}

const deepPackage = (gates: number): Uint8Array => packageBytes(configBytes(staticCollectionBytes('deep', envelopeBytes(deepRule(gates)))));

describe('_lifecycle definition messages on the wire', () => {
  it('decodes and encodes what google-protobuf does, for the messages it handles', () => {
    const a = approveArgs();
    const bytes = a.serializeBinary();
    expect(encodeDefinitionArgs(a)).toEqual(bytes);
    expect(decodeApproveArgs(bytes, 'args').toObject()).toEqual(a.toObject());
    expect(decodeCommitArgs(bytes, 'args').getCollections()?.getConfigList().length).toBe(2);
    const negative = new CheckCommitReadinessArgs();
    negative.setSequence(-5);
    expect(encodeDefinitionArgs(negative)).toEqual(negative.serializeBinary());
    expect(decodeCheckCommitReadinessArgs(negative.serializeBinary(), 'args').getSequence()).toBe(-5);
  });

  it('takes Approve arguments 4996 gates deep, as Fabric does, and refuses one more', () => {
    const approve = (gates: number): Uint8Array => commitArgsBytes(deepPackage(gates));
    const a = decodeApproveArgs(approve(4996), 'args');
    expect(a.getCollections()?.getConfigList()[0]?.getStaticCollectionConfig()?.getName()).toBe('deep');
    expect(encodeDefinitionArgs(a)).toEqual(approve(4996));
    expect(() => decodeApproveArgs(approve(4997), 'args')).toThrow(expect.objectContaining({ code: 'PROTOCOL_MALFORMED' }));
  });

  it('merges a repeated collections field: the configs of both, in wire order', () => {
    const one = (name: string): Uint8Array => message(lenField(7, packageBytes(configBytes(staticCollectionBytes(name, envelopeBytes(deepRule(1))))), false));
    const args = decodeCommitArgs(Uint8Array.from([...one('a'), ...message(stringField(2, 'cc')), ...one('b')]), 'args');
    expect(args.getCollections()?.getConfigList().map((c) => c.getStaticCollectionConfig()?.getName())).toEqual(['a', 'b']);
    expect(args.getName()).toBe('cc');
  });

  it('follows the source oneof as protobuf-go: local package merged, then unavailable replacing it', () => {
    const local = (id: string): Uint8Array => message(lenField(9, message(lenField(2, message(stringField(1, id)), false)), false));
    const unavailable = message(lenField(9, message(lenField(1, new Uint8Array(0), false)), false));
    expect(decodeApproveArgs(Uint8Array.from([...local('x'), ...local('y')]), 'args').getSource()?.getLocalPackage()?.getPackageId()).toBe('y');
    const switched = decodeApproveArgs(Uint8Array.from([...local('x'), ...unavailable]), 'args').getSource();
    expect([switched?.getLocalPackage(), switched?.getUnavailable() !== undefined]).toEqual([undefined, true]);
  });

  it('encodes a result with collections as serializeBinary does, and a deep one without overflowing', () => {
    const result = new QueryChaincodeDefinitionResult();
    result.setSequence(1);
    result.setVersion('1.0');
    result.setCollections(collectionPackage({ name: 'a' }));
    result.setInitRequired(true);
    result.getApprovalsMap().set('Org2MSP', true).set('Org1MSP', false);
    const expected = result.serializeBinary();
    expect(encodeWithCollections(result, 6)).toEqual(expected);
    expect(result.serializeBinary()).toEqual(expected);

    const deep = new QueryChaincodeDefinitionResult();
    deep.setSequence(1);
    deep.setInitRequired(true);
    const pkg = new CollectionConfigPackage();
    deep.setCollections(pkg);
    decodeCollectionPackageInto(deepPackage(4996), pkg, 2, 'pkg');
    const bytes = encodeWithCollections(deep, 6);
    expect(bytes).toEqual(Uint8Array.from([0x08, 0x01, ...message(lenField(6, deepPackage(4996), false)), 0x38, 0x01]));
  });
});
