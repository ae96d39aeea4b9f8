/**
 * One base error with a typed `code`, one subclass per subsystem. Errors serialize to plain JSON so
 * they can cross process and gRPC boundaries without losing their code or details.
 */
export interface WeftErrorJSON {
  name: string;
  code: string;
  message: string;
  details?: Record<string, unknown>;
  cause?: WeftErrorJSON | { message: string };
}

export class WeftError extends Error {
  override readonly name: string = 'WeftError';

  constructor(
    /** Stable machine-readable code, e.g. `PROTOCOL_TRUNCATED`. */
    readonly code: string,
    message: string,
    /** Structured context: which field, what was expected, what came. */
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  toJSON(): WeftErrorJSON {
    const cause = this.cause;
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      ...(Object.keys(this.details).length > 0 ? { details: this.details } : {}),
      ...(cause instanceof WeftError
        ? { cause: cause.toJSON() }
        : cause instanceof Error
          ? { cause: { message: cause.message } }
          : {}),
    };
  }

  /** Rebuilds an error serialized by {@link WeftError.toJSON} on the other side of a boundary. */
  static fromJSON(json: WeftErrorJSON): WeftError {
    const err = new WeftError(json.code, json.message, json.details ?? {});
    Object.defineProperty(err, 'name', { value: json.name });
    return err;
  }
}

/**
 * The most characters of error text a node puts on the wire. gRPC carries a status message (and
 * Fabric's `ErrorDetail`s) in HTTP/2 headers, which clients cap at 8–16 KiB: a message quoting a
 * client's oversized field (a 70 kB channel id) would make the client reset the stream instead of
 * reading the error.
 */
export const MAX_WIRE_ERROR_TEXT = 1024;

/** `text`, cut to {@link MAX_WIRE_ERROR_TEXT} characters with a note of how much was left out. */
export function wireErrorText(text: string): string {
  if (text.length <= MAX_WIRE_ERROR_TEXT) return text;
  return `${text.slice(0, MAX_WIRE_ERROR_TEXT)}… (${text.length - MAX_WIRE_ERROR_TEXT} more characters)`;
}

/** Bad bytes on the wire or in storage: truncated protobuf, wrong header type, oversized field. */
export class ProtocolError extends WeftError {
  override readonly name = 'ProtocolError';
}

/** A node or plugin configuration that does not validate. */
export class ConfigError extends WeftError {
  override readonly name = 'ConfigError';
}

/** Plugin resolution or loading failed (unknown name, bad manifest, missing slot binding). */
export class PluginError extends WeftError {
  override readonly name = 'PluginError';
}

/** Identity deserialization or validation failed (bad PEM, unknown MSP, expired, revoked, wrong role). */
export class MspError extends WeftError {
  override readonly name = 'MspError';
}

/** A policy could not be parsed or compiled (evaluation failures are results, not errors). */
export class PolicyError extends WeftError {
  override readonly name = 'PolicyError';
}

/** Ledger storage failures and bad ledger input (unknown channel, oversized key, corrupt file). */
export class LedgerError extends WeftError {
  override readonly name = 'LedgerError';
}

/** Chaincode packaging, installation or execution failures. */
export class ChaincodeError extends WeftError {
  override readonly name = 'ChaincodeError';
}

/** Ordering service failures. */
export class OrdererError extends WeftError {
  override readonly name = 'OrdererError';
}

/** A node's own resources: its data directory in use by another process. */
export class NodeError extends WeftError {
  override readonly name = 'NodeError';
}
