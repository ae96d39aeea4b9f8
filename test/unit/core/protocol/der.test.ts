import { derInteger, derOctetString, derSequence, encodeDer } from '../../../../core/protocol/der';
import { CURVE_ORDERS, encodeEcdsaSignature, parseEcdsaSignature } from '../../../../plugins/msp-x509';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** The one DER encoder, against what Go's `encoding/asn1` writes. */
describe('DER encoder', () => {
  it('writes short and long definite lengths, minimal', () => {
    expect(hex(encodeDer(0x04, new Uint8Array(127))).slice(0, 4)).toBe('047f');
    expect(hex(encodeDer(0x04, new Uint8Array(128))).slice(0, 6)).toBe('048180');
    expect(hex(encodeDer(0x04, new Uint8Array(255))).slice(0, 6)).toBe('0481ff');
    expect(hex(encodeDer(0x04, new Uint8Array(256))).slice(0, 8)).toBe('04820100');
    expect(hex(encodeDer(0x04, new Uint8Array(65536))).slice(0, 10)).toBe('0483010000');
    expect(encodeDer(0x04, new Uint8Array(65536))).toHaveLength(65541);
  });

  it('concatenates several contents into one element', () => {
    expect(hex(encodeDer(0x30, Uint8Array.of(1, 2), Uint8Array.of(3)))).toBe('3003010203');
    expect(hex(derSequence(derOctetString(Uint8Array.of(0xaa)), derOctetString(new Uint8Array(0))))).toBe('30050401aa0400');
  });

  it('writes INTEGERs as asn1.Marshal(*big.Int) does, numbers and bigints alike', () => {
    const cases: [bigint | number, string][] = [
      [0, '020100'],
      [127, '02017f'],
      [128, '02020080'],
      [256, '02020100'],
      [Number.MAX_SAFE_INTEGER, '02071fffffffffffff'],
      [2n ** 64n, '0209010000000000000000'],
      [2n ** 63n, '0209008000000000000000'],
    ];
    for (const [value, der] of cases) expect({ value, der: hex(derInteger(value)) }).toEqual({ value, der });
  });

  it('refuses a negative or unsafe integer, naming what it expected', () => {
    expect(() => derInteger(-1)).toThrow(expect.objectContaining({ code: 'PROTOCOL_BAD_INPUT', details: { path: 'der.integer', expected: 'a non-negative safe integer' } }));
    expect(() => derInteger(2 ** 53)).toThrow(/der\.integer: expected a non-negative safe integer/);
    expect(() => derInteger(-1n)).toThrow(/der\.integer: expected a non-negative integer/);
  });

  it("encodes ECDSA signatures the MSP's strict parser takes back", () => {
    const order = CURVE_ORDERS.prime256v1!;
    for (const sig of [{ r: 1n, s: 1n }, { r: 0x80n, s: 0x7fn }, { r: order - 1n, s: order >> 1n }]) {
      const der = encodeEcdsaSignature(sig);
      expect(hex(der)).toBe(hex(derSequence(derInteger(sig.r), derInteger(sig.s))));
      expect(parseEcdsaSignature(der)).toEqual(sig);
    }
  });
});
