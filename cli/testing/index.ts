/**
 * Test helpers for projects scaffolded by `weft new`: run a chaincode through Weft's runtime
 * without a network, and feed a plugin to its slot's core conformance suite.
 */
export { type CallOptions, ChaincodeHarness, type HarnessOptions, type HarnessResult } from './chaincode-harness';
export { ledgerWorld, type LedgerWorld } from './ledger-world';
export { mspConformanceFixture, runtimeConformanceSetup } from './conformance-fixtures';
