/**
 * The ordering seam and its pure parts: Consenter/Chain/ConsenterSupport, Fabric's block cutter and
 * block writer. The orderer node itself (gRPC, participation API) is imported from
 * `core/orderer/orderer-node` directly, so importing core never loads grpc.
 */
export * from './consenter';
export * from './block-cutter';
export * from './block-writer';
export * from './envelope-bytes';
export { IngressErrorCode, statusOf, type StatusCode } from './broadcast-status';
