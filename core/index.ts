/**
 * Weft's core: interfaces and tokens for every plugin slot, Fabric protocol helpers, ledger logic,
 * chaincode packaging, the ordering seam and the node assembly. Importing this module never loads
 * a native addon or a network stack (a test proves it): storage, sandboxes and gRPC servers are
 * loaded only when a node's config asks for them. Node servers are imported from their own paths
 * (`core/peer/main`, `core/orderer/main`).
 */
export * from './errors';
export * from './di';
export * from './protocol';
export * from './msp';
export * from './policy';
export * from './ledger';
export * from './chaincode';
export * from './orderer';
export * from './node';
