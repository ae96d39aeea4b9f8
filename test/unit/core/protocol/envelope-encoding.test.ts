import { Envelope } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { envelopeFormProblem, goEnvelope } from '../../../../core/protocol/envelope-encoding';

const payload = Buffer.from('0a0408011a00', 'hex');
const signature = Buffer.from('3006020101020101', 'hex');

function field(num: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([num * 8 + 2, content.length]), content]);
}

describe('an Envelope as protobuf-go encodes it again', () => {
  const canonical = Buffer.concat([field(1, payload), field(2, signature)]);

  it('hands back the very bytes it was given when they already are in that form', () => {
    const env = goEnvelope(canonical);
    expect(env.encoded).toBe(canonical);
    expect(Buffer.from(env.payload)).toEqual(payload);
    expect(Buffer.from(env.signature)).toEqual(signature);
    // google-protobuf writes the same form: what Weft's own clients and Fabric's SDKs send.
    const built = new Envelope();
    built.setPayload(payload);
    built.setSignature(signature);
    expect(Buffer.from(built.serializeBinary())).toEqual(canonical);
    expect(envelopeFormProblem(canonical, 0)).toBeUndefined();
  });

  it('writes the fields in number order, the last occurrence of each, with minimal lengths', () => {
    expect(Buffer.from(goEnvelope(Buffer.concat([field(2, signature), field(1, payload)])).encoded)).toEqual(canonical);
    expect(Buffer.from(goEnvelope(Buffer.concat([field(1, Buffer.from('stale')), field(1, payload), field(2, signature)])).encoded)).toEqual(canonical);
    // Length 6 as a two-byte varint (0x86 0x00): decoded alike, re-encoded in one byte.
    const longLength = Buffer.concat([Buffer.from([0x0a, 0x86, 0x00]), payload, field(2, signature)]);
    expect(Buffer.from(goEnvelope(longLength).encoded)).toEqual(canonical);
    expect(envelopeFormProblem(longLength, 3)).toBe(`transaction 3 has 1 trailing bytes`);
  });

  it('keeps unknown fields, a known field of another wire type among them, after the known ones', () => {
    const unknownVarint = Buffer.from([0x18, 0x07]); // field 3, varint 7
    const payloadAsVarint = Buffer.from([0x08, 0x01]); // field 1 with wire type 0: unknown to protobuf-go
    const group = Buffer.from([0x23, 0x08, 0x01, 0x24]); // field 4 group holding field 1 = 1
    const raw = Buffer.concat([unknownVarint, field(1, payload), payloadAsVarint, group, field(2, signature)]);
    const env = goEnvelope(raw);
    expect(Buffer.from(env.encoded)).toEqual(Buffer.concat([canonical, unknownVarint, payloadAsVarint, group]));
    expect(envelopeFormProblem(raw, 0)).toBe(`transaction 0 (${raw.length} bytes re-encoded) does not match its raw form (${raw.length} bytes)`);
    // In that order they are the form itself.
    const ordered = Buffer.concat([canonical, unknownVarint, payloadAsVarint, group]);
    expect(goEnvelope(ordered).encoded).toBe(ordered);
  });

  it("words Fabric's refusals of an envelope without payload or signature, or one that does not decode", () => {
    expect(envelopeFormProblem(field(2, signature), 1)).toBe('transaction 1 has no payload');
    expect(envelopeFormProblem(field(1, payload), 2)).toBe('transaction 2 has no signature');
    expect(envelopeFormProblem(Buffer.from([0x0a, 0x09, 0x01]), 4)).toMatch(/^transaction 4 is invalid: block\.data\.data\[4\]: cannot decode 3 bytes as Envelope: field 1: length 9 runs past the end$/);
  });
});
