import { CollectionConfig, CollectionConfigPackage, StaticCollectionConfig } from '@hyperledger/fabric-protos/lib/peer/collection_pb';
import {
  ChaincodeSource,
  CheckCommitReadinessResult,
  QueryApprovedChaincodeDefinitionResult,
  QueryChaincodeDefinitionResult,
  QueryChaincodeDefinitionsResult,
  QueryInstalledChaincodesResult,
} from '@hyperledger/fabric-protos/lib/peer/lifecycle/lifecycle_pb';
import { ProtocolError } from '../../../../core/errors';
import {
  decodeApprovedDefinition,
  decodeCommitReadiness,
  decodeCommittedDefinition,
  decodeCommittedDefinitions,
  decodeInstallResult,
  decodeInstalledChaincodes,
} from '../../../../cli/services/chaincode/lifecycle-results';
import { cat, len, vint } from '../../../support/raw-protobuf';

/*
 * Fabric's `peer lifecycle chaincode …` commands read a peer's answer with protobuf-go's
 * `proto.Unmarshal` (internal/peer/lifecycle/chaincode/install.go:171, queryinstalled.go:140,
 * queryapproved.go:168, checkcommitreadiness.go:240, querycommitted.go:158,170). protobuf-go
 * (google.golang.org/protobuf internal/impl, vendored in Fabric): a known field with another wire
 * type is an unknown field, skipped (decode.go:176-226); a message field sent twice is merged
 * (codec_field.go:183-186), a oneof member only while the oneof holds that member
 * (codec_field.go:52-68); a proto3 string must be UTF-8 (codec_gen.go consumeStringValidateUTF8);
 * the last of a repeated scalar or map key wins. google-protobuf, which `weft chaincode` used,
 * threw on the first, replaced on the second and read the third.
 */

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const entry = (key: Uint8Array, value: Uint8Array): Uint8Array => cat(len(1, key), value);
const collection = (name: string): Uint8Array => {
  const c = new StaticCollectionConfig();
  c.setName(name);
  c.setRequiredPeerCount(1);
  const config = new CollectionConfig();
  config.setStaticCollectionConfig(c);
  const pkg = new CollectionConfigPackage();
  pkg.addConfig(config);
  return pkg.serializeBinary();
};
const names = (pkg: CollectionConfigPackage | undefined): string[] => (pkg?.getConfigList() ?? []).map((c) => c.getStaticCollectionConfig()?.getName() ?? '');
const expectMalformed = (fn: () => unknown, fragment: string): void => {
  expect(fn).toThrow(ProtocolError);
  expect(fn).toThrow(fragment);
};

describe('_lifecycle results read as protobuf-go reads them', () => {
  it('reads well-formed results as google-protobuf does', () => {
    const approved = new QueryApprovedChaincodeDefinitionResult();
    approved.setSequence(3);
    approved.setVersion('1.0');
    approved.setEndorsementPlugin('escc');
    approved.setValidationPlugin('vscc');
    approved.setValidationParameter(Uint8Array.of(1, 2));
    approved.setCollections(CollectionConfigPackage.deserializeBinary(collection('c1')));
    approved.setInitRequired(true);
    const source = new ChaincodeSource();
    const local = new ChaincodeSource.Local();
    local.setPackageId('cc:abc');
    source.setLocalPackage(local);
    approved.setSource(source);
    const bytes = approved.serializeBinary();
    expect(decodeApprovedDefinition(bytes).toObject()).toEqual(QueryApprovedChaincodeDefinitionResult.deserializeBinary(bytes).toObject());

    const committed = new QueryChaincodeDefinitionResult();
    committed.setSequence(2);
    committed.setVersion('2');
    committed.getApprovalsMap().set('Org1MSP', true).set('Org2MSP', false);
    const cb = committed.serializeBinary();
    expect(decodeCommittedDefinition(cb).toObject()).toEqual(QueryChaincodeDefinitionResult.deserializeBinary(cb).toObject());

    const list = new QueryChaincodeDefinitionsResult();
    const d = new QueryChaincodeDefinitionsResult.ChaincodeDefinition();
    d.setName('basic');
    d.setSequence(1);
    d.setCollections(CollectionConfigPackage.deserializeBinary(collection('c2')));
    list.addChaincodeDefinitions(d);
    const lb = list.serializeBinary();
    expect(decodeCommittedDefinitions(lb).toObject()).toEqual(QueryChaincodeDefinitionsResult.deserializeBinary(lb).toObject());

    const readiness = new CheckCommitReadinessResult();
    readiness.getApprovalsMap().set('Org1MSP', true);
    const mismatch = new CheckCommitReadinessResult.Mismatches();
    mismatch.setItemsList(['Version', 'Sequence']);
    readiness.getMismatchesMap().set('Org2MSP', mismatch);
    const rb = readiness.serializeBinary();
    expect(decodeCommitReadiness(rb).toObject()).toEqual(CheckCommitReadinessResult.deserializeBinary(rb).toObject());
  });

  it('skips known fields with another wire type', () => {
    expect(decodeInstallResult(cat(vint(1, 1), len(1, text('cc:1')), vint(2, 5), len(2, text('cc')))).toObject()).toEqual({ packageId: 'cc:1', label: 'cc' });
    // An approval's value as bytes: unknown, so the org reads as not approved.
    const readiness = decodeCommitReadiness(cat(len(1, entry(text('Org1MSP'), len(2, Uint8Array.of(1)))), vint(1, 1), len(1, entry(text('Org2MSP'), vint(2, 1)))));
    expect(Object.fromEntries(readiness.getApprovalsMap().toArray())).toEqual({ Org1MSP: false, Org2MSP: true });
    const committed = decodeCommittedDefinition(cat(vint(2, 9), len(2, text('1.1')), len(1, Uint8Array.of(4)), vint(1, 6), len(8, entry(text('Org1MSP'), vint(2, 1)))));
    expect([committed.getVersion(), committed.getSequence(), committed.getApprovalsMap().get('Org1MSP')]).toEqual(['1.1', 6, true]);
  });

  it('merges a collection package or a package source sent twice', () => {
    const approved = decodeApprovedDefinition(
      cat(len(6, collection('c1')), len(8, len(2, len(1, text('cc:1')))), len(6, collection('c2')), len(8, len(2, new Uint8Array(0)))),
    );
    expect(names(approved.getCollections())).toEqual(['c1', 'c2']);
    expect(approved.getSource()?.getLocalPackage()?.getPackageId()).toBe('cc:1');
    // Another member in between starts the local package afresh.
    const switched = decodeApprovedDefinition(len(8, cat(len(2, len(1, text('cc:1'))), len(1, new Uint8Array(0)), len(2, new Uint8Array(0)))));
    expect(switched.getSource()?.getLocalPackage()?.getPackageId()).toBe('');
    const last = decodeApprovedDefinition(len(8, cat(len(2, len(1, text('cc:1'))), len(1, new Uint8Array(0)))));
    expect(last.getSource()?.hasUnavailable()).toBe(true);
    expect(last.getSource()?.hasLocalPackage()).toBe(false);
    const list = decodeCommittedDefinitions(len(1, cat(len(1, text('basic')), len(7, collection('c1')), len(7, collection('c2')))));
    expect(names(list.getChaincodeDefinitionsList()[0]?.getCollections())).toEqual(['c1', 'c2']);
  });

  it('refuses a string that is not UTF-8, wherever it is', () => {
    const bad = Uint8Array.of(0x63, 0xff);
    expectMalformed(() => decodeInstallResult(len(2, bad)), 'UTF-8');
    expectMalformed(() => decodeInstalledChaincodes(len(1, cat(len(1, text('cc:1')), len(3, entry(text('ch'), len(2, len(1, len(2, bad)))))))), 'UTF-8');
    expectMalformed(() => decodeCommitReadiness(len(1, entry(bad, vint(2, 1)))), 'UTF-8');
    expectMalformed(() => decodeCommittedDefinition(len(8, entry(bad, vint(2, 1)))), 'UTF-8');
    expectMalformed(() => decodeCommittedDefinitions(len(1, len(1, bad))), 'UTF-8');
    expectMalformed(() => decodeApprovedDefinition(len(8, len(2, len(1, bad)))), 'UTF-8');
    // The well-formed installed list reads as google-protobuf reads it.
    const ok = cat(len(1, cat(len(1, text('cc:1')), len(2, text('cc')))));
    expect(decodeInstalledChaincodes(ok).toObject()).toEqual(QueryInstalledChaincodesResult.deserializeBinary(ok).toObject());
  });
});
