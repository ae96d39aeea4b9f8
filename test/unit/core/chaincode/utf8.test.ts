import { utf8Decode, utf8Encode, utf8Length } from '../../../../core/chaincode/sandbox/utf8';
import { seededRandom } from '../../../support/seeded-random';

describe('sandbox UTF-8 codec agrees with Node', () => {
  const rand = seededRandom(42);

  test('encoding: ASCII, multi-byte, astral and lone surrogates', () => {
    const samples = ['', 'abc', 'héllo €𝄞', '\ud800', 'a\udc00b', '\ud83d\ude00\ud83d', 'x'.repeat(5000)];
    for (let n = 0; n < 300; n++) {
      let s = '';
      for (let k = 0; k < 20; k++) s += String.fromCharCode(Math.floor(rand() * 0x10000));
      samples.push(s);
    }
    for (const s of samples) {
      const out = new Uint8Array(utf8Length(s));
      expect(utf8Encode(s, out, 0)).toBe(out.length);
      expect(Buffer.from(out).equals(Buffer.from(s, 'utf8'))).toBe(true);
    }
  });

  test('decoding: valid text and random (often invalid) bytes', () => {
    const cases: Uint8Array[] = [Buffer.from('héllo €𝄞'), Buffer.from([0xe2, 0x82, 0x41]), Buffer.from([0xf0, 0x9f, 0x98]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xc0, 0xaf])];
    for (let n = 0; n < 500; n++) {
      const bytes = new Uint8Array(1 + Math.floor(rand() * 12));
      for (let k = 0; k < bytes.length; k++) bytes[k] = rand() < 0.5 ? 0x80 + Math.floor(rand() * 0x80) : Math.floor(rand() * 0x100);
      cases.push(bytes);
    }
    for (const bytes of cases) {
      expect(utf8Decode(bytes, 0, bytes.length)).toBe(Buffer.from(bytes).toString('utf8'));
    }
  });
});
