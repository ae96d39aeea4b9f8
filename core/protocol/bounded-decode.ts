import type { Message } from 'google-protobuf';
import { ProtocolError } from '../errors';

/** Stable codes of every {@link ProtocolError} this module throws. */
export const ProtocolErrorCode = {
  /** Input longer than the configured bound. */
  TooLarge: 'PROTOCOL_TOO_LARGE',
  /** Bytes that protobuf cannot decode (truncated, wrong wire type, bad length). */
  Malformed: 'PROTOCOL_MALFORMED',
  /** A required field is absent or empty. */
  MissingField: 'PROTOCOL_MISSING_FIELD',
  /** A field is present but its value is not acceptable (wrong length, out of range). */
  BadField: 'PROTOCOL_BAD_FIELD',
  /** The channel header type is not the one the parser expects. */
  WrongHeaderType: 'PROTOCOL_WRONG_HEADER_TYPE',
  /** The channel header tx_id is not hex(SHA-256(nonce ‖ creator)). */
  BadTxId: 'PROTOCOL_BAD_TXID',
  /** Proposal responses to assemble into one transaction carry different payloads. */
  PayloadMismatch: 'PROTOCOL_PAYLOAD_MISMATCH',
  /** The signer is not the creator named in the header. */
  SignerMismatch: 'PROTOCOL_SIGNER_MISMATCH',
  /** A proposal response is unsuccessful or carries no endorsement. */
  BadResponse: 'PROTOCOL_BAD_RESPONSE',
  /** The caller passed a value the builder cannot encode. */
  BadInput: 'PROTOCOL_BAD_INPUT',
} as const;
export type ProtocolErrorCode = (typeof ProtocolErrorCode)[keyof typeof ProtocolErrorCode];

const MiB = 1024 * 1024;

/**
 * Default size bounds. Fabric's sample AbsoluteMaxBytes is 10 MB (recommended ≤ 49 MB), so an
 * envelope bound of 10 MiB fits a default channel; a block can hold many envelopes.
 */
export const DefaultProtocolLimits = {
  maxBlockBytes: 100 * MiB,
  maxEnvelopeBytes: 10 * MiB,
  maxProposalBytes: 10 * MiB,
  maxProposalResponseBytes: 10 * MiB,
  maxConfigBytes: 10 * MiB,
} as const;

/** Options every parser accepts. */
export interface ParseOptions {
  /** Upper bound on the outer input length in bytes; the parser's default when omitted. */
  readonly maxBytes?: number;
}

/** A generated google-protobuf message class. */
export interface MessageClass<T extends Message> {
  deserializeBinary(bytes: Uint8Array): T;
  readonly name: string;
}

/** Throws `PROTOCOL_TOO_LARGE` when `bytes` exceed `maxBytes`. */
export function checkSize(bytes: Uint8Array, maxBytes: number, path: string): void {
  if (bytes.length > maxBytes) {
    throw new ProtocolError(
      ProtocolErrorCode.TooLarge,
      `${path}: ${bytes.length} bytes exceeds the limit of ${maxBytes} bytes`,
      { path, length: bytes.length, maxBytes },
    );
  }
}

/**
 * Why google-protobuf gave up. It decodes protobuf groups by recursion, so a run of start-group
 * tags (a field of 'k' bytes is one) overflows the stack: that is bad input, and says so.
 */
export function decodeFailure(err: unknown): string {
  if (err instanceof RangeError && /call stack/i.test(err.message)) return 'groups or messages nested too deeply';
  return err instanceof Error ? err.message : String(err);
}

/**
 * Decodes `bytes` as `cls`, turning any google-protobuf exception into a {@link ProtocolError}
 * naming `path`. The result's bytes fields are views into `bytes` (no copy): callers keep the
 * exact bytes that were signed without re-serializing.
 */
export function decode<T extends Message>(cls: MessageClass<T>, bytes: Uint8Array, path: string, maxBytes?: number): T {
  if (!(bytes instanceof Uint8Array)) {
    throw new ProtocolError(ProtocolErrorCode.BadInput, `${path}: expected bytes (Uint8Array), got ${typeof bytes}`, {
      path,
    });
  }
  if (maxBytes !== undefined) checkSize(bytes, maxBytes, path);
  try {
    return cls.deserializeBinary(bytes);
  } catch (err) {
    const reason = decodeFailure(err);
    // Generated classes are anonymous functions; only a named one is worth naming.
    const as = cls.name === '' ? '' : ` as ${cls.name}`;
    throw new ProtocolError(
      ProtocolErrorCode.Malformed,
      `${path}: cannot decode ${bytes.length} bytes${as}: ${reason}`,
      { path, ...(cls.name !== '' && { message: cls.name }), length: bytes.length, reason },
      { cause: err },
    );
  }
}

/** Runs `fn` (a protobuf accessor or encoder) and wraps anything it throws as `PROTOCOL_MALFORMED` at `path`. */
export function guard<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    const reason = decodeFailure(err);
    throw new ProtocolError(ProtocolErrorCode.Malformed, `${path}: ${reason}`, { path, reason }, { cause: err });
  }
}

/** Throws `PROTOCOL_MISSING_FIELD` when `bytes` is empty. */
export function requireBytes(bytes: Uint8Array, path: string): Uint8Array {
  if (bytes.length === 0) {
    throw new ProtocolError(ProtocolErrorCode.MissingField, `${path} is missing (empty)`, { path });
  }
  return bytes;
}

/** Throws `PROTOCOL_MISSING_FIELD` when a sub-message is absent. */
export function requireMessage<T>(value: T | undefined, path: string): T {
  if (value === undefined) {
    throw new ProtocolError(ProtocolErrorCode.MissingField, `${path} is missing`, { path });
  }
  return value;
}

/** Throws `PROTOCOL_MISSING_FIELD` when a string is empty. */
export function requireString(value: string, path: string): string {
  if (value.length === 0) {
    throw new ProtocolError(ProtocolErrorCode.MissingField, `${path} is missing (empty string)`, { path });
  }
  return value;
}

/** Throws `PROTOCOL_BAD_INPUT` (for builders): the caller passed something unencodable. */
export function badInput(path: string, expected: string, got: unknown): never {
  throw new ProtocolError(ProtocolErrorCode.BadInput, `${path}: expected ${expected}, got ${describe(got)}`, {
    path,
    expected,
  });
}

function describe(value: unknown): string {
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (typeof value === 'string') return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
  return String(value);
}
