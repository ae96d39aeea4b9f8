/**
 * Hand-built wire bytes of signature policies nested thousands of gates deep (google-protobuf's
 * own encoder overflows the stack on them), and of the `_lifecycle` messages that carry them.
 */
import { MSPPrincipal, MSPRole } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import { deepRule } from '../../core/policy/conformance-deep-policy';
import { lenField, message, stringField, uintField } from '../../core/protocol/wire-writer';

export { deepRule };

/** `principal` ROLE member of `mspId`. */
export function memberPrincipal(mspId: string): Uint8Array {
  const role = new MSPRole();
  role.setMspIdentifier(mspId);
  role.setRole(MSPRole.MSPRoleType.MEMBER);
  const p = new MSPPrincipal();
  p.setPrincipalClassification(MSPPrincipal.Classification.ROLE);
  p.setPrincipal(role.serializeBinary());
  return p.serializeBinary();
}

/** A `SignaturePolicyEnvelope` of `rule` over the members of `mspId`. */
export function envelopeBytes(rule: Uint8Array, mspId = 'Org1MSP'): Uint8Array {
  return message(lenField(2, rule, false), lenField(3, memberPrincipal(mspId), false));
}

/** A `StaticCollectionConfig` named `name` with `envelope` as its member orgs policy (and `extra` raw fields appended). */
export function staticCollectionBytes(name: string, envelope: Uint8Array, extra: Uint8Array = new Uint8Array(0)): Uint8Array {
  const memberOrgsPolicy = message(lenField(1, envelope, false));
  return Uint8Array.from([...message(stringField(1, name), lenField(2, memberOrgsPolicy, false), uintField(4, 1)), ...extra]);
}

/** A `CollectionConfigPackage` of one entry per `CollectionConfig` body given. */
export function packageBytes(...configs: readonly Uint8Array[]): Uint8Array {
  return message(...configs.map((c) => lenField(1, c, false)));
}

/** A `CollectionConfig` of one `static_collection_config` occurrence per body given. */
export function configBytes(...statics: readonly Uint8Array[]): Uint8Array {
  return message(...statics.map((s) => lenField(1, s, false)));
}

/** `CommitChaincodeDefinitionArgs` (the layout of a stored Weft definition) of chaincode `cc` at sequence 1 with `pkg`. */
export function commitArgsBytes(pkg: Uint8Array): Uint8Array {
  return message(uintField(1, 1), stringField(2, 'cc'), stringField(3, '1.0'), stringField(4, 'escc'), stringField(5, 'vscc'), lenField(7, pkg, false));
}
