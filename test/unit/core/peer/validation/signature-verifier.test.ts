import { generateKeyPairSync, sign } from 'node:crypto';
import { isLowS } from '../../../../../core/peer/validation/signature-verifier';

const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const HALF = N >> 1n;

function der(r: bigint, s: bigint): Uint8Array {
  const int = (v: bigint): number[] => {
    let hex = v.toString(16);
    if (hex.length % 2 === 1) hex = `0${hex}`;
    const bytes = [...Buffer.from(hex, 'hex')];
    if (bytes[0] >= 0x80) bytes.unshift(0);
    return [0x02, bytes.length, ...bytes];
  };
  const body = [...int(r), ...int(s)];
  return Uint8Array.from([0x30, body.length, ...body]);
}

describe('isLowS', () => {
  it('accepts s ≤ n/2 and rejects s > n/2 (Fabric rejects high-S signatures)', () => {
    expect(isLowS(der(5n, HALF), HALF)).toBe(true);
    expect(isLowS(der(5n, HALF + 1n), HALF)).toBe(false);
    expect(isLowS(der(5n, N - 1n), HALF)).toBe(false);
  });

  it('rejects malformed DER', () => {
    expect(isLowS(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]), HALF)).toBe(false);
    expect(isLowS(new Uint8Array(0), HALF)).toBe(false);
  });

  it('parses real P-256 signatures', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    let low = 0;
    for (let i = 0; i < 40; i++) if (isLowS(sign('sha256', Buffer.from(`m${i}`), privateKey), HALF)) low++;
    // About half of raw OpenSSL signatures are high-S.
    expect(low).toBeGreaterThan(0);
    expect(low).toBeLessThan(40);
  });
});
