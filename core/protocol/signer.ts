/**
 * What the protocol builders need to sign: the serialized identity that goes into headers and a
 * signing function. An MSP `SigningIdentity` satisfies it.
 */
export interface Signer {
  /** `SerializedIdentity` bytes (msp id + PEM certificate), exactly as placed in headers. */
  readonly serialized: Uint8Array;
  /** Signs `message` (the signer hashes it). Throws only when the key cannot sign at all. */
  sign(message: Uint8Array): Uint8Array;
}
