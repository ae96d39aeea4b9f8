import { X509Msp, createTestOrg, parseEcdsaSignature } from '../../../../plugins/msp-x509';
import { encodeDer } from '../../../../core/protocol/der';
import { TAG } from '../../../../core/protocol/der-reader';
import { signWith } from './fixtures';

/**
 * Message signatures are read as Fabric's bccsp reads them (`UnmarshalECDSASignature`, Go's
 * encoding/asn1): bytes after S or after the SEQUENCE are ignored, lengths and integers must be
 * minimal. A creator signature one peer accepts and another refuses forks the channel.
 */
describe('ECDSA signature encodings as Fabric bccsp accepts them', () => {
  const message = new TextEncoder().encode('proposal bytes');

  async function fixture(): Promise<{ verify: (sig: Uint8Array) => Promise<[boolean, boolean]>; sig: Uint8Array }> {
    const org = await createTestOrg({ mspId: 'Org1MSP' });
    const user = await org.issue('signer', { role: 'client' });
    const id = new X509Msp(org.mspConfig()).deserializeIdentity(user.serialized);
    return { sig: signWith(user.privateKey, message), verify: async (sig) => [id.verify(message, sig), await id.verifyAsync(message, sig)] };
  }

  it('accepts bytes after the SEQUENCE and after S inside it', async () => {
    const { verify, sig } = await fixture();
    expect(await verify(sig)).toEqual([true, true]);
    expect(await verify(Uint8Array.from([...sig, 0xde, 0xad]))).toEqual([true, true]);
    const { r, s } = parseEcdsaSignature(sig)!;
    const int = (v: bigint): Uint8Array => {
      const hex = v.toString(16).padStart(2, '0');
      const b = Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
      return encodeDer(TAG.INTEGER, b[0] & 0x80 ? Uint8Array.of(0, ...b) : b);
    };
    expect(await verify(encodeDer(TAG.SEQUENCE, int(r), int(s), encodeDer(TAG.INTEGER, Uint8Array.of(7))))).toEqual([true, true]);
  });

  it('refuses non-minimal lengths and integers, as encoding/asn1 does', async () => {
    const { verify, sig } = await fixture();
    const body = sig.subarray(2);
    const longForm = Uint8Array.from([0x30, 0x81, body.length, ...body]);
    expect(await verify(longForm)).toEqual([false, false]);
    const { r, s } = parseEcdsaSignature(sig)!;
    const rHex = r.toString(16).padStart(64, '0');
    const padded = encodeDer(TAG.SEQUENCE, encodeDer(TAG.INTEGER, Buffer.from(`0000${rHex}`, 'hex')), encodeDer(TAG.INTEGER, Buffer.from(s.toString(16).padStart(64, '0'), 'hex')));
    expect(await verify(padded)).toEqual([false, false]);
  });
});
