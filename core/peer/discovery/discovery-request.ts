import { SignaturePolicyEnvelope } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { AuthInfo, ChaincodeQuery, ConfigQuery, LocalPeerQuery, PeerMembershipQuery, Query, Request, SignedRequest } from '@hyperledger/fabric-protos/lib/discovery/protocol_pb';
import { ChaincodeCall, ChaincodeInterest } from '@hyperledger/fabric-protos/lib/peer/proposal_response_pb';
import { decodeSignatureEnvelopeInto } from '../../protocol/policy-wire';
import { LEN, type MessageBytes, VARINT, WireReader } from '../../protocol/wire-reader';

/*
 * The client's side of `discovery.Discovery/Discover` decoded as a Fabric peer decodes it: grpc-go's
 * codec and `protoext.SignedRequestToRequest` both call protobuf-go's `proto.Unmarshal`. google-protobuf
 * parts from it on bytes any client can write, and a discovery client is anyone who can reach the
 * peer: it throws on a known field with another wire type (protobuf-go skips it as unknown), reads a
 * `string` that is not UTF-8 (protobuf-go refuses the whole message), replaces a singular message
 * seen twice (protobuf-go merges the occurrences) and, in `Query`'s `query` oneof, keeps only the
 * last occurrence of a member (protobuf-go merges into the member when it is the one already set,
 * and starts afresh when another member was). Each message here is read with {@link WireReader},
 * which decodes as protobuf-go; a singular message's occurrences are gathered and read together.
 * Messages are built top down, each attached to its parent while still empty: a key policy may nest
 * thousands of gates deep, and a google-protobuf setter walks the whole subtree it is handed.
 */

/** Where a key policy sits: Request, Query, the query, ChaincodeInterest, ChaincodeCall, then it (protobuf-go counts each). */
const KEY_POLICY_DEPTH = 6;

/** The gRPC request message; throws `PROTOCOL_MALFORMED` where grpc-go's codec would refuse it. */
export function decodeSignedRequest(bytes: Uint8Array): SignedRequest {
  const signed = new SignedRequest();
  read(bytes, 'signed_request', 'discovery.SignedRequest', (r) => {
    if (r.has(1, LEN)) signed.setPayload(r.bytes().slice());
    else if (r.has(2, LEN)) signed.setSignature(r.bytes().slice());
    else return false;
    return true;
  });
  return signed;
}

/** `SignedRequest.payload` as a `discovery.Request`; throws `PROTOCOL_MALFORMED` where `proto.Unmarshal` fails. */
export function decodeRequest(bytes: Uint8Array, path = 'signed_request.payload'): Request {
  const request = new Request();
  let auth: MessageBytes | undefined;
  const queries: Uint8Array[] = [];
  read(bytes, path, 'discovery.Request', (r) => {
    if (r.has(1, LEN)) auth = r.message(auth);
    else if (r.has(2, LEN)) queries.push(r.bytes());
    else return false;
    return true;
  });
  if (auth !== undefined) decodeAuthInfo(auth, attach(new AuthInfo(), (m) => request.setAuthentication(m)), `${path}.authentication`);
  queries.forEach((q, i) => decodeQuery(q, request.addQueries(), `${path}.queries[${i}]`));
  return request;
}

function decodeAuthInfo(bytes: MessageBytes, auth: AuthInfo, path: string): void {
  read(bytes, path, 'discovery.AuthInfo', (r) => {
    if (r.has(1, LEN)) auth.setClientIdentity(r.bytes().slice());
    else if (r.has(2, LEN)) auth.setClientTlsCertHash(r.bytes().slice());
    else return false;
    return true;
  });
}

const enum QueryMember {
  Config = 2,
  Peers = 3,
  Chaincodes = 4,
  LocalPeers = 5,
}

function decodeQuery(bytes: Uint8Array, query: Query, path: string): void {
  // The oneof member set so far and its occurrences: another member replaces it, as in protobuf-go.
  let member = 0;
  let occurrences: MessageBytes | undefined;
  read(bytes, path, 'discovery.Query', (r) => {
    if (r.has(1, LEN)) query.setChannel(r.string());
    else if (r.field >= QueryMember.Config && r.field <= QueryMember.LocalPeers && r.wire === LEN) {
      if (r.field !== member && occurrences !== undefined) {
        // protobuf-go decoded the replaced member as it arrived: what fails there fails the request.
        decodeMember(new Query(), member, occurrences, path);
        occurrences = undefined;
      }
      occurrences = r.message(occurrences);
      member = r.field;
    } else return false;
    return true;
  });
  if (occurrences !== undefined) decodeMember(query, member, occurrences, path);
}

/** Sets `query`'s oneof to `member`, decoded from its occurrences (merged). */
function decodeMember(query: Query, member: QueryMember, occurrences: MessageBytes, path: string): void {
  switch (member) {
    case QueryMember.Config:
      read(occurrences, `${path}.config_query`, 'discovery.ConfigQuery', () => false);
      query.setConfigQuery(new ConfigQuery());
      break;
    case QueryMember.Peers:
      decodePeerQuery(occurrences, attach(new PeerMembershipQuery(), (m) => query.setPeerQuery(m)), `${path}.peer_query`);
      break;
    case QueryMember.Chaincodes:
      decodeChaincodeQuery(occurrences, attach(new ChaincodeQuery(), (m) => query.setCcQuery(m)), `${path}.cc_query`);
      break;
    case QueryMember.LocalPeers:
      read(occurrences, `${path}.local_peers`, 'discovery.LocalPeerQuery', () => false);
      query.setLocalPeers(new LocalPeerQuery());
      break;
  }
}

function decodePeerQuery(bytes: MessageBytes, peers: PeerMembershipQuery, path: string): void {
  let filter: MessageBytes | undefined;
  read(bytes, path, 'discovery.PeerMembershipQuery', (r) => {
    if (!r.has(1, LEN)) return false;
    filter = r.message(filter);
    return true;
  });
  if (filter !== undefined) decodeInterest(filter, attach(new ChaincodeInterest(), (m) => peers.setFilter(m)), `${path}.filter`);
}

function decodeChaincodeQuery(bytes: MessageBytes, query: ChaincodeQuery, path: string): void {
  messagesOfField1(bytes, path, 'discovery.ChaincodeQuery').forEach((b, i) => decodeInterest(b, query.addInterests(), `${path}.interests[${i}]`));
}

function decodeInterest(bytes: MessageBytes, interest: ChaincodeInterest, path: string): void {
  messagesOfField1(bytes, path, 'protos.ChaincodeInterest').forEach((b, i) => decodeCall(b, interest.addChaincodes(), `${path}.chaincodes[${i}]`));
}

/** Every occurrence of field 1 (`repeated` messages) of a message that has no other field. */
function messagesOfField1(bytes: MessageBytes, path: string, typeName: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  read(bytes, path, typeName, (r) => {
    if (!r.has(1, LEN)) return false;
    out.push(r.bytes());
    return true;
  });
  return out;
}

function decodeCall(bytes: Uint8Array, call: ChaincodeCall, path: string): void {
  const keyPolicies: Uint8Array[] = [];
  read(bytes, path, 'protos.ChaincodeCall', (r) => {
    if (r.has(1, LEN)) call.setName(r.string());
    else if (r.has(2, LEN)) call.addCollectionNames(r.string());
    else if (r.has(3, VARINT)) call.setNoPrivateReads(r.uint() !== 0);
    else if (r.has(4, VARINT)) call.setNoPublicWrites(r.uint() !== 0);
    else if (r.has(5, LEN)) keyPolicies.push(r.bytes());
    else if (r.has(6, VARINT)) call.setDisregardNamespacePolicy(r.uint() !== 0);
    else return false;
    return true;
  });
  keyPolicies.forEach((b, i) => decodeSignatureEnvelopeInto(b, call.addKeyPolicies(new SignaturePolicyEnvelope()), KEY_POLICY_DEPTH, `${path}.key_policies[${i}]`));
}

/** `message`, after `set` attached it to its parent (while empty, see the note at the top). */
function attach<T>(message: T, set: (m: T) => void): T {
  set(message);
  return message;
}

/** Reads every field of `bytes`; `field` takes the ones it knows (true), the rest are skipped as unknown. */
function read(bytes: MessageBytes, path: string, type: string, field: (r: WireReader) => boolean): void {
  const r = new WireReader(bytes, path, type);
  while (r.next()) if (!field(r)) r.skip();
}
