/**
 * Collection checks and encodings that hold at any depth Go's decoder allows (no stack overflow,
 * byte for byte google-protobuf's encoding where it does not overflow), and Fabric's check order:
 * each collection wholly, its members' channel membership included, before the next.
 */
import { SignaturePolicy, SignaturePolicyEnvelope } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import type { Channel } from '../../../../../core/peer/channel/channel';
import { decodeCollectionPackage, encodeCollectionPackage } from '../../../../../core/peer/lifecycle/collection-wire';
import { parseCollections } from '../../../../../core/peer/lifecycle/collections';
import { validateDefinitionInput } from '../../../../../core/peer/lifecycle/lifecycle-rules';
import type { ChaincodeDefinition } from '../../../../../core/peer/lifecycle/lifecycle-state';
import { decodeApplicationPolicy, decodeSignatureEnvelope, encodeSignatureEnvelope } from '../../../../../core/protocol/policy-wire';
import { parsePolicyExpression } from '../../../../../core/policy/policy-expression';
import { lenField, message, stringField, uintField } from '../../../../../core/protocol/wire-writer';
import { configBytes, deepRule, envelopeBytes, packageBytes, staticCollectionBytes } from '../../../../support/deep-policy-bytes';
import { collectionPackage } from '../../../../support/lifecycle-collections';
import { testChaincodeDefinition } from '../../../../support/chaincode-definition';

/** A channel of Org1MSP and Org2MSP that deserializes no identity and defines every policy. */
const channel = {
  id: 'ch1',
  resources: () => ({
    msps: { getMsp: (id: string) => (['Org1MSP', 'Org2MSP'].includes(id) ? {} : undefined), mspIds: () => ['Org1MSP', 'Org2MSP'] },
    deserializer: {
      deserializeIdentity: () => {
        throw new Error('unknown');
      },
    },
    policies: { getPolicy: () => ({}) },
  }),
} as unknown as Channel;

const definition: ChaincodeDefinition = testChaincodeDefinition('cc', { validationParameter: new Uint8Array(0) });

const deepPackage = (gates: number, n = 1): Uint8Array => packageBytes(configBytes(staticCollectionBytes('deep', envelopeBytes(deepRule(gates, n)))));

describe('collections at any depth', () => {
  it('parses and describes a member orgs policy 4997 gates deep', () => {
    const pkg = decodeCollectionPackage(deepPackage(4997), 'pkg');
    const [c] = parseCollections(pkg);
    expect(c?.memberMspIds).toEqual(['Org1MSP']);
    expect(c?.memberOrgsPolicy).toEqual(envelopeBytes(deepRule(4997)));
    expect(encodeCollectionPackage(pkg)).toEqual(deepPackage(4997));
  });

  it("finds an AND at the bottom of a deep policy, with Fabric's message", () => {
    const pkg = decodeCollectionPackage(deepPackage(4997, 2), 'pkg');
    expect(() => parseCollections(pkg)).toThrow('collection-name: deep -- error in member org policy: signature policy is not an OR concatenation, NOutOf 2');
  });

  it('checks each collection against the channel before judging the next, as Fabric does', () => {
    const pkg = collectionPackage({ name: 'a', policy: "OR('Org3MSP.member')" }, { name: 'b' }, { name: 'b' });
    expect(() => validateDefinitionInput('cc', '1.0', pkg, channel, undefined)).toThrow(
      "error validating chaincode definition: collection-name: a -- collection member 'Org3MSP' is not part of the channel",
    );
  });

  it("checks a collection's principals in turn: a foreign org before a later unsupported principal", () => {
    const envelope = parsePolicyExpression("OR('Org3MSP.member', 'Org1MSP.member')");
    envelope.getIdentitiesList()[1]?.setPrincipalClassification(7 as never);
    expect(() => validateDefinitionInput('cc', '1.0', collectionPackage({ name: 'a', policy: envelope }), channel, undefined)).toThrow(
      "collection-name: a -- collection member 'Org3MSP' is not part of the channel",
    );
  });

  it("judges Weft's own endorsement policy check after every Fabric check, the committed collections' too", () => {
    const pkg = collectionPackage({ name: 'a', endorsement: '/Channel/Application/Nowhere' });
    const committed = { ...definition, collections: parseCollections(collectionPackage({ name: 'z' })) };
    const nowhere = { ...channel, resources: () => ({ ...channel.resources(), policies: { getPolicy: () => undefined } }) } as unknown as Channel;
    expect(() => validateDefinitionInput('cc', '1.0', pkg, nowhere, committed)).toThrow('existing collection [z] missing in the proposed collection configuration');
    expect(() => validateDefinitionInput('cc', '1.0', pkg, nowhere, undefined)).toThrow("endorsement policy '/Channel/Application/Nowhere' is not defined");
  });
});

describe('member principals, decoded as protobuf-go', () => {
  const withRole = (role: Uint8Array): ReturnType<typeof parsePolicyExpression> => {
    const envelope = parsePolicyExpression("OR('Org1MSP.member')");
    envelope.getIdentitiesList()[0]?.setPrincipal(role);
    return envelope;
  };

  it('skip a known field with another wire type', () => {
    // msp_identifier "Org1MSP", then role (2, a varint) sent length-delimited: unknown to protobuf-go.
    const role = Uint8Array.from([...message(stringField(1, 'Org1MSP')), ...message(lenField(2, Uint8Array.of(1), false))]);
    const [c] = parseCollections(collectionPackage({ name: 'a', policy: withRole(role) }));
    expect(c?.memberMspIds).toEqual(['Org1MSP']);
    expect(() => validateDefinitionInput('cc', '1.0', collectionPackage({ name: 'a', policy: withRole(role) }), channel, undefined)).not.toThrow();
  });

  it('refuse an msp id that is not UTF-8, as Fabric cannot unmarshal it', () => {
    const role = message(lenField(1, Uint8Array.of(0x4f, 0xff), false));
    expect(() => parseCollections(collectionPackage({ name: 'a', policy: withRole(role) }))).toThrow('collection-name: a -- cannot unmarshal identity bytes into MSPRole');
  });
});

describe('policy encodings', () => {
  it("writes what google-protobuf's serializeBinary writes", () => {
    const pkg = collectionPackage(
      { name: 'a', requiredPeerCount: -1, maximumPeerCount: 3, blockToLive: 2 ** 40, memberOnlyRead: true, memberOnlyWrite: true, endorsement: "AND('Org1MSP.peer', OutOf(0, 'Org2MSP.admin'))" },
      { name: 'b', endorsement: '/Channel/Application/Endorsement' },
      { name: 'c', policy: null },
    );
    expect(encodeCollectionPackage(pkg)).toEqual(pkg.serializeBinary());
    const envelope = parsePolicyExpression("OutOf(2, 'Org1MSP.member', AND('Org2MSP.peer', 'Org1MSP.admin'))");
    envelope.setVersion(-3);
    expect(encodeSignatureEnvelope(envelope)).toEqual(envelope.serializeBinary());
    expect(encodeSignatureEnvelope(new SignaturePolicyEnvelope())).toEqual(new Uint8Array(0));
  });

  it('follows oneof switches as protobuf-go does: the same member merges, the other starts afresh', () => {
    const gate = (n: number): Uint8Array => message(lenField(2, message(uintField(1, n)), false));
    // rule: n_out_of{n:2}, signed_by 0, n_out_of{} → a fresh, empty gate; n_out_of{n:2}, n_out_of{} → n stays 2.
    const switched = decodeSignatureEnvelope(message(lenField(2, Uint8Array.from([...gate(2), 0x08, 0x00, ...gate(0)]), false)), 'env');
    expect(switched.getRule()?.getTypeCase()).toBe(SignaturePolicy.TypeCase.N_OUT_OF);
    expect(switched.getRule()?.getNOutOf()?.getN()).toBe(0);
    const merged = decodeSignatureEnvelope(message(lenField(2, Uint8Array.from([...gate(2), ...gate(0)]), false)), 'env');
    expect(merged.getRule()?.getNOutOf()?.getN()).toBe(2);
    const reference = Uint8Array.from([...message(lenField(1, envelopeBytes(deepRule(1)), false)), ...message(lenField(2, Uint8Array.of(0x2f), false))]);
    expect(decodeApplicationPolicy(reference, 'ap').getChannelConfigPolicyReference()).toBe('/');
    expect(decodeApplicationPolicy(reference, 'ap').getSignaturePolicy()).toBeUndefined();
  });
});
