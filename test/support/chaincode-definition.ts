/** Chaincode definitions for the `_lifecycle` tests, with the values `peer lifecycle` and `weft chaincode` use when none are given. */
import { type ChaincodeDefinition, type DefinitionInput, defaultValidationParameter } from '../../core/peer/lifecycle/lifecycle-state';

/** `name` at sequence 1, version 1.0, with Fabric's `escc` / `vscc` and the default policy (`/Channel/Application/Endorsement`), changed by `o`. */
export function testDefinition(name: string, o: Partial<DefinitionInput> = {}): DefinitionInput {
  return { name, sequence: 1, version: '1.0', endorsementPlugin: 'escc', validationPlugin: 'vscc', validationParameter: defaultValidationParameter(), initRequired: false, ...o };
}

/** {@link testDefinition} as `_lifecycle` reads it back: no collections unless `o` gives them. */
export function testChaincodeDefinition(name: string, o: Partial<ChaincodeDefinition> = {}): ChaincodeDefinition {
  return { ...testDefinition(name), collections: [], collectionsBytes: new Uint8Array(0), ...o };
}
