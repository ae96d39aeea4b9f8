/**
 * Fabric's bounds on a dial, for the connections Weft makes as Fabric does (the bound itself is
 * `boundDial` in `grpc-dial-timeout.ts`; this file loads no gRPC, so a config schema can name them).
 */

/** Fabric's `peer.gossip.dialTimeout` (core.yaml, 3s): how long a peer's dial of another peer may take. */
export const DEFAULT_PEER_DIAL_TIMEOUT_MS = 3000;

/** Fabric's `peer.client.connTimeout` (core.yaml, 3s): how long the CLI's dial of a node may take. */
export const CLI_DIAL_TIMEOUT_MS = 3000;
