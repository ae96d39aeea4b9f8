import { pendingBlockNumbers, signedSnapshotQuery, signedSnapshotRequest } from '../../../../cli/services/snapshot/snapshot-requests';
import { newTestSigner } from '../../core/protocol/test-signer';

/** Protobuf by hand, independent of the generated classes: a field key, a varint, a length-delimited field. */
function varint(n: number): number[] {
  const out: number[] = [];
  let v = BigInt(n);
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? low | 0x80 : low);
  } while (v > 0n);
  return out;
}
const delimited = (field: number, bytes: Uint8Array): number[] => [(field << 3) | 2, ...varint(bytes.length), ...bytes];
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Splits a SignedSnapshotRequest (request = 1, signature = 2, both bytes) by hand. */
function splitSigned(bytes: Uint8Array): { request: Uint8Array; signature: Uint8Array } {
  const fields = new Map<number, Uint8Array>();
  let i = 0;
  while (i < bytes.length) {
    const key = bytes[i++]!;
    let len = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[i++]!;
      len |= (b & 0x7f) << shift;
      shift += 7;
      if ((b & 0x80) === 0) break;
    }
    expect(key & 7).toBe(2);
    fields.set(key >> 3, bytes.slice(i, i + len));
    i += len;
  }
  expect([...fields.keys()]).toEqual([1, 2]);
  return { request: fields.get(1)!, signature: fields.get(2)! };
}

describe("snapshot requests: the bytes Fabric's peer snapshot client sends", () => {
  const signer = newTestSigner('Org1MSP', 'Admin');
  const nonce = new Uint8Array(24).fill(7);
  // common.SignatureHeader { creator = 1, nonce = 2 }, as protoutil marshals it.
  const header = [...delimited(1, signer.serialized), ...delimited(2, nonce)];

  it('Generate/Cancel: SnapshotRequest {signature_header = 1, channel_id = 2, block_number = 3 (uint64)}, signed over exactly the request bytes', () => {
    const { request, signature } = splitSigned(signedSnapshotRequest(signer, 'mychannel', 300, nonce));
    expect(Buffer.from(request)).toEqual(Buffer.from([...delimited(1, new Uint8Array(header)), ...delimited(2, utf8('mychannel')), 3 << 3, ...varint(300)]));
    expect(signer.verify(request, signature)).toBe(true);
  });

  it('block 0 (the last committed block) leaves block_number out, as proto3 does', () => {
    const { request } = splitSigned(signedSnapshotRequest(signer, 'mychannel', 0, nonce));
    expect(Buffer.from(request)).toEqual(Buffer.from([...delimited(1, new Uint8Array(header)), ...delimited(2, utf8('mychannel'))]));
  });

  it('QueryPendings: a SnapshotQuery {signature_header = 1, channel_id = 2} in the same signed envelope', () => {
    const { request, signature } = splitSigned(signedSnapshotQuery(signer, 'audit', nonce));
    expect(Buffer.from(request)).toEqual(Buffer.from([...delimited(1, new Uint8Array(header)), ...delimited(2, utf8('audit'))]));
    expect(signer.verify(request, signature)).toBe(true);
  });

  it('each request carries a fresh 24-byte nonce (the peer may refuse a replay)', () => {
    const a = splitSigned(signedSnapshotRequest(signer, 'mychannel', 5)).request;
    const b = splitSigned(signedSnapshotRequest(signer, 'mychannel', 5)).request;
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
    expect(a.length).toBe(new Uint8Array(delimited(1, new Uint8Array(header))).length + delimited(2, utf8('mychannel')).length + 1 + varint(5).length);
  });

  it('QueryPendingSnapshotsResponse: packed uint64 block_numbers = 1, read back ascending', () => {
    const packed = [...varint(1000), ...varint(20), ...varint(300)];
    expect(pendingBlockNumbers(new Uint8Array([(1 << 3) | 2, packed.length, ...packed]))).toEqual([20, 300, 1000]);
    expect(pendingBlockNumbers(new Uint8Array())).toEqual([]);
  });
});
