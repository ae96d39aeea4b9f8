import type { CollectionDefinition } from './collections';

/** A chaincode definition as committed on a channel (the fields Fabric agrees on). */
export interface ChaincodeDefinition {
  readonly name: string;
  readonly sequence: number;
  readonly version: string;
  readonly endorsementPlugin: string;
  readonly validationPlugin: string;
  /** `common.ApplicationPolicy` bytes. */
  readonly validationParameter: Uint8Array;
  readonly initRequired: boolean;
  /** The private data collections, in package order. */
  readonly collections: readonly CollectionDefinition[];
  /**
   * The `CollectionConfigPackage` as protobuf-go marshals it, unknown fields kept (empty when there
   * are no collections): what Fabric's layout stores and hashes, and what is compared.
   */
  readonly collectionsBytes: Uint8Array;
}

/** An org's approval: the definition it agreed to and the package its peers run. */
export interface Approval {
  readonly definition: ChaincodeDefinition;
  /** Undefined when the org approved without a package (`ChaincodeSource.unavailable`). */
  readonly packageId: string | undefined;
}
