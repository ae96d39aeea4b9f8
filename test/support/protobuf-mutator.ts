/**
 * A schema-free mutator of protobuf wire bytes for fuzz tests. It reads a message as its fields
 * (recursing into any length-delimited field that itself reads as a message, so an envelope's
 * payload, header, transaction, rwset… are all reachable), applies one random change somewhere in
 * that tree, and writes the tree back with every enclosing length fixed up. The changes are those a
 * hostile client or endorser can make: flipped bits, truncation, dropped, repeated or reordered
 * fields, unknown fields, wrong wire types, edge integers, and edge byte strings (empty, huge,
 * NUL-led, invalid UTF-8).
 */

export interface WireField {
  readonly num: number;
  readonly wire: number;
  /** The value as it sits on the wire after the tag (varint bytes, fixed bytes, or the payload of a length-delimited field). */
  readonly value: Uint8Array;
}

const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');

function readVarint(buf: Uint8Array, pos: number): [bigint, number] | undefined {
  let v = 0n;
  for (let shift = 0n, i = pos; i < buf.length && shift < 70n; i++, shift += 7n) {
    v |= BigInt(buf[i] & 0x7f) << shift;
    if ((buf[i] & 0x80) === 0) return [v, i + 1];
  }
  return undefined;
}

export function varintBytes(v: bigint): Uint8Array {
  const out: number[] = [];
  let x = BigInt.asUintN(64, v);
  do {
    const b = Number(x & 0x7fn);
    x >>= 7n;
    out.push(x === 0n ? b : b | 0x80);
  } while (x !== 0n);
  return Uint8Array.from(out);
}

/** The fields of `buf` when all of it reads as a message with at least one field; otherwise undefined. */
export function readFields(buf: Uint8Array): WireField[] | undefined {
  const fields: WireField[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const tag = readVarint(buf, pos);
    if (tag === undefined || tag[0] >> 3n === 0n || tag[0] >> 3n > 536_870_911n) return undefined;
    const [num, wire] = [Number(tag[0] >> 3n), Number(tag[0] & 7n)];
    pos = tag[1];
    let end: number;
    let start = pos;
    if (wire === 0) {
      const v = readVarint(buf, pos);
      if (v === undefined) return undefined;
      end = v[1];
    } else if (wire === 1) end = pos + 8;
    else if (wire === 5) end = pos + 4;
    else if (wire === 2) {
      const len = readVarint(buf, pos);
      if (len === undefined || len[0] > BigInt(buf.length)) return undefined;
      start = len[1];
      end = start + Number(len[0]);
    } else return undefined;
    if (end > buf.length) return undefined;
    fields.push({ num, wire, value: buf.subarray(start, end) });
    pos = end;
  }
  return fields.length > 0 ? fields : undefined;
}

export function writeFields(fields: readonly WireField[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const f of fields) {
    parts.push(varintBytes(BigInt(f.num) * 8n + BigInt(f.wire)));
    if (f.wire === 2) parts.push(varintBytes(BigInt(f.value.length)));
    parts.push(f.value);
  }
  return Buffer.concat(parts);
}

const EDGE_VARINTS = [0n, 1n, 2n, 127n, 128n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n, 2n ** 53n + 1n, 2n ** 63n - 1n, 2n ** 64n - 1n];

function edgeBytes(rnd: () => number, original: Uint8Array): Uint8Array {
  const pick = Math.floor(rnd() * 10);
  switch (pick) {
    case 0:
      return new Uint8Array(0);
    case 1:
      return randomBytes(rnd, 1 + Math.floor(rnd() * 64));
    case 2:
      return utf8('\u0000' + Buffer.from(original).toString('latin1'));
    case 3:
      return Uint8Array.from([0xff, 0xfe, 0xc3, 0x28, ...original.subarray(0, 8)]);
    case 4:
      return utf8('k'.repeat(70_000));
    case 5:
      return utf8('é\u{1F600}' + Buffer.from(original).toString('latin1'));
    case 6:
      return Buffer.concat([original, original]);
    case 7:
      return Uint8Array.from([0xed, 0xa0, 0x80]); // a UTF-16 surrogate written as UTF-8 (invalid)
    case 8:
      return utf8('_lifecycle');
    default:
      return original.subarray(0, Math.floor(rnd() * original.length));
  }
}

function randomBytes(rnd: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(rnd() * 256);
  return out;
}

function mutateRaw(buf: Uint8Array, rnd: () => number): Uint8Array {
  const out = Uint8Array.from(buf);
  const at = Math.floor(rnd() * Math.max(buf.length, 1));
  switch (Math.floor(rnd() * 5)) {
    case 0:
      if (out.length > 0) out[at] ^= 1 << Math.floor(rnd() * 8);
      return out;
    case 1:
      return out.subarray(0, at);
    case 2:
      return Buffer.concat([out.subarray(0, at), randomBytes(rnd, 1 + Math.floor(rnd() * 8)), out.subarray(at)]);
    case 3:
      if (out.length > 0) out[at] = [0x00, 0x7f, 0x80, 0xff][Math.floor(rnd() * 4)];
      return out;
    default:
      return edgeBytes(rnd, buf);
  }
}

function mutateField(fields: WireField[], rnd: () => number): WireField[] {
  const i = Math.floor(rnd() * fields.length);
  const f = fields[i];
  const out = [...fields];
  switch (Math.floor(rnd() * 7)) {
    case 0:
      out.splice(i, 1);
      return out;
    case 1:
      out.splice(i, 0, f);
      return out;
    case 2: {
      const j = Math.floor(rnd() * fields.length);
      [out[i], out[j]] = [out[j], out[i]];
      return out;
    }
    case 3: // an unknown field
      out.splice(i, 0, { num: 1 + Math.floor(rnd() * 40), wire: 2, value: randomBytes(rnd, Math.floor(rnd() * 6)) });
      return out;
    case 4: // the same field number with another wire type
      out[i] = f.wire === 0 ? { num: f.num, wire: 2, value: varintBytes(BigInt(f.value.length)) } : { num: f.num, wire: 0, value: varintBytes(BigInt(f.value.length)) };
      return out;
    default:
      if (f.wire === 0) out[i] = { ...f, value: varintBytes(EDGE_VARINTS[Math.floor(rnd() * EDGE_VARINTS.length)]) };
      else if (f.wire === 2) out[i] = { ...f, value: edgeBytes(rnd, f.value) };
      else out[i] = { ...f, value: randomBytes(rnd, f.value.length) };
      return out;
  }
}

/**
 * One random change somewhere in `buf`'s field tree: at each level, with probability `descend`
 * the change goes into a random length-delimited field that reads as a message.
 */
export function mutateMessage(buf: Uint8Array, rnd: () => number, descend = 0.75): Uint8Array {
  const fields = readFields(buf);
  if (fields === undefined) return mutateRaw(buf, rnd);
  const nested = fields.map((f, i) => (f.wire === 2 && readFields(f.value) !== undefined ? i : -1)).filter((i) => i >= 0);
  if (nested.length > 0 && rnd() < descend) {
    const i = nested[Math.floor(rnd() * nested.length)];
    const out = [...fields];
    out[i] = { ...fields[i], value: mutateMessage(fields[i].value, rnd, descend) };
    return writeFields(out);
  }
  return rnd() < 0.8 ? writeFields(mutateField(fields, rnd)) : mutateRaw(buf, rnd);
}

/**
 * Follows `path` (field numbers) through nested messages and replaces every field at its end with
 * `rewrite(value, parentFields)`; returns the rewritten bytes, or `buf` unchanged where a level does
 * not read as a message. Fuzz tests use it to re-sign what a mutation changed.
 */
export function rewriteAt(buf: Uint8Array, path: readonly number[], rewrite: (value: Uint8Array, siblings: readonly WireField[]) => Uint8Array): Uint8Array {
  const fields = readFields(buf);
  if (fields === undefined || path.length === 0) return buf;
  const [num, ...rest] = path;
  return writeFields(
    fields.map((f) => {
      if (f.num !== num || f.wire !== 2) return f;
      return { ...f, value: rest.length === 0 ? rewrite(f.value, fields) : rewriteAt(f.value, rest, rewrite) };
    }),
  );
}
