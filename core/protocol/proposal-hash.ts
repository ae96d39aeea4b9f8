import { createHash } from 'node:crypto';
import { ChaincodeProposalPayload } from '@hyperledger/fabric-protos/lib/peer/proposal_pb';

/**
 * The bytes of the `ChaincodeProposalPayload` that go into a transaction: the payload re-encoded
 * with only its `input`, the transient map stripped (Fabric `protoutil.GetBytesProposalPayloadForTx`).
 */
export function proposalPayloadForTx(input: Uint8Array): Uint8Array {
  const cpp = new ChaincodeProposalPayload();
  cpp.setInput(input);
  return cpp.serializeBinary();
}

/**
 * Fabric's proposal hash: SHA-256(channel header bytes ‖ signature header bytes ‖ proposal payload
 * without transient data), as the endorser computes it (`core/endorser/msgvalidation.go`,
 * `protoutil.GetProposalHash1`). `payloadForTx` is {@link proposalPayloadForTx}'s output.
 */
export function computeProposalHash(
  channelHeader: Uint8Array,
  signatureHeader: Uint8Array,
  payloadForTx: Uint8Array,
): Uint8Array {
  return new Uint8Array(createHash('sha256').update(channelHeader).update(signatureHeader).update(payloadForTx).digest());
}
