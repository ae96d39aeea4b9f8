/** better-sqlite3 binds Buffers as BLOBs, not bare Uint8Arrays: wrap without copying. */
export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
