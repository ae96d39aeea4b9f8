import { MspErrorCode } from '../../../../core/msp/msp-error-code';
import { MspManagerImpl, X509Msp, assertWellFormedIdentity, createTestOrg, goPemDecode, serializeIdentity } from '../../../../plugins/msp-x509';
import { goBase64Decode } from '../../../../plugins/msp-x509/go-pem';
import { parsePemCertificate, parseWellFormedPemCertificate } from '../../../../plugins/msp-x509/parsed-certificate';
import { mspCodeOf } from './fixtures';

const latin1 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

function decoded(input: string): { type: string; bytes: string; rest: string; headers: number } | undefined {
  const block = goPemDecode(latin1(input));
  return block && { type: block.type, bytes: text(block.bytes), rest: text(block.rest), headers: block.headers.size };
}

const codeOf = (fn: () => unknown): string => mspCodeOf(fn, 'no error');

/** A DER TLV header for `length` content bytes. */
function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...len]), content]);
}

/** Splits a DER SEQUENCE into its elements (lengths up to 2 bytes, enough for a certificate). */
function elements(der: Buffer): Buffer[] {
  const header = (at: number): [number, number] => (der[at + 1] < 0x80 ? [2, der[at + 1]] : der[at + 1] === 0x81 ? [3, der[at + 2]] : [4, (der[at + 2] << 8) | der[at + 3]]);
  const [h] = header(0);
  const out: Buffer[] = [];
  for (let at = h; at < der.length; ) {
    const [eh, el] = header(at);
    out.push(der.subarray(at, at + eh + el));
    at += eh + el;
  }
  return out;
}

function pemOf(der: Buffer, type = 'CERTIFICATE'): string {
  return `-----BEGIN ${type}-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END ${type}-----\n`;
}

function derOf(pem: string): Buffer {
  return Buffer.from(/-----BEGIN CERTIFICATE-----\n([\s\S]+?)-----END/.exec(pem)?.[1].replace(/\s+/g, '') ?? '', 'base64');
}

describe("Go's pem.Decode", () => {
  // Each expectation follows Go's encoding/pem (Decode, getLine, removeSpacesAndTabs) and
  // base64.StdEncoding.Decode; the first cases are those of Go's own pem_test.go bad-PEM table.
  it.each<[string, string, ReturnType<typeof decoded>]>([
    ['a block', '-----BEGIN FOO-----\ndGVzdA==\n-----END FOO-----', { type: 'FOO', bytes: 'test', rest: '', headers: 0 }],
    ['too few trailing dashes', '-----BEGIN FOO-----\ndGVzdA==\n-----END FOO----', undefined],
    ['too many trailing dashes', '-----BEGIN FOO-----\ndGVzdA==\n-----END FOO------', undefined],
    ['no space after END', '-----BEGIN FOO-----\ndGVzdA==\n-----ENDFOO-----', undefined],
    ['another END type', '-----BEGIN FOO-----\ndGVzdA==\n-----END BAR-----', undefined],
    ['an empty block', '-----BEGIN FOO-----\n-----END FOO-----\n', { type: 'FOO', bytes: '', rest: '', headers: 0 }],
    ['no type', '-----BEGIN -----\ndGVzdA==\n-----END -----', { type: '', bytes: 'test', rest: '', headers: 0 }],
    ['text before and after', 'a note\n-----BEGIN FOO-----\ndGVzdA==\n-----END FOO-----\nmore\n', { type: 'FOO', bytes: 'test', rest: 'more\n', headers: 0 }],
    ['text on the BEGIN line', 'a note-----BEGIN FOO-----\ndGVzdA==\n-----END FOO-----\n', undefined],
    ['text after the END line', '-----BEGIN FOO-----\ndGVzdA==\n-----END FOO----- x\n', undefined],
    ['blanks after the END line', '-----BEGIN FOO-----\ndGVzdA==\n-----END FOO----- \t\nX', { type: 'FOO', bytes: 'test', rest: 'X', headers: 0 }],
    ['headers', '-----BEGIN FOO-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: x\n\ndGVzdA==\n-----END FOO-----\n', { type: 'FOO', bytes: 'test', rest: '', headers: 2 }],
    ['headers and no body', '-----BEGIN FOO-----\nK: v\n-----END FOO-----\n', undefined],
    ['spaces and tabs in base64', '-----BEGIN FOO-----\n dGVz\tdA== \n-----END FOO-----\n', { type: 'FOO', bytes: 'test', rest: '', headers: 0 }],
    ['CRLF lines', '-----BEGIN FOO-----\r\ndGVzdA==\r\n-----END FOO-----\r\nZ', { type: 'FOO', bytes: 'test', rest: 'Z', headers: 0 }],
    ['a vertical tab in base64', '-----BEGIN FOO-----\ndGVz\vdA==\n-----END FOO-----\n', undefined],
    ['short base64', '-----BEGIN FOO-----\ndGVzdA=\n-----END FOO-----\n', undefined],
    ['padding inside', '-----BEGIN FOO-----\ndA==dGVz\n-----END FOO-----\n', undefined],
    ['a bad block, then a good one', '-----BEGIN FOO-----\n!!!!\n-----END FOO-----\n-----BEGIN BAR-----\ndGVzdA==\n-----END BAR-----\n', { type: 'BAR', bytes: 'test', rest: '', headers: 0 }],
    ['a BEGIN line inside', '-----BEGIN FOO-----\n-----BEGIN BAR-----\ndGVzdA==\n-----END BAR-----\n', { type: 'BAR', bytes: 'test', rest: '', headers: 0 }],
    ['no block', 'just text\n', undefined],
  ])('%s', (_name, input, expected) => {
    expect(decoded(input)).toEqual(expected);
  });

  it('decodes base64 as StdEncoding.Decode: padded quanta, CR/LF skipped, unused bits ignored', () => {
    expect(text(goBase64Decode('dGVz\r\ndA==') as Uint8Array)).toBe('test');
    expect(text(goBase64Decode('dGVzdB==') as Uint8Array)).toBe('test');
    expect(goBase64Decode('dGVzdA')).toBeUndefined();
    expect(goBase64Decode('d===')).toBeUndefined();
    expect(goBase64Decode('dGVzdA==dA==')).toBeUndefined();
    expect(goBase64Decode('')?.length).toBe(0);
  });
});

describe('certificate PEM: lenient as the MSP, strict (IsWellFormed) only where gossip asks', () => {
  it("parses what pem.Decode + x509.ParseCertificate accept and refuses DER with trailing bytes", async () => {
    const org = await createTestOrg({ mspId: 'Org1MSP' });
    const pem = (await org.issue('u')).certPem;
    const id = parsePemCertificate(latin1(pem), 'f').id;
    for (const variant of [`note\n${pem}`, `${pem}# comment\n`, pem.replace(/CERTIFICATE-----/g, 'X509 CERTIFICATE-----'), pem + pem, pem.replace('-----\n', '-----\nK: v\n\n')]) {
      expect(parsePemCertificate(latin1(variant), 'f').id).toBe(id);
    }
    expect(codeOf(() => parsePemCertificate(latin1(pemOf(Buffer.concat([derOf(pem), Buffer.from([0])]))), 'f'))).toBe(MspErrorCode.BadPem);
    expect(codeOf(() => parsePemCertificate(latin1(`note${pem}`), 'f'))).toBe(MspErrorCode.BadPem);
    // PEM text inside the block is not DER, although node:crypto would read it.
    expect(codeOf(() => parsePemCertificate(latin1(pemOf(Buffer.from(pem))), 'f'))).toBe(MspErrorCode.BadPem);
  });

  it('keeps IsWellFormed strict: nothing after the block, type CERTIFICATE or none, canonical ECDSA signature', async () => {
    const org = await createTestOrg({ mspId: 'Org1MSP' });
    const pem = (await org.issue('u')).certPem;
    const strict = (p: string): string => codeOf(() => parseWellFormedPemCertificate(latin1(p), 'f'));
    expect(strict(pem)).toBe('no error');
    expect(strict(`leading text is allowed\n${pem}`)).toBe('no error');
    expect(strict(pem.replace(/CERTIFICATE-----/g, '-----'))).toBe('no error');
    expect(strict(`${pem}# comment\n`)).toBe(MspErrorCode.BadPem);
    expect(strict(`${pem}\n`)).toBe(MspErrorCode.BadPem);
    expect(strict(pem.replace(/CERTIFICATE-----/g, 'X509 CERTIFICATE-----'))).toBe(MspErrorCode.BadPem);

    // The same certificate with its signature's SEQUENCE length in long form: valid BER, not DER.
    const [tbs, alg, bits] = elements(derOf(pem));
    const sig = bits.subarray(bits[1] < 0x80 ? 3 : 4);
    const longForm = Buffer.concat([Buffer.from([0x30, 0x81, sig[1]]), sig.subarray(2)]);
    const reSigned = tlv(0x30, Buffer.concat([tbs, alg, tlv(0x03, Buffer.concat([Buffer.from([0]), longForm]))]));
    expect(codeOf(() => parsePemCertificate(latin1(pemOf(reSigned)), 'f'))).toBe('no error');
    expect(strict(pemOf(reSigned))).toBe(MspErrorCode.BadPem);
  });

  it('exposes IsWellFormed on the MSP and the manager, which deserialize leniently', async () => {
    const org = await createTestOrg({ mspId: 'Org1MSP' });
    const msp = new X509Msp(org.mspConfig());
    const manager = new MspManagerImpl([msp]);
    const pem = (await org.issue('u')).certPem;
    const commented = serializeIdentity('Org1MSP', `${pem}# comment\n`);
    expect(() => manager.deserializeIdentity(commented).validate()).not.toThrow();
    expect(codeOf(() => manager.isWellFormed(commented))).toBe(MspErrorCode.BadPem);
    expect(codeOf(() => msp.isWellFormed(commented))).toBe(MspErrorCode.BadPem);
    expect(codeOf(() => assertWellFormedIdentity(serializeIdentity('Org1MSP', pem)))).toBe('no error');
    expect(codeOf(() => assertWellFormedIdentity(new Uint8Array([0xff])))).toBe(MspErrorCode.BadIdentity);
  });
});
