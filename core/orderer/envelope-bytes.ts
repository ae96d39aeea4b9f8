import type { Envelope } from '@hyperledger/fabric-protos/lib/common/common_pb';

// The bytes each envelope arrived as, so blocks and consenter logs store exactly what the client
// signed and sent, without re-encoding (a second encoding per envelope also costs ~5 µs and garbage).
const received = new WeakMap<Envelope, Uint8Array>();

/** Records the wire bytes `env` was decoded from. Callers pass the bytes the Envelope's fields came from. */
export function rememberEnvelopeBytes(env: Envelope, bytes: Uint8Array): Envelope {
  received.set(env, bytes);
  return env;
}

/** The envelope's received bytes when known, else its protobuf encoding. */
export function envelopeBytes(env: Envelope): Uint8Array {
  return received.get(env) ?? env.serializeBinary();
}
