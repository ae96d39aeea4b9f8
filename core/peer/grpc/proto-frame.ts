/**
 * Wraps already-serialized message bytes as a length-delimited field of an enclosing message,
 * e.g. `DeliverResponse{block = 2}` around stored block bytes: the block goes out exactly as stored
 * without a decode and re-encode.
 */
export function lengthDelimitedField(fieldNumber: number, bytes: Uint8Array): Uint8Array {
  const tag = varint((fieldNumber << 3) | 2);
  const len = varint(bytes.length);
  const out = new Uint8Array(tag.length + len.length + bytes.length);
  out.set(tag, 0);
  out.set(len, tag.length);
  out.set(bytes, tag.length + len.length);
  return out;
}

function varint(value: number): Uint8Array {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Uint8Array.from(out);
}

/**
 * The first length-delimited field `fieldNumber` of a serialized message, as a view into `bytes`,
 * or undefined when absent; skips other fields by wire type. Lets the block puller take the block
 * bytes out of an orderer `DeliverResponse` without decoding and re-encoding the block. Throws on
 * truncated or malformed framing.
 */
export function readLengthDelimitedField(bytes: Uint8Array, fieldNumber: number): Uint8Array | undefined {
  let pos = 0;
  const readVarint = (): number => {
    let result = 0;
    let shift = 1;
    for (;;) {
      if (pos >= bytes.length) throw new Error('truncated varint');
      const b = bytes[pos++];
      result += (b & 0x7f) * shift;
      if ((b & 0x80) === 0) return result;
      shift *= 0x80;
      if (shift > 2 ** 63) throw new Error('varint too long');
    }
  };
  while (pos < bytes.length) {
    const tag = readVarint();
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    switch (wire) {
      case 0:
        readVarint();
        break;
      case 1:
        pos += 8;
        break;
      case 2: {
        const len = readVarint();
        if (pos + len > bytes.length) throw new Error(`field ${field}: length ${len} runs past the end`);
        if (field === fieldNumber) return bytes.subarray(pos, pos + len);
        pos += len;
        break;
      }
      case 5:
        pos += 4;
        break;
      default:
        throw new Error(`unsupported wire type ${wire}`);
    }
  }
  if (pos > bytes.length) throw new Error('truncated message');
  return undefined;
}
