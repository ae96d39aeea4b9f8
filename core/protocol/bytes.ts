import { Timestamp } from 'google-protobuf/google/protobuf/timestamp_pb';

/** Concatenates byte arrays into one new array (Fabric's `util.ConcatenateBytes`). */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Byte-wise equality (Fabric's `bytes.Equal`). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  // memcmp beats the loop once the native call is paid for (identities and hashes are compared often).
  if (a.length >= 64) return Buffer.compare(a, b) === 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Lower-case hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}

/** A protobuf `Timestamp` from a Date (millisecond precision, as the Fabric Gateway client sends). */
export function toTimestamp(date: Date): Timestamp {
  return Timestamp.fromDate(date);
}

/** A protobuf `Timestamp`'s two fields, exactly as sent (a Date would drop the sub-millisecond part). */
export interface TimestampParts {
  readonly seconds: number;
  readonly nanos: number;
}

/** The fields of a protobuf `Timestamp`, or undefined when absent. */
export function timestampParts(ts: Timestamp | undefined): TimestampParts | undefined {
  return ts === undefined ? undefined : { seconds: ts.getSeconds(), nanos: ts.getNanos() };
}

/** A Date from a protobuf `Timestamp`, or undefined when absent. */
export function fromTimestamp(ts: Timestamp | undefined): Date | undefined {
  if (ts === undefined) return undefined;
  return new Date(ts.getSeconds() * 1000 + Math.floor(ts.getNanos() / 1e6));
}
