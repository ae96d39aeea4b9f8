import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { CURVE_ORDERS, encodeEcdsaSignature, isLowS, parseEcdsaSignature, toLowS } from '../../../../plugins/msp-x509';

const N = CURVE_ORDERS.prime256v1;

describe('ECDSA DER codec and low-S', () => {
  it('round-trips node signatures and normalises high S to a still-valid low-S twin', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const msg = Buffer.from('m');
    let sawHigh = false;
    for (let i = 0; i < 40; i++) {
      const der = new Uint8Array(sign('sha256', msg, privateKey));
      const sig = parseEcdsaSignature(der)!;
      expect(Buffer.from(encodeEcdsaSignature(sig))).toEqual(Buffer.from(der));
      const low = toLowS(der, N);
      expect(isLowS(parseEcdsaSignature(low)!, N)).toBe(true);
      expect(verify('sha256', msg, publicKey, low)).toBe(true);
      if (!isLowS(sig, N)) {
        sawHigh = true;
        expect(Buffer.from(low)).not.toEqual(Buffer.from(der));
      } else {
        expect(low).toBe(der);
      }
    }
    // 40 random signatures are all low-S with probability 2^-40.
    expect(sawHigh).toBe(true);
  });

  it('rejects non-canonical DER', () => {
    const good = encodeEcdsaSignature({ r: 5n, s: 7n });
    expect(parseEcdsaSignature(good)).toEqual({ r: 5n, s: 7n });
    const cases: number[][] = [
      [],
      [0x30, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x07, 0x00], // trailing byte
      [0x30, 0x07, 0x02, 0x02, 0x00, 0x05, 0x02, 0x01, 0x07], // non-minimal r
      [0x30, 0x06, 0x02, 0x01, 0x85, 0x02, 0x01, 0x07], // negative r
      [0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x07], // r = 0
      [0x30, 0x81, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x07], // long-form length for a short body
      [0x31, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x07], // SET, not SEQUENCE
      [0x30, 0x06, 0x02, 0x01, 0x05, 0x02, 0x02, 0x07], // s overruns
    ];
    for (const c of cases) expect([c, parseEcdsaSignature(new Uint8Array(c))]).toEqual([c, undefined]);
  });
});
