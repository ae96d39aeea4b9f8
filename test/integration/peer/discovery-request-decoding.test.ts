import * as grpc from '@grpc/grpc-js';
import { type QueryResult, Response } from '@hyperledger/fabric-protos/lib/discovery/protocol_pb';
import { SerializedIdentity } from '@hyperledger/fabric-protos/lib/msp/identities_pb';
import type { Signer } from '../../../core/protocol/signer';
import { cat, len, vint } from '../../support/raw-protobuf';
import { deployChaincodeInProcess, deployKvInProcess, type InProcessNetwork, startInProcessNetwork } from './in-process-network';
import { CHANNEL, KV_EVENTS_DIR, eventually, signerOf } from './network-fixture';

/*
 * Discover requests written byte by byte, answered as a Fabric peer answers them. Fabric reads the
 * request with protobuf-go (grpc-go's codec, then `proto.Unmarshal` of the payload in
 * `validateStructure`, discovery/service.go:233): a known field with another wire type is skipped,
 * a string that is not UTF-8 fails the request ("failed parsing request"), a singular message seen
 * twice is merged, and a oneof member seen again is merged unless another member came between.
 * Then the chaincode queries of implicit org collections, as Fabric's discovery plans them
 * (core/chaincode/lifecycle/metadata_provider.go `Metadata`: the collection's policy is
 * `SignedByMspMember(org)`, standing in for the chaincode's).
 */

const DISCOVER = '/discovery.Discovery/Discover';
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const EMPTY = new Uint8Array(0);

/** `Request{authentication, queries}` from raw parts, signed by `signer`, as a `SignedRequest`. */
function signed(signer: Signer, ...parts: Uint8Array[]): Uint8Array {
  const payload = cat(...parts);
  return cat(len(1, payload), len(2, signer.sign(payload)));
}
const auth = (signer: Signer): Uint8Array => len(1, len(1, signer.serialized));
const query = (channel: Uint8Array, ...members: Uint8Array[]): Uint8Array => len(2, cat(len(1, channel), ...members));
const configQuery = len(2, EMPTY);
/** `cc_query{interests: [{chaincodes: calls}]}`, each call a ChaincodeCall's raw fields. */
const ccQuery = (...calls: Uint8Array[][]): Uint8Array => len(4, len(1, cat(...calls.map((c) => len(1, cat(...c))))));
const call = (name: string, ...fields: Uint8Array[]): Uint8Array[] => [len(1, text(name)), ...fields];

function discover(client: grpc.Client, request: Uint8Array): Promise<QueryResult[]> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      DISCOVER,
      (b: Uint8Array) => Buffer.from(b),
      (b: Buffer) => Response.deserializeBinary(b),
      request,
      new grpc.Metadata(),
      { deadline: Date.now() + 10_000 },
      (err, res) => (err ? reject(err) : resolve((res as Response).getResultsList())),
    );
  });
}

/** Each result as its error, or its descriptors' layouts as the orgs of the peers each needs (sorted). */
function describe_(results: readonly QueryResult[]): (string | string[][][] | 'config')[] {
  return results.map((r) => {
    const error = r.getError()?.getContent();
    if (error !== undefined) return error;
    if (r.getConfigResult() !== undefined) return 'config';
    return (r.getCcQueryRes()?.getContentList() ?? []).map((d) => {
      const orgs = new Map([...d.getEndorsersByGroupsMap().entries()].map(([g, peers]) => [g, peers.getPeersList().map((p) => SerializedIdentity.deserializeBinary(p.getIdentity_asU8()).getMspid())]));
      return d.getLayoutsList().map((l) => [...l.getQuantitiesByGroupMap().entries()].flatMap(([g, n]) => Array<string>(n).fill((orgs.get(g) ?? []).join('|'))).sort());
    });
  });
}

describe('Discover requests decoded as protobuf-go decodes them', () => {
  let net: InProcessNetwork;
  let user1: Signer;

  beforeAll(async () => {
    net = await startInProcessNetwork({ prefix: 'weft-discovery-decoding-', peerSection: { discovery: { membershipIntervalMs: 200, membershipExpiryMs: 5000 } } });
    await deployKvInProcess(net);
    // A chaincode whose own policy is exactly what Fabric's discovery gives Org1's implicit collection.
    await deployChaincodeInProcess(net, { projectDir: KV_EVENTS_DIR, label: 'kvorg1_1', name: 'kvorg1', policy: "OR('Org1MSP.member')" });
    user1 = signerOf(net.m.orgs[0]);
    // Both peers known with both chaincodes before any chaincode query.
    const both = signed(user1, auth(user1), query(text(CHANNEL), ccQuery(call('kv'))), query(text(CHANNEL), ccQuery(call('kvorg1'))));
    await eventually(async () => expect(describe_(await discover(net.clients[0], both))).toEqual([[[['Org1MSP', 'Org2MSP']]], [[['Org1MSP']]]]));
  }, 180_000);

  afterAll(() => net?.close());

  it('merges the authentication info sent in two parts', async () => {
    // Identity in the first AuthInfo, a TLS hash (unchecked without mutual TLS) in the second.
    const request = signed(user1, auth(user1), len(1, len(2, text('hash'))), query(text(CHANNEL), configQuery));
    expect(describe_(await discover(net.clients[0], request))).toEqual(['config']);
  });

  it('skips a query type or a chaincode call field sent with another wire type, answering the rest', async () => {
    const results = await discover(
      net.clients[0],
      signed(
        user1,
        auth(user1),
        query(text(CHANNEL), vint(2, 0)),
        query(text(CHANNEL), ccQuery(call('kv', len(3, text('yes')), len(6, EMPTY)))),
        query(text(CHANNEL), configQuery),
      ),
    );
    expect(describe_(results)).toEqual(['unknown or missing request type', [[['Org1MSP', 'Org2MSP']]], 'config']);
  });

  it('refuses the whole request when a channel name is not UTF-8', async () => {
    const request = signed(user1, auth(user1), query(Uint8Array.of(0x6d, 0xff), configQuery), query(text(CHANNEL), configQuery));
    await expect(discover(net.clients[0], request)).rejects.toMatchObject({ code: grpc.status.UNKNOWN, details: expect.stringMatching(/^failed parsing request: .*UTF-8/) });
  });

  it("answers a SignedRequest that does not decode as grpc-go's codec does: INTERNAL, before the service runs", async () => {
    await expect(discover(net.clients[0], Uint8Array.of(0x0a, 0x05, 0x01))).rejects.toMatchObject({
      code: grpc.status.INTERNAL,
      details: expect.stringMatching(/^grpc: error unmarshalling request: .*runs past the end/),
    });
  });

  it('merges a chaincode query sent twice, and keeps only the last after another query type came between', async () => {
    const results = await discover(
      net.clients[0],
      signed(user1, auth(user1), query(text(CHANNEL), ccQuery(call('kv')), ccQuery(call('kvorg1'))), query(text(CHANNEL), ccQuery(call('nope')), configQuery, ccQuery(call('kvorg1')))),
    );
    expect(describe_(results)).toEqual([[[['Org1MSP', 'Org2MSP']], [['Org1MSP']]], [[['Org1MSP']]]]);
  });

  it("plans a write to an implicit org collection under any member of that org, in place of the chaincode's policy", async () => {
    const implicit = (msp: string): Uint8Array => len(2, text(`_implicit_org_${msp}`));
    const results = await discover(
      net.clients[1],
      signed(
        user1,
        auth(user1),
        // Read from Org2's collection: only Org2's members may endorse, and one of them suffices.
        query(text(CHANNEL), ccQuery(call('kv', implicit('Org2MSP')))),
        // Written without reading into both orgs' collections: one peer of each.
        query(text(CHANNEL), ccQuery(call('kv', implicit('Org1MSP'), implicit('Org2MSP'), vint(3, 1)))),
        // An org not on the channel: no peer is its member.
        query(text(CHANNEL), ccQuery(call('kv', implicit('Org9MSP'), vint(3, 1)))),
      ),
    );
    expect(describe_(results)).toEqual([
      [[['Org2MSP']]],
      [[['Org1MSP', 'Org2MSP']]],
      'failed constructing descriptor for chaincodes:{name:"kv" collection_names:"_implicit_org_Org9MSP" no_private_reads:true}',
    ]);
  });

  it("counts an implicit collection's policy equal to the chaincode's own once, as Fabric compares them by their bytes", async () => {
    // A collection without a policy of its own (here, none by that name: a write, no read) brings the
    // chaincode's. Fabric drops the first policy for DisregardNamespacePolicy and refuses when only one is left.
    const request = (name: string): Uint8Array =>
      query(text(CHANNEL), ccQuery(call(name, len(2, text('nosuch')), len(2, text('_implicit_org_Org1MSP')), vint(3, 1), vint(6, 1))));
    const results = await discover(net.clients[0], signed(user1, auth(user1), request('kvorg1'), request('kv')));
    expect(describe_(results)).toEqual([
      'failed constructing descriptor for chaincodes:{name:"kvorg1" collection_names:"nosuch" collection_names:"_implicit_org_Org1MSP" no_private_reads:true disregard_namespace_policy:true}',
      [[['Org1MSP']]],
    ]);
  });
});
