/**
 * Argument checks and byte conversions shared by the host table's modules: every entry checks its
 * arguments' types and sizes with these before touching the ledger (STYLE.md 10).
 */
import { BINARY_STRING_MAX_BYTES, type HostKV, type WireBytes } from './host-api';

/** Longest rich query text, and the longest pagination bookmark. */
export const MAX_QUERY_BYTES = 1024 * 1024;

/** Fabric's state-metadata name for a key-level endorsement policy (`peer.MetaDataKeys`). */
export const VALIDATION_PARAMETER = 'VALIDATION_PARAMETER';

/** A host call's argument was refused; its message reaches the chaincode verbatim. */
export class ArgError extends Error {}

export function str(value: unknown, name: string, maxBytes: number, allowEmpty = true): string {
  if (typeof value !== 'string') throw new ArgError(`${name} must be a string, got ${value === null ? 'null' : typeof value}`);
  if (!allowEmpty && value.length === 0) throw new ArgError(`${name} must not be an empty string`);
  const len = Buffer.byteLength(value, 'utf8');
  if (len > maxBytes) throw new ArgError(`${name} is ${len} bytes, over the limit of ${maxBytes} bytes`);
  return value;
}

export function bytes(value: unknown, name: string, maxBytes: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new ArgError(`${name} must be bytes, got ${value === null ? 'null' : typeof value}`);
  if (value.length > maxBytes) throw new ArgError(`${name} is ${value.length} bytes, over the limit of ${maxBytes} bytes`);
  return value;
}

/** How much of a refused value an argument error quotes. */
const SHOWN_CHARS = 40;

export function int(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
    // The value is the chaincode's, of any size: enough of it to recognise, not all of it.
    throw new ArgError(`${name} must be an integer in [${min}, ${max}], got ${shown.length > SHOWN_CHARS ? `${shown.slice(0, SHOWN_CHARS)}… (${shown.length} characters)` : shown}`);
  }
  return value;
}

/**
 * A value as it should cross the boundary: structured clone copies a view's whole backing buffer,
 * and Node Buffers often view a shared pool, so views are narrowed to their own bytes first.
 */
export function exact(value: Uint8Array): Uint8Array;
export function exact(value: Uint8Array | undefined): Uint8Array | undefined;
export function exact(value: Uint8Array | undefined): Uint8Array | undefined {
  if (value === undefined || (value.byteOffset === 0 && value.byteLength === value.buffer.byteLength)) return value;
  return new Uint8Array(value);
}

/** Bytes for the sandbox's hot paths: a binary string when small (see {@link WireBytes}). */
export function wire(value: Uint8Array): WireBytes;
export function wire(value: Uint8Array | undefined): WireBytes | undefined;
export function wire(value: Uint8Array | undefined): WireBytes | undefined {
  if (value === undefined || value.length > BINARY_STRING_MAX_BYTES) return exact(value);
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1');
}

export function hostKV(kv: { key: string; value: Uint8Array }): HostKV {
  return [kv.key, exact(kv.value)];
}
