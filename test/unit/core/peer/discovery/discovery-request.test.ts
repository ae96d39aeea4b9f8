import type { SignaturePolicyEnvelope } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { Query } from '@hyperledger/fabric-protos/lib/discovery/protocol_pb';
import { decodeRequest, decodeSignedRequest } from '../../../../../core/peer/discovery/discovery-request';
import { encodeSignatureEnvelope } from '../../../../../core/protocol/policy-wire';
import { cat, len, tag, varint, vint } from '../../../../support/raw-protobuf';

/*
 * A Fabric peer reads the Discover request with protobuf-go (grpc-go's codec for the SignedRequest,
 * `protoext.SignedRequestToRequest` → `proto.Unmarshal` for its payload, discovery/service.go:233).
 * protobuf-go (internal/impl/decode.go) skips a known field arriving with another wire type as an
 * unknown field, refuses a proto3 `string` that is not UTF-8 (codec_gen.go `consumeStringValidateUTF8`),
 * merges the occurrences of a singular message, and for a oneof merges into the member already set
 * but replaces another one (codec_field.go `makeMessageFieldCoder` / oneof `unmarshal`).
 */

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const call = (...fields: Uint8Array[]): Uint8Array => len(1, cat(...fields));
const interest = (...calls: Uint8Array[]): Uint8Array => cat(...calls);
const ccQuery = (...interests: Uint8Array[]): Uint8Array => len(4, cat(...interests.map((i) => len(1, i))));
const names = (q: Query): string[][] => (q.getCcQuery()?.getInterestsList() ?? []).map((i) => i.getChaincodesList().map((c) => c.getName()));

describe('discovery requests decoded as protobuf-go decodes them', () => {
  it('skips a known field with another wire type instead of refusing the request', () => {
    const auth = len(1, cat(vint(1, 5), len(1, text('creator')), vint(2, 1)));
    // config_query as a varint: unknown, so the query has no type; then a ChaincodeCall with mistyped fields.
    const q1 = len(2, cat(len(1, text('ch')), vint(2, 0)));
    const q2 = len(2, cat(len(1, text('ch')), ccQuery(interest(call(vint(1, 7), len(1, text('kv')), len(3, text('x')), vint(6, 1), vint(5, 3)))), len(5, Uint8Array.of(0x08, 0x01))));
    const request = decodeRequest(cat(auth, q1, q2));
    expect(Buffer.from(request.getAuthentication()?.getClientIdentity_asU8() ?? [])).toEqual(Buffer.from('creator'));
    const [first, second] = request.getQueriesList();
    expect(first.getQueryCase()).toBe(Query.QueryCase.QUERY_NOT_SET);
    expect(second.getQueryCase()).toBe(Query.QueryCase.LOCAL_PEERS);
  });

  it('refuses a string that is not UTF-8 anywhere in the request', () => {
    const bad = Uint8Array.of(0x63, 0xff);
    expect(() => decodeRequest(len(2, len(1, bad)))).toThrow(/UTF-8/);
    expect(() => decodeRequest(len(2, ccQuery(interest(call(len(1, bad))))))).toThrow(/UTF-8/);
    expect(() => decodeRequest(len(2, ccQuery(interest(call(len(1, text('kv')), len(2, bad))))))).toThrow(/UTF-8/);
    // Bytes fields carry anything.
    expect(decodeSignedRequest(cat(len(1, bad), len(2, bad))).getPayload_asU8()).toEqual(bad);
  });

  it('merges a singular message seen twice: the auth info, a peer query filter', () => {
    const auth = cat(len(1, len(1, text('creator'))), len(1, len(2, text('hash'))));
    // peer_query{filter: {kv}}, then peer_query{} again: the filter stays.
    const peers = len(2, cat(len(3, len(1, call(len(1, text('kv'))))), len(3, new Uint8Array(0))));
    const request = decodeRequest(cat(auth, peers));
    expect(Buffer.from(request.getAuthentication()?.getClientIdentity_asU8() ?? [])).toEqual(Buffer.from('creator'));
    expect(Buffer.from(request.getAuthentication()?.getClientTlsCertHash_asU8() ?? [])).toEqual(Buffer.from('hash'));
    expect(request.getQueriesList()[0].getPeerQuery()?.getFilter()?.getChaincodesList().map((c) => c.getName())).toEqual(['kv']);
  });

  it('merges a oneof member seen again, and starts afresh after another member', () => {
    const a = interest(call(len(1, text('a'))));
    const b = interest(call(len(1, text('b'))));
    const [same, switched] = decodeRequest(cat(len(2, cat(ccQuery(a), ccQuery(b))), len(2, cat(ccQuery(a), len(2, new Uint8Array(0)), ccQuery(b))))).getQueriesList();
    expect(names(same)).toEqual([['a'], ['b']]);
    expect(names(switched)).toEqual([['b']]);
    const [config] = decodeRequest(len(2, cat(ccQuery(a), len(2, new Uint8Array(0))))).getQueriesList();
    expect(config.getQueryCase()).toBe(Query.QueryCase.CONFIG_QUERY);
    // A replaced member was decoded all the same: a bad string in it fails the request.
    expect(() => decodeRequest(len(2, cat(ccQuery(interest(call(len(1, Uint8Array.of(0xff))))), len(2, new Uint8Array(0)))))).toThrow(/cc_query.*UTF-8/);
  });

  it('refuses bad framing inside a member with no fields, as protobuf-go still reads it', () => {
    expect(() => decodeRequest(len(2, len(5, Uint8Array.of(0x0a, 0x05))))).toThrow(/signed_request\.payload\.queries\[0\]\.local_peers/);
  });

  it("reads a key policy as deep as protobuf-go's 10000 nested messages, counting the five around it", () => {
    // A gate nests as SignaturePolicy{n_out_of: NOutOf{rules: [SignaturePolicy…]}}: two messages per level.
    const signedBy0 = cat(tag(1, 0), varint(0));
    const emptyGate = len(2, new Uint8Array(0));
    const keyPolicy = (gates: number, innermost: Uint8Array): Uint8Array => {
      // Prefixes only (each level ends where its child does), built outwards, joined once.
      const prefixes: number[][] = [];
      let size = innermost.length;
      for (let i = 0; i < gates; i++) {
        const gate = [...vint(1, 1), ...tag(2, 2), ...varint(size)];
        size += gate.length;
        const rule = [...tag(2, 2), ...varint(size)];
        prefixes.push(gate, rule);
        size += rule.length;
      }
      return cat(tag(2, 2), varint(size), ...prefixes.reverse(), innermost);
    };
    const request = (policy: Uint8Array): Uint8Array => len(2, ccQuery(interest(call(len(1, text('kv')), len(5, policy)))));
    // Request, Query, ChaincodeQuery, interest, call, envelope: 6; the innermost rule at 7 + 2 × gates, an empty gate in it one deeper.
    const deepest = decodeRequest(request(keyPolicy(4996, emptyGate))).getQueriesList()[0].getCcQuery()?.getInterestsList()[0].getChaincodesList()[0].getKeyPoliciesList()[0];
    // Re-encoded without recursion (google-protobuf's getters would overflow the stack this deep): every gate is there.
    expect(Buffer.from(encodeSignatureEnvelope(deepest as SignaturePolicyEnvelope))).toEqual(Buffer.from(keyPolicy(4996, emptyGate)));
    expect(() => decodeRequest(request(keyPolicy(4997, signedBy0)))).toThrow(/maximum recursion depth/);
  });
});
