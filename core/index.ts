/**
 * Weft's core: interfaces and tokens for every plugin slot, Fabric protocol helpers and the node
 * assembly. Importing this module never loads a native addon or a network stack (a test proves
 * it): storage, sandboxes and gRPC servers are loaded only when a node's config asks for them.
 */
export * from './errors';
export * from './di';
export * from './msp';
export * from './policy';
export * from './ledger';
export * from './node';
