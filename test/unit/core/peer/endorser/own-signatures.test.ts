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
    const own = new OwnSignatures(me, { entries: 2, bytes: 1024, maxAgeMs: 60_000 });
    const signer = own.recordingSigner();
    const sigs = ['a', 'b', 'c'].map((m) => signer.sign(Buffer.from(m)));
    expect(own.signedByMe(me.serialized, Buffer.from('a'), sigs[0])).toBe(false);
    expect(own.signedByMe(me.serialized, Buffer.from('c'), sigs[2])).toBe(true);
  });

  it('keeps at most its byte budget of signed data, forgetting the oldest first', () => {
    const own = new OwnSignatures(me, { entries: 1000, bytes: 640, maxAgeMs: 60_000 });
    const signer = own.recordingSigner();
    const messages = Array.from({ length: 70 }, (_, i) => Buffer.alloc(10, i));
    const sigs = messages.map((m) => signer.sign(m));
    expect(own.retainedBytes).toBe(640);
    const kept = messages.map((m, i) => own.signedByMe(me.serialized, m, sigs[i]));
    expect(kept).toEqual([...Array<boolean>(6).fill(false), ...Array<boolean>(64).fill(true)]);
  });

  it('does not keep a message larger than 1/64 of its budget (a query with a large result)', () => {
    const own = new OwnSignatures(me, { entries: 1000, bytes: 64 * 100, maxAgeMs: 60_000 });
    const signer = own.recordingSigner();
    const small = Buffer.from('small');
    const smallSig = signer.sign(small);
    const large = Buffer.alloc(101, 1);
    const largeSig = signer.sign(large);
    expect(own.signedByMe(me.serialized, large, largeSig)).toBe(false);
    expect(own.signedByMe(me.serialized, small, smallSig)).toBe(true);
    expect(own.retainedBytes).toBe(small.length);
  });
});

describe('OwnSignatures age bound', () => {
  it('forgets a signature older than maxAgeMs once it signs again, whatever room is left', () => {
    let clock = 0;
    const own = new OwnSignatures(me, { entries: 1000, bytes: 1024 * 1024, maxAgeMs: 120_000 }, () => clock);
    const signer = own.recordingSigner();
    const old = Buffer.from('endorsed long ago');
    const oldSig = signer.sign(old);
    clock = 60_000;
    const recent = Buffer.from('endorsed a minute later');
    const recentSig = signer.sign(recent);
    clock = 120_001;
    const now = Buffer.from('endorsed now');
    const nowSig = signer.sign(now);
    expect(own.signedByMe(me.serialized, old, oldSig)).toBe(false);
    expect(own.signedByMe(me.serialized, recent, recentSig)).toBe(true);
    expect(own.signedByMe(me.serialized, now, nowSig)).toBe(true);
    expect(own.retainedBytes).toBe(recent.length + now.length);
  });

  it('keeps a message signed again as new: its age counts from the last signing', () => {
    let clock = 0;
    const own = new OwnSignatures(me, { entries: 1000, bytes: 1024 * 1024, maxAgeMs: 100 }, () => clock);
    const signer = own.recordingSigner();
    const first = Buffer.from('first');
    const firstSig = signer.sign(first);
    const other = Buffer.from('other');
    const otherSig = signer.sign(other);
    clock = 90;
    signer.sign(first);
    clock = 150;
    signer.sign(Buffer.from('later'));
    expect(own.signedByMe(me.serialized, first, firstSig)).toBe(true);
    expect(own.signedByMe(me.serialized, other, otherSig)).toBe(false);
  });
});
