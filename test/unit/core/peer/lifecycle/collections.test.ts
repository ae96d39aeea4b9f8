import { SerializedIdentity } from '@hyperledger/fabric-protos/lib/msp/identities_pb';
import { MSPPrincipal } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import { CollectionConfig, CollectionConfigPackage, type StaticCollectionConfig } from '@hyperledger/fabric-protos/lib/peer/collection_pb';
import { ApplicationPolicy } from '@hyperledger/fabric-protos/lib/peer/policy_pb';
import { CommitChaincodeDefinitionArgs } from '@hyperledger/fabric-protos/lib/peer/lifecycle/lifecycle_pb';
import type { ChannelResources } from '../../../../../core/peer/channel/channel-resources';
import { PeerError } from '../../../../../core/peer/peer-error';
import { compilePolicyExpression, nOutOf, parsePolicyExpression, signedBy } from '../../../../../core/policy/policy-expression';
import { checkCollectionsAgainstCommitted } from '../../../../../core/peer/lifecycle/collection-rules';
import { collectionOf, describeCollections, implicitCollectionEndorsementPolicy, implicitCollectionName, parseCollections } from '../../../../../core/peer/lifecycle/collections';
import { parameterMismatch } from '../../../../../core/peer/lifecycle/lifecycle-rules';
import { decodeDefinition, defaultValidationParameter, definitionMismatches, definitionOf, encodeDefinition } from '../../../../../core/peer/lifecycle/lifecycle-state';
import { BOTH_ORGS, type CollectionSpec, collectionPackage, staticCollection } from '../../../../support/lifecycle-collections';

/** The definition a Commit message carrying `pkg` describes. */
const defWith = (pkg?: CollectionConfigPackage) => {
  const args = new CommitChaincodeDefinitionArgs();
  args.setName('cc');
  args.setSequence(1);
  args.setVersion('1.0');
  args.setEndorsementPlugin('escc');
  args.setValidationPlugin('vscc');
  args.setValidationParameter(defaultValidationParameter());
  if (pkg !== undefined) args.setCollections(pkg);
  return definitionOf(args);
};

/** What `parseCollections` refuses `specs` with. */
const refusal = (...specs: (CollectionSpec | StaticCollectionConfig)[]): string => {
  try {
    parseCollections(collectionPackage(...specs));
  } catch (err) {
    expect(err).toBeInstanceOf(PeerError);
    expect((err as PeerError).code).toBe('PEER_LIFECYCLE');
    return (err as Error).message;
  }
  throw new Error('accepted');
};

describe('collection definitions', () => {
  it('parses a static collection into what the peer needs, member orgs in policy order without repeats', () => {
    const policy = "OR('Org2MSP.member', 'Org1MSP.admin', 'Org2MSP.peer')";
    const [c] = parseCollections(collectionPackage({ name: 'secrets', policy, requiredPeerCount: 1, maximumPeerCount: 3, blockToLive: 100, memberOnlyWrite: true, endorsement: "OR('Org1MSP.peer')" }));
    expect(c).toEqual({
      name: 'secrets',
      memberMspIds: ['Org2MSP', 'Org1MSP'],
      memberOrgsPolicy: compilePolicyExpression(policy),
      requiredPeerCount: 1,
      maximumPeerCount: 3,
      blockToLive: 100,
      memberOnlyRead: true,
      memberOnlyWrite: true,
      endorsementPolicy: expect.any(Uint8Array),
    });
    expect(ApplicationPolicy.deserializeBinary(c.endorsementPolicy!).getSignaturePolicy()?.serializeBinary()).toEqual(compilePolicyExpression("OR('Org1MSP.peer')"));
    expect(parseCollections(collectionPackage({ name: 'plain' }))[0].endorsementPolicy).toBeUndefined();
    expect(parseCollections(undefined)).toEqual([]);
    expect(parseCollections(new CollectionConfigPackage())).toEqual([]);
  });

  it("refuses names Fabric refuses (the implicit collections' '_' prefix among them) and duplicates", () => {
    const names = "Names can only consist of alphanumerics, '_', and '-' and cannot begin with '_'";
    expect(refusal({ name: '_implicit_org_Org1MSP' })).toBe(`invalid collection name '_implicit_org_Org1MSP'. ${names}`);
    expect(refusal({ name: 'a b' })).toBe(`invalid collection name 'a b'. ${names}`);
    expect(refusal({ name: '' })).toBe(`invalid collection name ''. ${names}`);
    expect(() => parseCollections(collectionPackage({ name: '-a_b-9' }))).not.toThrow();
    expect(refusal({ name: 'dup' }, { name: 'other' }, { name: 'dup' })).toBe('collection-name: dup -- found duplicate in collection configuration');
    // Fabric's pattern nests quantifiers; a backtracking engine must not take forever on a long bad name.
    const started = Date.now();
    expect(refusal({ name: `${'a'.repeat(5000)}!` })).toMatch(/^invalid collection name/);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("checks the dissemination counts as Fabric does, maximum before required's sign", () => {
    expect(refusal({ name: 'c', requiredPeerCount: 3, maximumPeerCount: 2 })).toBe('collection-name: c -- maximum peer count (2) cannot be less than the required peer count (3)');
    expect(refusal({ name: 'c', requiredPeerCount: -1, maximumPeerCount: 0 })).toBe('collection-name: c -- requiredPeerCount (-1) cannot be less than zero');
    expect(refusal({ name: 'c', requiredPeerCount: -2, maximumPeerCount: -3 })).toBe('collection-name: c -- maximum peer count (-3) cannot be less than the required peer count (-2)');
  });

  it('needs a member orgs policy that compiles and only ORs principals of supported types', () => {
    expect(refusal({ name: 'c', policy: null })).toBe("collection member policy is not set for collection 'c'");
    const withEmptyPolicy = staticCollection({ name: 'c' });
    withEmptyPolicy.getMemberOrgsPolicy()!.clearSignaturePolicy();
    expect(refusal(withEmptyPolicy)).toBe("collection member org policy is empty for collection 'c'");
    expect(refusal({ name: 'c', policy: "AND('Org1MSP.member', 'Org2MSP.member')" })).toBe(
      'collection-name: c -- error in member org policy: signature policy is not an OR concatenation, NOutOf 2',
    );
    expect(refusal({ name: 'c', policy: "OR('Org1MSP.member', AND('Org1MSP.admin', 'Org2MSP.admin'))" })).toMatch(/not an OR concatenation, NOutOf 2$/);

    const outOfRange = parsePolicyExpression(BOTH_ORGS);
    outOfRange.setRule(nOutOf(1, [signedBy(0), signedBy(2)]));
    expect(refusal({ name: 'c', policy: outOfRange })).toBe("invalid member org policy for collection 'c': identity index out of range, requested 2, but identities length is 2");
    const noRule = parsePolicyExpression(BOTH_ORGS);
    noRule.clearRule();
    expect(refusal({ name: 'c', policy: noRule })).toBe("invalid member org policy for collection 'c': Empty policy element");

    const anonymity = parsePolicyExpression(BOTH_ORGS);
    anonymity.getIdentitiesList()[1].setPrincipalClassification(MSPPrincipal.Classification.ANONYMITY);
    expect(refusal({ name: 'c', policy: anonymity })).toBe('collection-name: c -- principal type ANONYMITY is not supported');
    const garbled = parsePolicyExpression(BOTH_ORGS);
    garbled.getIdentitiesList()[0].setPrincipal(new Uint8Array([0x0a, 0xff]));
    expect(refusal({ name: 'c', policy: garbled })).toMatch(/^collection-name: c -- cannot unmarshal identity bytes into MSPRole: /);
  });

  it('refuses a package entry that is not a static collection config', () => {
    const pkg = collectionPackage({ name: 'ok' });
    pkg.addConfig(new CollectionConfig());
    expect(() => parseCollections(pkg)).toThrow('collection config contains unexpected payload type: <nil>');
    // Described without judging: CheckCommitReadiness compares what it is given.
    expect(describeCollections(pkg).map((c) => c.name)).toEqual(['ok']);
  });

  it("builds Fabric's implicit org collection for `_implicit_org_<msp>`, and finds explicit ones by name", () => {
    const def = defWith(collectionPackage({ name: 'secrets', blockToLive: 5 }));
    expect(implicitCollectionName('Org1MSP')).toBe('_implicit_org_Org1MSP');
    expect(collectionOf(def, '_implicit_org_Org1MSP')).toEqual({
      name: '_implicit_org_Org1MSP',
      memberMspIds: ['Org1MSP'],
      // Fabric's policydsl.SignedByMspMember, byte for byte what OR('Org1MSP.member') compiles to.
      memberOrgsPolicy: compilePolicyExpression("OR('Org1MSP.member')"),
      requiredPeerCount: 0,
      maximumPeerCount: 1,
      blockToLive: 0,
      memberOnlyRead: false,
      memberOnlyWrite: false,
    });
    expect(collectionOf(defWith(), implicitCollectionName('Org2MSP'))?.memberMspIds).toEqual(['Org2MSP']);
    expect(collectionOf(def, 'secrets')?.blockToLive).toBe(5);
    expect(collectionOf(def, 'other')).toBeUndefined();
  });

  it("endorses implicit collection writes under the org's own Endorsement policy, else any member of the org", () => {
    const resources = (policies: readonly string[]) =>
      ({
        config: { applicationOrgs: [{ name: 'Org1', mspId: 'Org1MSP' }, { name: 'Org2', mspId: 'Org2MSP' }] },
        policies: { getPolicy: (path: string) => (policies.includes(path) ? {} : undefined) },
      }) as unknown as ChannelResources;
    const withOrgPolicy = ApplicationPolicy.deserializeBinary(implicitCollectionEndorsementPolicy(resources(['/Channel/Application/Org2/Endorsement']), 'Org2MSP')!);
    expect(withOrgPolicy.getChannelConfigPolicyReference()).toBe('/Channel/Application/Org2/Endorsement');
    const upgraded = ApplicationPolicy.deserializeBinary(implicitCollectionEndorsementPolicy(resources([]), 'Org2MSP')!);
    expect(upgraded.getSignaturePolicy()?.serializeBinary()).toEqual(compilePolicyExpression("OR('Org2MSP.member')"));
    expect(implicitCollectionEndorsementPolicy(resources([]), 'Org3MSP')).toBeUndefined();
  });

  it('stores collections with the definition and compares them as Fabric compares the marshalled package', () => {
    const pkg = collectionPackage({ name: 'secrets', blockToLive: 5 }, { name: 'more' });
    const def = defWith(pkg);
    const stored = decodeDefinition(encodeDefinition(def));
    expect(stored.collectionsBytes).toEqual(pkg.serializeBinary());
    expect(stored.collections.map((c) => c.name)).toEqual(['secrets', 'more']);
    // Without collections, the stored bytes are those of a definition from before collections.
    expect(CommitChaincodeDefinitionArgs.deserializeBinary(encodeDefinition(defWith())).hasCollections()).toBe(false);
    expect(definitionMismatches(defWith(), defWith(new CollectionConfigPackage()))).toEqual([]);

    const reordered = defWith(collectionPackage({ name: 'more' }, { name: 'secrets', blockToLive: 5 }));
    expect(definitionMismatches(def, reordered)).toEqual(['Collections']);
    expect(definitionMismatches(def, defWith())).toEqual(['Collections']);
    expect(definitionMismatches(def, { ...reordered, version: '2.0' })).toEqual(['EndorsementInfo', 'Collections']);
    expect(parameterMismatch(def, reordered)).toBe('Collections do not match');
    expect(parameterMismatch(def, defWith(collectionPackage({ name: 'secrets', blockToLive: 5 }, { name: 'more' })))).toBeUndefined();
  });

  it('keeps every committed collection and its block-to-live at a new sequence, and allows new ones', () => {
    const committed = parseCollections(collectionPackage({ name: 'secrets', blockToLive: 10 }, { name: 'more' }));
    const check = (...specs: CollectionSpec[]) => () => checkCollectionsAgainstCommitted(parseCollections(collectionPackage(...specs)), committed);
    expect(check()).toThrow('the proposed collection config does not contain previously defined collections');
    expect(check({ name: 'secrets', blockToLive: 10 })).toThrow('existing collection [more] missing in the proposed collection configuration');
    expect(check({ name: 'more' }, { name: 'secrets', blockToLive: 11 })).toThrow('the BlockToLive in an existing collection [secrets] modified. Existing value [10]');
    expect(check({ name: 'more', policy: "OR('Org1MSP.member')", maximumPeerCount: 4 }, { name: 'secrets', blockToLive: 10 }, { name: 'new' })).not.toThrow();
    expect(() => checkCollectionsAgainstCommitted([], [])).not.toThrow();
  });

  it('counts an identity principal as a member of its MSP (the channel check asks whether it deserializes)', () => {
    const identity = new SerializedIdentity();
    identity.setMspid('Org3MSP');
    identity.setIdBytes(new TextEncoder().encode('-----BEGIN CERTIFICATE-----'));
    const envelope = parsePolicyExpression(BOTH_ORGS);
    envelope.getIdentitiesList()[0].setPrincipalClassification(MSPPrincipal.Classification.IDENTITY);
    envelope.getIdentitiesList()[0].setPrincipal(identity.serializeBinary());
    expect(parseCollections(collectionPackage({ name: 'c', policy: envelope }))[0].memberMspIds).toEqual(['Org3MSP', 'Org2MSP']);
  });
});
