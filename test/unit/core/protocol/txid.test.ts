import { createHash } from 'node:crypto';
import { NONCE_LENGTH, computeTxId, newNonce } from '../../../../core/protocol';
import { newTestSigner } from './test-signer';

describe('txid', () => {
  it('newNonce returns 24 fresh random bytes', () => {
    const a = newNonce();
    const b = newNonce();
    expect(a).toHaveLength(NONCE_LENGTH);
    expect(NONCE_LENGTH).toBe(24);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });

  it('computeTxId is hex(SHA-256(nonce ‖ creator))', () => {
    const nonce = newNonce();
    const creator = newTestSigner().serialized;
    const expected = createHash('sha256').update(Buffer.concat([nonce, creator])).digest('hex');
    expect(computeTxId(nonce, creator)).toBe(expected);
  });

  it('matches a fixed vector', () => {
    // sha256("abc") = ba7816bf…: nonce "ab" ‖ creator "c"
    expect(computeTxId(Buffer.from('ab'), Buffer.from('c'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});
