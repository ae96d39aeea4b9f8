import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';

const identity = (b: Buffer): Buffer => b;
const toBuffer = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.length));

/**
 * A gRPC method whose request and response travel as raw bytes: the service decodes what it needs
 * and keeps signed bytes exactly as received (no decode/re-encode between the wire and a signature).
 */
function rawMethod(path: string, requestStream: boolean, responseStream: boolean): MethodDefinition<Uint8Array, Uint8Array> {
  return {
    path,
    requestStream,
    responseStream,
    requestSerialize: toBuffer,
    requestDeserialize: identity as (b: Buffer) => Uint8Array,
    responseSerialize: toBuffer,
    responseDeserialize: identity as (b: Buffer) => Uint8Array,
  };
}

export const EndorserServiceDef = {
  processProposal: rawMethod('/protos.Endorser/ProcessProposal', false, false),
} satisfies ServiceDefinition;

/**
 * Weft's peer-to-peer endorsement: one long-lived bidirectional stream per pair of peers instead of
 * a unary call per proposal (a unary call costs several times a stream message in grpc-js). Frames:
 * `endorse-stream-frame.ts`. Gateways of other Weft peers use it; Fabric nodes use `protos.Endorser`.
 */
export const EndorserStreamDef = {
  processProposals: rawMethod('/weft.peer.EndorserStream/ProcessProposals', true, true),
} satisfies ServiceDefinition;

/** Fabric's `protos.Snapshot` (peer/snapshot.proto): an admin schedules, cancels and lists ledger snapshots. */
export const SnapshotServiceDef = {
  generate: rawMethod('/protos.Snapshot/Generate', false, false),
  cancel: rawMethod('/protos.Snapshot/Cancel', false, false),
  queryPendings: rawMethod('/protos.Snapshot/QueryPendings', false, false),
} satisfies ServiceDefinition;

/**
 * Weft's prune of a running peer (Fabric has none): Fabric's `SignedSnapshotRequest` signed by a
 * local admin in, the JSON of what was pruned out (`core/peer/prune/prune-service.ts`).
 */
export const PruneServiceDef = {
  prune: rawMethod('/weft.peer.Prune/Prune', false, false),
} satisfies ServiceDefinition;

/**
 * Weft's private data dissemination between peers (Fabric peers use gossip): a signed
 * `SignedPvtPush` (`core/peer/privdata/pvt-push.ts`) answered with an empty message once stored.
 */
export const PrivateDataServiceDef = {
  push: rawMethod('/weft.peer.PrivateData/Push', false, false),
} satisfies ServiceDefinition;

/** Fabric's service discovery. */
export const DiscoveryServiceDef = {
  discover: rawMethod('/discovery.Discovery/Discover', false, false),
} satisfies ServiceDefinition;

/**
 * Weft's membership exchange between peers (Fabric peers gossip): a peer's own signed messages as
 * a `discovery.Peers`, answered by a `discovery.Response` (`core/peer/discovery/membership-exchange.ts`).
 */
export const MembershipServiceDef = {
  exchange: rawMethod('/weft.peer.Membership/Exchange', false, false),
} satisfies ServiceDefinition;

export const DeliverServiceDef = {
  deliver: rawMethod('/protos.Deliver/Deliver', true, true),
  deliverFiltered: rawMethod('/protos.Deliver/DeliverFiltered', true, true),
  deliverWithPrivateData: rawMethod('/protos.Deliver/DeliverWithPrivateData', true, true),
} satisfies ServiceDefinition;

export const GatewayServiceDef = {
  evaluate: rawMethod('/gateway.Gateway/Evaluate', false, false),
  endorse: rawMethod('/gateway.Gateway/Endorse', false, false),
  submit: rawMethod('/gateway.Gateway/Submit', false, false),
  commitStatus: rawMethod('/gateway.Gateway/CommitStatus', false, false),
  chaincodeEvents: rawMethod('/gateway.Gateway/ChaincodeEvents', false, true),
} satisfies ServiceDefinition;

/** The orderer's services, as the peer dials them. */
export const AtomicBroadcastDef = {
  broadcast: rawMethod('/orderer.AtomicBroadcast/Broadcast', true, true),
  deliver: rawMethod('/orderer.AtomicBroadcast/Deliver', true, true),
} satisfies ServiceDefinition;
