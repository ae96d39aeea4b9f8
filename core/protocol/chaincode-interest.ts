import { WireReader } from './wire-reader';
import { boolField, lenField, stringField, submessage } from './wire-writer';
import type { WireMessage } from './wire-writer';

const utf8 = new TextEncoder();

/**
 * One `peer.ChaincodeCall` of a {@link ChaincodeInterest}: a chaincode (and, when `collections` is
 * not empty, a private data collection of it) whose policies a transaction must satisfy.
 */
export interface ChaincodeCall {
  readonly name: string;
  readonly collections: readonly string[];
  /** The transaction read no private value of these collections (hashes only, or writes). */
  readonly noPrivateReads: boolean;
  readonly noPublicWrites: boolean;
  /** Serialized `common.SignaturePolicyEnvelope`s of the key-level policies of keys it writes. */
  readonly keyPolicies: readonly Uint8Array[];
  /** Every written key has a key-level policy, so the chaincode's own policy is not needed. */
  readonly disregardNamespacePolicy: boolean;
}

/**
 * Fabric's `peer.ChaincodeInterest` (`ProposalResponse.interest`, field 7): what an endorser's
 * simulation says the transaction must be endorsed for, which a Gateway uses to plan the further
 * endorsements. It is not signed.
 */
export interface ChaincodeInterest {
  readonly chaincodes: readonly ChaincodeCall[];
}

/**
 * `ChaincodeInterest{chaincodes = 1: ChaincodeCall{name = 1, collection_names = 2,
 * no_private_reads = 3, no_public_writes = 4, key_policies = 5, disregard_namespace_policy = 6}}`,
 * as google-protobuf encodes it, for nesting in a `ProposalResponse`.
 */
export function chaincodeInterestMessage(interest: ChaincodeInterest): WireMessage {
  return submessage(
    ...interest.chaincodes.map((c) =>
      lenField(
        1,
        submessage(
          stringField(1, c.name),
          ...c.collections.map((name) => lenField(2, utf8.encode(name), false)),
          boolField(3, c.noPrivateReads),
          boolField(4, c.noPublicWrites),
          ...c.keyPolicies.map((p) => lenField(5, p, false)),
          boolField(6, c.disregardNamespacePolicy),
        ),
        false,
      ),
    ),
  );
}

/** Decodes `ChaincodeInterest` bytes; throws `PROTOCOL_MALFORMED` naming the field on bad framing. */
export function parseChaincodeInterest(bytes: Uint8Array, path = 'proposal_response.interest'): ChaincodeInterest {
  const r = new WireReader(bytes, path, 'ChaincodeInterest');
  const chaincodes: ChaincodeCall[] = [];
  while (r.next()) {
    if (r.field !== 1) {
      r.skip();
      continue;
    }
    const c = new WireReader(r.bytes(), `${path}.chaincodes`, 'ChaincodeCall');
    const call = { name: '', collections: [] as string[], noPrivateReads: false, noPublicWrites: false, keyPolicies: [] as Uint8Array[], disregardNamespacePolicy: false };
    while (c.next()) {
      switch (c.field) {
        case 1:
          call.name = c.string();
          break;
        case 2:
          call.collections.push(c.string());
          break;
        case 3:
          call.noPrivateReads = c.uint() !== 0;
          break;
        case 4:
          call.noPublicWrites = c.uint() !== 0;
          break;
        case 5:
          call.keyPolicies.push(c.bytes());
          break;
        case 6:
          call.disregardNamespacePolicy = c.uint() !== 0;
          break;
        default:
          c.skip();
      }
    }
    chaincodes.push(call);
  }
  return { chaincodes };
}
