/**
 * Stored `_lifecycle` definitions decode as protobuf-go decodes them on Fabric's peers: as deep as
 * Go's limit of 10000 nested messages, no deeper, whatever stack the caller has left; a known field
 * with another wire type skipped; a repeated singular message merged; a string that is not UTF-8
 * refused. The collection config package holds the deepest messages: definition (1), package (2),
 * CollectionConfig (3), StaticCollectionConfig (4), CollectionPolicyConfig (5), envelope (6), then
 * a rule and a gate per level, the innermost rule at 7 + 2·gates: 4996 gates fit, 4997 do not.
 */
import { SignaturePolicy } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { decodeCollectionPackage } from '../../../../../core/peer/lifecycle/collection-wire';
import { definitionIn, encodeDefinition, readDefinition } from '../../../../../core/peer/lifecycle/lifecycle-state';
import { lenField, message, uintField } from '../../../../../core/protocol/wire-writer';
import { commitArgsBytes, configBytes, deepRule, envelopeBytes, packageBytes, staticCollectionBytes } from '../../../../support/deep-policy-bytes';

const deepDefinition = (gates: number): Uint8Array => commitArgsBytes(packageBytes(configBytes(staticCollectionBytes('deep', envelopeBytes(deepRule(gates))))));

/** Nested gates of the decoded member orgs policy. */
function gatesOf(rule: SignaturePolicy | undefined): number {
  let n = 0;
  for (let r = rule; r?.getTypeCase() === SignaturePolicy.TypeCase.N_OUT_OF; r = r.getNOutOf()?.getRulesList()[0]) n++;
  return n;
}

describe('stored _lifecycle definitions decode as protobuf-go', () => {
  it('reads a collection policy 4996 gates deep, as Fabric does, and writes it back byte for byte', () => {
    const bytes = deepDefinition(4996);
    const def = definitionIn(bytes);
    expect(def?.collections.map((c) => c.name)).toEqual(['deep']);
    expect(def?.collections[0]?.memberMspIds).toEqual(['Org1MSP']);
    expect(encodeDefinition(def!)).toEqual(bytes);
  });

  it('reads it the same with most of the stack already used', () => {
    const bytes = deepDefinition(4996);
    const nested = (depth: number): ReturnType<typeof definitionIn> => (depth === 0 ? definitionIn(bytes) : nested(depth - 1));
    expect(nested(5000)?.collections.map((c) => c.name)).toEqual(['deep']);
  });

  it('finds no definition one gate deeper, past Go’s limit', () => {
    expect(definitionIn(deepDefinition(4997))).toBeUndefined();
    expect(readDefinition({ getState: () => deepDefinition(4997) }, 'cc')).toBeUndefined();
  });

  it('skips a known field with another wire type, as protobuf-go does', () => {
    // block_to_live (5, a varint) sent length-delimited: an unknown field to protobuf-go.
    const odd = staticCollectionBytes('c1', envelopeBytes(deepRule(1)), message(lenField(5, Uint8Array.of(1, 2), false)));
    const def = definitionIn(commitArgsBytes(packageBytes(configBytes(odd))));
    expect(def?.collections.map((c) => [c.name, c.blockToLive])).toEqual([['c1', 0]]);
  });

  it('merges a repeated static_collection_config, as protobuf-go does', () => {
    const first = staticCollectionBytes('c1', envelopeBytes(deepRule(1)));
    const second = message(uintField(5, 7));
    const def = definitionIn(commitArgsBytes(packageBytes(configBytes(first, second))));
    expect(def?.collections.map((c) => [c.name, c.blockToLive, c.memberMspIds])).toEqual([['c1', 7, ['Org1MSP']]]);
  });

  it('refuses a collection name that is not UTF-8, as protobuf-go does', () => {
    const bad = Uint8Array.from([...message(lenField(1, Uint8Array.of(0x63, 0xff), false))]);
    expect(definitionIn(commitArgsBytes(packageBytes(configBytes(bad))))).toBeUndefined();
  });

  it('merges repeated gates inside a member orgs policy', () => {
    // rule { n_out_of { n: 1 } } then rule { n_out_of { rules: [signed_by 0] } }: one gate with both.
    const rule = Uint8Array.from([...message(lenField(2, message(uintField(1, 1)), false)), ...message(lenField(2, message(lenField(2, Uint8Array.of(0x08, 0x00), false)), false))]);
    const def = definitionIn(commitArgsBytes(packageBytes(configBytes(staticCollectionBytes('c1', message(lenField(2, rule, false)))))));
    expect(def?.collections[0]?.memberOrgsPolicy).toEqual(message(lenField(2, deepRule(1), false)));
  });

  it('decodes every gate of the deepest package on its own (one level less: 4997 gates)', () => {
    const pkg = decodeCollectionPackage(packageBytes(configBytes(staticCollectionBytes('deep', envelopeBytes(deepRule(4997))))), 'pkg');
    const rule = pkg.getConfigList()[0]?.getStaticCollectionConfig()?.getMemberOrgsPolicy()?.getSignaturePolicy()?.getRule();
    expect(gatesOf(rule)).toBe(4997);
    expect(() => decodeCollectionPackage(packageBytes(configBytes(staticCollectionBytes('deep', envelopeBytes(deepRule(4998))))), 'pkg')).toThrow(
      expect.objectContaining({ code: 'PROTOCOL_MALFORMED', message: expect.stringContaining('exceeded maximum recursion depth') }),
    );
  });
});
