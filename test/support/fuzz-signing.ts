/**
 * Re-signing for fuzz tests: a hostile client signs whatever it sends and a hostile endorser signs
 * whatever rwset it likes, so a mutation is re-signed where the real parties would sign it. That
 * takes the mutated message past the signature checks into the checks behind them.
 */
import type { Signer } from '../../core/protocol/signer';
import { type WireField, readFields, rewriteAt, writeFields } from './protobuf-mutator';

const lastValue = (fields: readonly WireField[], num: number): Uint8Array => fields.filter((f) => f.num === num && f.wire === 2).at(-1)?.value ?? new Uint8Array(0);

/** Where the layers of a `SignedProposal` are, as field-number paths (for `rewriteAt`). */
export const PROPOSAL_LAYERS: readonly (readonly number[])[] = [
  [], // SignedProposal
  [1], // Proposal
  [1, 1], // Header
  [1, 1, 1], // ChannelHeader
  [1, 1, 2], // SignatureHeader
  [1, 2], // ChaincodeProposalPayload
  [1, 2, 1], // ChaincodeInvocationSpec
  [1, 2, 1, 1], // ChaincodeSpec
];

/** ChaincodeAction: Envelope.payload → Payload.data → Transaction.actions → TransactionAction.payload → ChaincodeActionPayload.action → ChaincodeEndorsedAction.proposal_response_payload → ProposalResponsePayload.extension. */
const ACTION = [1, 2, 1, 2, 2, 1, 2];

/** Where the layers of a transaction `Envelope` are, as field-number paths (for `rewriteAt`). */
export const TRANSACTION_LAYERS: readonly (readonly number[])[] = [
  [], // Envelope
  [1], // Payload
  [1, 1, 1], // ChannelHeader
  [1, 1, 2], // SignatureHeader
  [1, 2], // Transaction
  [1, 2, 1], // TransactionAction
  [1, 2, 1, 1], // the action's SignatureHeader
  [1, 2, 1, 2], // ChaincodeActionPayload
  [1, 2, 1, 2, 1], // ChaincodeProposalPayload
  [1, 2, 1, 2, 2], // ChaincodeEndorsedAction
  [1, 2, 1, 2, 2, 1], // ProposalResponsePayload
  ACTION, // ChaincodeAction
  [...ACTION, 1], // TxReadWriteSet
  [...ACTION, 1, 2], // NsReadWriteSet
  [...ACTION, 1, 2, 2], // KVRWSet
  [...ACTION, 1, 2, 2, 1], // KVRead
  [...ACTION, 1, 2, 2, 2], // RangeQueryInfo
  [...ACTION, 1, 2, 2, 3], // KVWrite
  [...ACTION, 1, 2, 2, 4], // KVMetadataWrite
  [...ACTION, 2], // ChaincodeEvent
  [...ACTION, 3], // Response
  [...ACTION, 4], // ChaincodeID
];

/** Signs field 1 of a `{bytes = 1, signature = 2}` message (`SignedProposal`, `Envelope`) into field 2. */
export function resignSigned(message: Uint8Array, signer: Signer): Uint8Array {
  const fields = readFields(message);
  if (fields === undefined) return message;
  const signature: WireField = { num: 2, wire: 2, value: signer.sign(lastValue(fields, 1)) };
  return fields.some((f) => f.num === 2)
    ? writeFields(fields.map((f) => (f.num === 2 && f.wire === 2 ? signature : f)))
    : writeFields([...fields, signature]);
}

/**
 * Re-signs, in a transaction envelope, every endorsement whose endorser is one of `endorsers`,
 * over the (possibly mutated) proposal response payload, as Fabric's endorsers sign it
 * (payload ‖ endorser). The envelope's own signature is left alone.
 */
export function resignEndorsements(envelope: Uint8Array, endorsers: readonly Signer[]): Uint8Array {
  return rewriteAt(envelope, [1, 2, 1, 2, 2], (endorsedAction) => {
    const fields = readFields(endorsedAction);
    if (fields === undefined) return endorsedAction;
    const payload = lastValue(fields, 1);
    return writeFields(
      fields.map((f) => {
        const endorsement = f.num === 2 && f.wire === 2 ? readFields(f.value) : undefined;
        if (endorsement === undefined) return f;
        const endorser = lastValue(endorsement, 1);
        const signer = endorsers.find((s) => Buffer.from(s.serialized).equals(endorser));
        if (signer === undefined) return f;
        const signature = signer.sign(Buffer.concat([payload, endorser]));
        return { ...f, value: writeFields(endorsement.map((e) => (e.num === 2 && e.wire === 2 ? { ...e, value: signature } : e))) };
      }),
    );
  });
}
