import { createHash } from 'node:crypto';

/**
 * The bytes of the `ChaincodeProposalPayload` that go into a transaction: the payload re-encoded
 * with only its `input`, the transient map stripped (Fabric `protoutil.GetBytesProposalPayloadForTx`).
 */
export function proposalPayloadForTx(input: Uint8Array): Uint8Array {
  // ChaincodeProposalPayload{input = 1}, encoded by hand (proto3 omits an empty field).
  if (input.length === 0) return new Uint8Array(0);
  const len: number[] = [];
  for (let v = input.length; ; v = Math.floor(v / 128)) {
    if (v < 128) {
      len.push(v);
      break;
    }
    len.push((v % 128) | 0x80);
  }
  const out = new Uint8Array(1 + len.length + input.length);
  out[0] = 0x0a;
  out.set(len, 1);
  out.set(input, 1 + len.length);
  return out;
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
