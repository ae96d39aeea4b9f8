/** A gRPC length-prefixed message, for a raw HTTP/2 client that reads at its own pace. */
export function grpcFrame(message: Uint8Array): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

/** The messages in a stream of gRPC frames, each decoded by `decode` (e.g. `DeliverResponse.deserializeBinary`). */
export function grpcMessages<T>(bytes: Buffer, decode: (message: Uint8Array) => T): T[] {
  const out: T[] = [];
  for (let at = 0; at + 5 <= bytes.length; ) {
    const len = bytes.readUInt32BE(at + 1);
    out.push(decode(bytes.subarray(at + 5, at + 5 + len)));
    at += 5 + len;
  }
  return out;
}
