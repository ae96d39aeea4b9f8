/**
 * Runtimes chosen by a package's `metadata.json` type, beside the one the node's `runtime` slot
 * names: as a Fabric peer tries its external builders (the ccaas builder among them) on each
 * package before its default, a Weft peer runs a package whose type one of these claims with that
 * runtime and every other package with the slot's. Plugins bind them; no node YAML names them.
 */
import type { ChaincodeRuntime } from './chaincode-runtime';

/** A runtime for the packages of one `metadata.json` type. */
export interface PackageTypeRuntime {
  /** Lower case; a package's type is compared case-insensitively, as Fabric's builders compare it. */
  readonly packageType: string;
  readonly runtime: ChaincodeRuntime;
}
export const PackageTypeRuntime = Symbol('PackageTypeRuntime');
