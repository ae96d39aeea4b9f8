import { OwnSignatures } from '../../../../../core/peer/endorser/own-signatures';

const me = { serialized: Buffer.from('me'), sign: (m: Uint8Array) => Buffer.concat([Buffer.from('sig:'), m]) };

describe('OwnSignatures', () => {
  it('recognises exactly what this peer signed, as this peer', () => {
    const own = new OwnSignatures(me);
    const signer = own.recordingSigner();
    const sig = signer.sign(Buffer.from('payload'));
    expect(own.signedByMe(me.serialized, Buffer.from('payload'), sig)).toBe(true);
    expect(own.signedByMe(me.serialized, Buffer.from('other'), sig)).toBe(false);
    expect(own.signedByMe(Buffer.from('someone else'), Buffer.from('payload'), sig)).toBe(false);
    expect(own.signedByMe(me.serialized, Buffer.from('payload'), Buffer.from('forged'))).toBe(false);
  });

  it('forgets the oldest signatures beyond its capacity', () => {
    const own = new OwnSignatures(me, 2);
    const signer = own.recordingSigner();
    const sigs = ['a', 'b', 'c'].map((m) => signer.sign(Buffer.from(m)));
    expect(own.signedByMe(me.serialized, Buffer.from('a'), sigs[0])).toBe(false);
    expect(own.signedByMe(me.serialized, Buffer.from('c'), sigs[2])).toBe(true);
  });
});
